"""The collector's settings: read once from the environment, then frozen.

Precedence: command-line flag > environment variable > default. Bad values fail at start, naming the variable.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

from tokenledger.settings import BOOL_WORDS, strict_bool

MIB = 1024 * 1024


def utc_now() -> datetime:
    return datetime.now(UTC)


class SettingsError(ValueError):
    """An environment variable has a value the collector cannot use. The message names the variable."""


@dataclass(frozen=True)
class Settings:
    """Everything the collector reads from its environment."""

    db_path: Path | str = field(default=Path("data/tokenledger.duckdb"), repr=False)
    """TOKENLEDGER_DB: the store. A DuckDB file (a path, or `duckdb:///path`), or a ClickHouse URL kept as text
    (`clickhouse://user:password@host:8123/db`, `clickhouses://...`, `chdb:///path`): see `collector.store._url`.
    Created and migrated at start. Kept out of repr: a ClickHouse URL may carry a password."""
    host: str = "127.0.0.1"
    """TOKENLEDGER_HOST."""
    port: int = 4318
    """TOKENLEDGER_PORT (4318 is the OTLP/HTTP port)."""
    ingest_token: str | None = field(default=None, repr=False)
    """TOKENLEDGER_INGEST_TOKEN: bearer token for POST /v1/traces only."""
    read_token: str | None = field(default=None, repr=False)
    """TOKENLEDGER_READ_TOKEN: bearer token for the GET /api/... routes."""
    admin_token: str | None = field(default=None, repr=False)
    """TOKENLEDGER_ADMIN_TOKEN: bearer token accepted everywhere, and the only one for POST /api/v1/rates."""
    max_body_bytes: int = 64 * MIB
    """TOKENLEDGER_MAX_BODY_BYTES: the largest request body, compressed or after decompression."""
    max_json_bytes: int = 16 * MIB
    """TOKENLEDGER_MAX_JSON_BYTES: the largest OTLP JSON body once decompressed (JSON costs ~10x its size to parse)."""
    max_buffered_bytes: int = 128 * MIB
    """TOKENLEDGER_MAX_BUFFERED_BYTES: request bodies (as received) held in memory at once; past it, 429."""
    max_decoded_bytes: int = 64 * MIB
    """TOKENLEDGER_MAX_DECODED_BYTES: decompressed bytes being decoded at once (JSON counts 4x); the rest wait."""
    body_timeout_s: int = 30
    """TOKENLEDGER_BODY_TIMEOUT_S: time allowed to receive a request body; a slower upload is answered 408."""
    max_pending_writes: int = 64
    """TOKENLEDGER_MAX_PENDING_WRITES: ingest requests allowed to wait for the writer before 429."""
    retry_after_s: int = 2
    """TOKENLEDGER_RETRY_AFTER_S: the Retry-After sent with 429 and 503."""
    log_level: str = "info"
    """TOKENLEDGER_LOG_LEVEL."""
    alert_webhook_url: str | None = field(default=None, repr=False)
    """TOKENLEDGER_ALERT_WEBHOOK_URL: budget alerts are POSTed here as JSON with a `text` field (Slack, Teams).
    Kept out of logs and repr: such URLs carry a secret; only the host is ever logged."""
    alert_interval_s: int = 60
    """TOKENLEDGER_ALERT_INTERVAL_S: budgets are evaluated at least this often (and soon after each ingest)."""
    alert_retry_base_s: float = 1.0
    """Not an env var: the first delay between webhook attempts (doubled each time); tests shorten it."""
    dimension_attributes: tuple[tuple[str, str], ...] = ()
    """TOKENLEDGER_DIMENSION_ATTRIBUTES: other attributes read for a dimension when the call has no
    `tokenledger.<dimension>`, as `dimension=attribute` pairs, comma-separated, in order of preference (span
    first, then resource, for each): `team=service.namespace,customer=enduser.id`."""
    anthropic_admin_key: str | None = field(default=None, repr=False)
    """ANTHROPIC_ADMIN_KEY: an Anthropic Admin API key (sk-ant-admin...) to fetch Anthropic's usage and cost reports
    for reconciliation. Never logged nor shown (not in repr)."""
    anthropic_admin_base_url: str = "https://api.anthropic.com"
    """ANTHROPIC_ADMIN_BASE_URL: where the Admin API is (tests and the demo point it at a local fake)."""
    reconcile_daily: bool = False
    """TOKENLEDGER_RECONCILE_DAILY: fetch Anthropic's reports of the last days once a day (needs the admin key)."""
    reconcile_first_delay_s: float = 5.0
    """Not an env var: the wait before the first daily fetch after start; tests shorten it."""
    clock: Callable[[], datetime] = field(default=utc_now, repr=False, compare=False)
    """Not an env var: "now" for budget periods and forecasts; tests fix it."""

    @property
    def open_access(self) -> bool:
        """True when no token is set: every route is open."""
        return not (self.ingest_token or self.read_token or self.admin_token)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, **overrides: object) -> Settings:
        """Settings from `env` (default: os.environ); keyword overrides that are not None win (CLI flags)."""
        env = os.environ if env is None else env
        values: dict[str, object] = {}
        if "TOKENLEDGER_DB" in env:
            values["db_path"] = _db(_text(env, "TOKENLEDGER_DB"), "TOKENLEDGER_DB")
        if "TOKENLEDGER_HOST" in env:
            values["host"] = _text(env, "TOKENLEDGER_HOST")
        for name, attr, low in (
            ("TOKENLEDGER_PORT", "port", 0),
            ("TOKENLEDGER_MAX_BODY_BYTES", "max_body_bytes", 1),
            ("TOKENLEDGER_MAX_JSON_BYTES", "max_json_bytes", 1),
            ("TOKENLEDGER_MAX_BUFFERED_BYTES", "max_buffered_bytes", 1),
            ("TOKENLEDGER_MAX_DECODED_BYTES", "max_decoded_bytes", 1),
            ("TOKENLEDGER_BODY_TIMEOUT_S", "body_timeout_s", 1),
            ("TOKENLEDGER_MAX_PENDING_WRITES", "max_pending_writes", 1),
            ("TOKENLEDGER_RETRY_AFTER_S", "retry_after_s", 0),
            ("TOKENLEDGER_ALERT_INTERVAL_S", "alert_interval_s", 1),
        ):
            if name in env:
                values[attr] = _integer(env, name, low)
        for name, attr in (
            ("TOKENLEDGER_INGEST_TOKEN", "ingest_token"),
            ("TOKENLEDGER_READ_TOKEN", "read_token"),
            ("TOKENLEDGER_ADMIN_TOKEN", "admin_token"),
        ):
            token = env.get(name, "").strip()
            values[attr] = token or None
        if "TOKENLEDGER_LOG_LEVEL" in env:
            level = _text(env, "TOKENLEDGER_LOG_LEVEL").lower()
            if level not in {"debug", "info", "warning", "error"}:
                raise SettingsError(f"TOKENLEDGER_LOG_LEVEL must be debug, info, warning or error, got {level!r}")
            values["log_level"] = level
        if env.get("TOKENLEDGER_ALERT_WEBHOOK_URL", "").strip():
            url = env["TOKENLEDGER_ALERT_WEBHOOK_URL"].strip()
            parts = urlsplit(url)
            if parts.scheme not in ("http", "https") or not parts.hostname:
                # never echo the URL: it holds the webhook's secret
                raise SettingsError("TOKENLEDGER_ALERT_WEBHOOK_URL must be an http:// or https:// URL with a host")
            values["alert_webhook_url"] = url
        if "TOKENLEDGER_DIMENSION_ATTRIBUTES" in env:
            values["dimension_attributes"] = _dimension_pairs(env["TOKENLEDGER_DIMENSION_ATTRIBUTES"])
        values.update(_reconciliation(env))
        settings = cls(**values)  # type: ignore[arg-type]
        chosen = {k: (_db(v, "--db") if k == "db_path" else v) for k, v in overrides.items() if v is not None}
        if "port" in chosen and not 0 <= int(chosen["port"]) <= 65535:  # type: ignore[call-overload]
            raise SettingsError(f"--port must be between 0 and 65535, got {chosen['port']}")
        return replace(settings, **chosen)


DIMENSIONS = ("team", "cost_center", "customer", "feature")


def _reconciliation(env: Mapping[str, str]) -> dict[str, object]:
    values: dict[str, object] = {"anthropic_admin_key": env.get("ANTHROPIC_ADMIN_KEY", "").strip() or None}
    if env.get("ANTHROPIC_ADMIN_BASE_URL", "").strip():
        url = env["ANTHROPIC_ADMIN_BASE_URL"].strip().rstrip("/")
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise SettingsError("ANTHROPIC_ADMIN_BASE_URL must be an http:// or https:// URL with a host")
        values["anthropic_admin_base_url"] = url
    if "TOKENLEDGER_RECONCILE_DAILY" in env:
        flag = strict_bool(env["TOKENLEDGER_RECONCILE_DAILY"])
        if flag is None:
            raise SettingsError(
                f"TOKENLEDGER_RECONCILE_DAILY must be one of {BOOL_WORDS}, got {env['TOKENLEDGER_RECONCILE_DAILY']!r}"
            )
        if flag and not values["anthropic_admin_key"]:
            raise SettingsError("TOKENLEDGER_RECONCILE_DAILY is true but ANTHROPIC_ADMIN_KEY is not set")
        values["reconcile_daily"] = flag
    return values


def _db(value: object, name: str) -> Path | str:
    """A DuckDB path as a Path; a ClickHouse URL as its text (a Path would fold its `//`). Checked here, at start."""
    from .store._url import parse_db  # imported here: the store package (duckdb, pyarrow) loads only when needed

    if isinstance(value, Path):
        return value
    text = str(value)
    try:
        target = parse_db(text)
    except ValueError as exc:
        raise SettingsError(f"{name}: {exc}") from None
    return target if isinstance(target, Path) else text


def _dimension_pairs(text: str) -> tuple[tuple[str, str], ...]:
    pairs = []
    for item in (part.strip() for part in text.split(",")):
        if not item:
            continue
        dimension, sep, attribute = (p.strip() for p in item.partition("="))
        if not sep or not attribute or dimension not in DIMENSIONS:
            raise SettingsError(
                f"TOKENLEDGER_DIMENSION_ATTRIBUTES: {item!r} is not dimension=attribute with a dimension among "
                f"{', '.join(DIMENSIONS)}"
            )
        pairs.append((dimension, attribute))
    return tuple(pairs)


def _text(env: Mapping[str, str], name: str) -> str:
    value = env[name].strip()
    if not value:
        raise SettingsError(f"{name} is set but empty")
    return value


def _integer(env: Mapping[str, str], name: str, low: int) -> int:
    text = _text(env, name)
    try:
        value = int(text)
    except ValueError:
        raise SettingsError(f"{name} must be an integer, got {text!r}") from None
    if value < low or (name == "TOKENLEDGER_PORT" and value > 65535):
        raise SettingsError(f"{name} is out of range: {value}")
    return value

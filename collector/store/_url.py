"""Which store a `--db` / `TOKENLEDGER_DB` value names.

- a file path, or `duckdb:///path`: DuckDB (one process owns the file);
- `clickhouse://user:password@host:8123/database` (`clickhouses://` for TLS): a ClickHouse server over HTTP;
- `chdb:///path` (optionally `?database=name`): embedded ClickHouse (chdb) in this process, at `path`.

The ClickHouse forms need the `clickhouse` extra (`pip install tokenledger[clickhouse]`).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

CLICKHOUSE_SCHEMES = ("clickhouse", "clickhouses", "chdb")
DEFAULT_DATABASE = "tokenledger"


@dataclass(frozen=True)
class ClickHouseTarget:
    """Where a ClickHouse store lives. `password` is kept out of repr and logs."""

    scheme: str
    database: str
    path: str | None = None
    """chdb: the data directory."""
    host: str | None = None
    port: int | None = None
    user: str = "default"
    password: str = ""
    cluster: str = ""
    """`?cluster=name`: DDL ON CLUSTER and Replicated engines (docs/deploy.md; not tested here)."""

    def __repr__(self) -> str:
        return redact(self)

    @property
    def embedded(self) -> bool:
        return self.scheme == "chdb"


def parse_db(text: str | Path) -> Path | ClickHouseTarget:
    """A DuckDB path, or a ClickHouse target. Raises `ValueError` naming what is wrong (never the password)."""
    if isinstance(text, Path):
        return text
    if text.startswith("duckdb://"):
        rest = text.removeprefix("duckdb://")
        if not rest.startswith("/") and rest != ":memory:":
            raise ValueError("duckdb:// URLs take an absolute path: duckdb:///path/to/ledger.duckdb")
        return Path(rest) if rest != ":memory:" else Path(":memory:")
    scheme = text.partition("://")[0].lower() if "://" in text else ""
    if not scheme:
        return Path(text)
    if scheme not in CLICKHOUSE_SCHEMES:
        raise ValueError(f"unknown store scheme {scheme!r}: use a file path, duckdb:///, clickhouse://, "
                         "clickhouses:// or chdb:///")  # fmt: skip
    parts = urlsplit(text)
    query = parse_qs(parts.query)
    if scheme == "chdb":
        if not parts.path or parts.path == "/":
            raise ValueError("chdb URLs take a data directory: chdb:///path/to/ledger")
        database = query.get("database", [DEFAULT_DATABASE])[0]
        return ClickHouseTarget(scheme, _database(database), path=unquote(parts.path))
    if not parts.hostname:
        raise ValueError(f"{scheme}:// URLs need a host: {scheme}://user:password@host:8123/database")
    database = parts.path.strip("/") or DEFAULT_DATABASE
    return ClickHouseTarget(
        scheme,
        _database(unquote(database)),
        host=parts.hostname,
        port=parts.port or (8443 if scheme == "clickhouses" else 8123),
        user=unquote(parts.username or "default"),
        password=unquote(parts.password or ""),
        cluster=_database(query["cluster"][0]) if "cluster" in query else "",
    )


def _database(name: str) -> str:
    if not name.replace("_", "").isalnum():
        raise ValueError(f"database name {name!r} must be letters, digits and underscores")
    return name


def redact(target: Path | ClickHouseTarget | str) -> str:
    """What a log line may say about a store: its kind and place, never a password."""
    if isinstance(target, ClickHouseTarget):
        if target.embedded:
            return f"chdb://{target.path}?database={target.database}"
        return f"{target.scheme}://{target.user}@{target.host}:{target.port}/{target.database}"
    if isinstance(target, str) and "://" in target:
        try:
            return redact(parse_db(target))
        except ValueError:
            return "<invalid store URL>"
    return str(target)

"""The dashboard's settings, read from the environment in one place.

Precedence: explicit arguments to `tokenledger dashboard` are passed to the Streamlit process as these same
variables, so the app reads only the environment. The tokens come from `tokenledger.settings`, the one place they
are read (blank counts as unset there, for the CLI and the dashboard alike).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

from tokenledger.settings import load_settings as load_tokens

DEFAULT_COLLECTOR_URL = "http://127.0.0.1:4318"
COLLECTOR_URL_ENV = "TOKENLEDGER_COLLECTOR_URL"
CACHE_TTL_ENV = "TOKENLEDGER_DASHBOARD_CACHE_TTL_S"
DEFAULT_CACHE_TTL_S = 30


class SettingsError(ValueError):
    """An environment variable has a value the dashboard cannot use; the message names it."""


@dataclass(frozen=True)
class Settings:
    collector_url: str = DEFAULT_COLLECTOR_URL
    read_token: str | None = None
    admin_token: str | None = None
    cache_ttl_s: int = DEFAULT_CACHE_TTL_S

    def __repr__(self) -> str:  # never show a token
        return f"Settings(collector_url={self.collector_url!r}, cache_ttl_s={self.cache_ttl_s})"


def collector_url(text: str, source: str) -> str:
    """`text` as a collector base URL (no trailing slash); SettingsError naming `source` (the flag or variable that
    gave it) unless it is http(s) with a host: `127.0.0.1:4318` would otherwise parse as scheme `127.0.0.1`."""
    url = text.strip().rstrip("/")
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number in 0..65535
    except ValueError:
        parts = None
    if parts is None or parts.scheme not in ("http", "https") or not parts.hostname:
        raise SettingsError(f"{source} must be an http(s) URL with a host, like {DEFAULT_COLLECTOR_URL}; got {text!r}")
    return url


def load_settings(environ: Mapping[str, str] | None = None) -> Settings:
    """Settings from `environ` (default `os.environ`); a bad value raises SettingsError naming the variable."""
    env = os.environ if environ is None else environ
    url = collector_url(env.get(COLLECTOR_URL_ENV) or DEFAULT_COLLECTOR_URL, COLLECTOR_URL_ENV)
    ttl_text = env.get(CACHE_TTL_ENV) or str(DEFAULT_CACHE_TTL_S)
    try:
        ttl = int(ttl_text)
    except ValueError:
        raise SettingsError(f"{CACHE_TTL_ENV} must be a whole number of seconds, got {ttl_text!r}") from None
    if ttl < 0:
        raise SettingsError(f"{CACHE_TTL_ENV} must not be negative, got {ttl}")
    tokens = load_tokens(env)
    return Settings(collector_url=url, read_token=tokens.read_token, admin_token=tokens.admin_token, cache_ttl_s=ttl)

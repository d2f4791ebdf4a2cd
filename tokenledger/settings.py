"""The `tokenledger` commands' settings: the one place they read the collector tokens from the environment.

The collector reads the same variables in `collector/config.py` (it checks them); the commands here send them.
A read route takes the read token, else the admin token (accepted everywhere); ingest takes the ingest token, else
the admin token. Tokens are never printed: `repr` leaves them out.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

TRUE_WORDS = frozenset({"true", "1", "yes"})
FALSE_WORDS = frozenset({"false", "0", "no"})
BOOL_WORDS = "true/false/1/0/yes/no"
"""The one accepted set of boolean words (environment variables, query parameters, dashboard URLs)."""


def strict_bool(text: str) -> bool | None:
    """`text` as a boolean (one of BOOL_WORDS, case and surrounding spaces ignored), or None when it is not one."""
    word = text.strip().lower()
    return True if word in TRUE_WORDS else False if word in FALSE_WORDS else None


READ_TOKEN_ENV = "TOKENLEDGER_READ_TOKEN"
INGEST_TOKEN_ENV = "TOKENLEDGER_INGEST_TOKEN"
ADMIN_TOKEN_ENV = "TOKENLEDGER_ADMIN_TOKEN"
ANTHROPIC_ADMIN_KEY_ENV = "ANTHROPIC_ADMIN_KEY"
ANTHROPIC_ADMIN_BASE_URL_ENV = "ANTHROPIC_ADMIN_BASE_URL"


@dataclass(frozen=True, repr=False)
class Settings:
    read_token: str | None = None
    ingest_token: str | None = None
    admin_token: str | None = None
    anthropic_admin_key: str | None = None
    """ANTHROPIC_ADMIN_KEY: for `tokenledger reconcile anthropic` (Anthropic's usage and cost reports)."""
    anthropic_admin_base_url: str | None = None
    """ANTHROPIC_ADMIN_BASE_URL: the Admin API's URL when it is not api.anthropic.com (a local fake)."""

    def __repr__(self) -> str:
        shown = ", ".join(f"{k}={'set' if getattr(self, k) else 'unset'}" for k in self.__dataclass_fields__)
        return f"Settings({shown})"

    @property
    def read_headers(self) -> dict[str, str]:
        """`Authorization` for the collector's read routes (empty when no token is set)."""
        return _bearer(read_token_of(self.read_token, self.admin_token))

    @property
    def ingest_headers(self) -> dict[str, str]:
        """`Authorization` for `POST /v1/traces` (empty when no token is set)."""
        return _bearer(self.ingest_token or self.admin_token)

    @property
    def admin_headers(self) -> dict[str, str]:
        """`Authorization` for admin routes (rate cards, budgets; empty when no admin token is set)."""
        return _bearer(self.admin_token)


def read_token_of(read_token: str | None, admin_token: str | None) -> str | None:
    """The token a read route is sent: the read token, else the admin token (accepted everywhere)."""
    return read_token or admin_token


def _bearer(token: str | None) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"} if token else {}


def load_settings(environ: Mapping[str, str] | None = None) -> Settings:
    """Settings from `environ` (default: the process environment, now); blank values count as unset."""
    env = os.environ if environ is None else environ

    def text(name: str) -> str | None:
        return env.get(name, "").strip() or None

    return Settings(
        text(READ_TOKEN_ENV), text(INGEST_TOKEN_ENV), text(ADMIN_TOKEN_ENV), text(ANTHROPIC_ADMIN_KEY_ENV),
        text(ANTHROPIC_ADMIN_BASE_URL_ENV),
    )  # fmt: skip

"""The client's settings: the one place in `llm/` that reads environment variables.

Read once per call (`load_settings`), at call time, not import time, so a service (or a test) that changes its
environment is obeyed on its next call. The variables are read every call, but parsed only when one changed: the
last `Settings` is kept with the raw values it was built from (parsing and building it was a third of the client's
own per-call work). A bad value raises `llm.SettingsError` naming the variable, on every call until it is fixed.

| variable | meaning | default |
| --- | --- | --- |
| `ANTHROPIC_API_KEY`, `XAI_API_KEY` | provider keys; a missing key fails calls to it (`LLMUnavailableError`) | none |
| `ANTHROPIC_BASE_URL`, `XAI_BASE_URL` | a gateway or a local fake in place of the provider | the SDK's |
| `RESTRICT_MODELS` | block the Sonnet and Opus families (true/false/1/0/yes/no) | true |
| `LLM_MAX_RETRIES` | SDK retries on connection errors, 408/409/429/5xx | 2 |
| `LLM_TIMEOUT_S` | SDK timeout per request, seconds | 120 |
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field

from tokenledger.settings import BOOL_WORDS, strict_bool

from .errors import SettingsError


@dataclass(frozen=True)
class Settings:
    """The client's settings for one call. A third-party provider adapter reads its own variables."""

    anthropic_api_key: str | None = field(default=None, repr=False)
    anthropic_base_url: str | None = None
    xai_api_key: str | None = field(default=None, repr=False)
    xai_base_url: str | None = None
    restrict_models: bool = True
    max_retries: int = 2
    timeout_s: float = 120.0


def parse_bool(name: str, raw: str | None, default: bool) -> bool:
    """Strict boolean: true/false/1/0/yes/no, case-insensitive; anything else raises naming the variable."""
    if raw is None or raw.strip() == "":
        return default
    value = strict_bool(raw)
    if value is None:
        raise SettingsError(f"{name} must be one of {BOOL_WORDS}, got {raw!r}")
    return value


def _number(name: str, raw: str | None, default: float, kind: type) -> float:
    if raw is None or raw.strip() == "":
        return default
    try:
        value = kind(raw.strip())
    except ValueError:
        raise SettingsError(f"{name} must be a {kind.__name__}, got {raw!r}") from None
    if value < 0:
        raise SettingsError(f"{name} must be >= 0, got {raw!r}")
    return value


def _text(raw: str | None) -> str | None:
    value = (raw or "").strip()
    return value or None


_VARIABLES = (
    "ANTHROPIC_API_KEY",
    "ANTHROPIC_BASE_URL",
    "XAI_API_KEY",
    "XAI_BASE_URL",
    "RESTRICT_MODELS",
    "LLM_MAX_RETRIES",
    "LLM_TIMEOUT_S",
)
"""Every variable `Settings` is built from, in the order of `_parse`'s arguments."""

_last: tuple[tuple[str | None, ...], Settings] | None = None
"""The raw values of `_VARIABLES` at the last read of the process environment, and the settings built from them."""


def load_settings(environ: Mapping[str, str] | None = None) -> Settings:
    """Settings from `environ` (default: the process environment, now)."""
    global _last
    env = os.environ if environ is None else environ
    raw = tuple(env.get(name) for name in _VARIABLES)
    if environ is not None:
        return _parse(*raw)
    last = _last
    if last is not None and last[0] == raw:
        return last[1]
    settings = _parse(*raw)
    _last = (raw, settings)
    return settings


def _parse(
    anthropic_api_key: str | None,
    anthropic_base_url: str | None,
    xai_api_key: str | None,
    xai_base_url: str | None,
    restrict_models: str | None,
    max_retries: str | None,
    timeout_s: str | None,
) -> Settings:
    return Settings(
        anthropic_api_key=_text(anthropic_api_key),
        anthropic_base_url=_text(anthropic_base_url),
        xai_api_key=_text(xai_api_key),
        xai_base_url=_text(xai_base_url),
        restrict_models=parse_bool("RESTRICT_MODELS", restrict_models, True),
        max_retries=int(_number("LLM_MAX_RETRIES", max_retries, 2, int)),
        timeout_s=float(_number("LLM_TIMEOUT_S", timeout_s, 120.0, float)),
    )


def env_value(name: str) -> str | None:
    """One variable, read now (a call site's model key); blank counts as unset."""
    return _text(os.environ.get(name))

"""Provider SDK failures -> `llm.errors`, once for both SDKs (anthropic and openai share one exception tree)."""

from __future__ import annotations

import json
from types import ModuleType

import httpx2
import pydantic

from .errors import LLMError, LLMTimeoutError, LLMUpstreamError


def translate_sdk_error(exc: BaseException, sdk: ModuleType, provider: str, label: str, model: str) -> LLMError | None:
    """The `llm.errors` error for an SDK or transport failure, or None when `exc` is not a provider failure (a
    bug, a bad argument: it propagates as itself). The message never includes the response body."""
    if isinstance(exc, LLMError):
        return exc
    if isinstance(exc, sdk.APITimeoutError | httpx2.TimeoutException):
        return LLMTimeoutError(f"{label} did not answer in time", provider=provider, model=model, error_type="timeout")
    if isinstance(exc, sdk.APIStatusError):
        status = exc.status_code
        reason = "rejected the API key" if status in (401, 403) else f"returned HTTP {status}"
        return LLMUpstreamError(f"{label} {reason}", provider=provider, model=model, error_type=str(status))
    if isinstance(exc, sdk.APIConnectionError | httpx2.TransportError):
        return LLMUpstreamError(
            f"could not reach {label}, or the connection dropped",
            provider=provider,
            model=model,
            error_type="connection_error",
        )
    if isinstance(exc, sdk.APIResponseValidationError | json.JSONDecodeError | pydantic.ValidationError):
        return LLMUpstreamError(
            f"{label} sent a malformed response", provider=provider, model=model, error_type="malformed_response"
        )
    return None

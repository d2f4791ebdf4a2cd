"""FastAPI edge: map `llm.errors` to HTTP statuses so routers stay thin. The statuses are chosen here only."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from .errors import LLMError, LLMTimeoutError, LLMUnavailableError, LLMUpstreamError

__all__ = ["STATUS_BY_ERROR", "install_error_handlers", "status_for"]

STATUS_BY_ERROR: dict[type[LLMError], int] = {
    LLMUnavailableError: 503,  # the key is not configured here: retrying elsewhere, or later, may work
    LLMTimeoutError: 504,
    LLMUpstreamError: 502,
    LLMError: 502,
}
"""HTTP status per error class; an error takes the status of its nearest class in this table."""


def status_for(error: LLMError) -> int:
    """The HTTP status a route answers `error` with: 503 unavailable, 502 upstream failure, 504 timeout."""
    return next(STATUS_BY_ERROR[cls] for cls in type(error).__mro__ if cls in STATUS_BY_ERROR)


async def _llm_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, LLMError)
    # Only our own message: it never holds an API key or the provider's response body.
    body = {"error": exc.message, "provider": exc.provider, "model": exc.model}
    return JSONResponse(status_code=status_for(exc), content=body)


def install_error_handlers(app: FastAPI) -> None:
    """Answer `LLMUnavailableError` with 503, `LLMUpstreamError` with 502 (timeouts 504), as
    `{"error": ..., "provider": ..., "model": ...}`."""
    app.add_exception_handler(LLMError, _llm_error)

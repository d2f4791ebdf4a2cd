"""FastAPI edge: map `llm.errors` to HTTP statuses so routers stay thin."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from .errors import LLMError


async def _llm_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, LLMError)
    # Only our own message: it never holds an API key or the provider's response body.
    body = {"error": exc.message, "provider": exc.provider, "model": exc.model}
    return JSONResponse(status_code=exc.status_code, content=body)


def install_error_handlers(app: FastAPI) -> None:
    """Answer `LLMUnavailableError` with 503, `LLMUpstreamError` with 502 (timeouts 504), as
    `{"error": ..., "provider": ..., "model": ...}`."""
    app.add_exception_handler(LLMError, _llm_error)

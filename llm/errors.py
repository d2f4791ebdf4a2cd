"""Errors of the LLM client. Provider SDK errors are translated into these once, in the provider modules.

    LLMError                     status_code 502 by default; .provider, .model, .error_type
     ├── LLMUnavailableError     503: the provider's API key is not configured
     └── LLMUpstreamError        502: the provider failed (refused, 5xx, key rejected, malformed response)
          └── LLMTimeoutError    504: the provider did not answer in time

Messages never contain an API key or provider response bodies.
"""

from __future__ import annotations


class LLMError(Exception):
    """A model call failed. `error_type` is the low-cardinality value recorded as the span's `error.type`."""

    status_code = 502

    def __init__(self, message: str, *, provider: str, model: str, error_type: str = "error") -> None:
        super().__init__(message)
        self.message = message
        self.provider = provider
        self.model = model
        self.error_type = error_type


class LLMUnavailableError(LLMError):
    """The provider cannot be called here: its API key is missing (HTTP 503)."""

    status_code = 503


class LLMUpstreamError(LLMError):
    """The provider failed: connection refused, 5xx, key rejected upstream, malformed or cut response (HTTP 502)."""

    status_code = 502


class LLMTimeoutError(LLMUpstreamError):
    """The provider did not answer in time (HTTP 504)."""

    status_code = 504

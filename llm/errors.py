"""Errors of the LLM client. Provider SDK errors are translated into these once, by `llm._translate.provider_errors`.

    LLMError                     a model call failed; .provider, .model, .error_type
     ├── LLMUnavailableError     the provider cannot be called here: API key missing, model not supported there
     └── LLMUpstreamError        the provider failed (refused, 5xx, key rejected, malformed or cut response)
          └── LLMTimeoutError    the provider did not answer in time
    SettingsError (ValueError)   an environment variable of the client has a value it cannot use

HTTP statuses are chosen at the edge, in `llm.fastapi`. Messages never contain an API key or provider response
bodies.
"""

from __future__ import annotations


class LLMError(Exception):
    """A model call failed. `error_type` is the low-cardinality value recorded as the span's `error.type`."""

    def __init__(self, message: str, *, provider: str, model: str, error_type: str = "error") -> None:
        super().__init__(message)
        self.message = message
        self.provider = provider
        self.model = model
        self.error_type = error_type


class LLMUnavailableError(LLMError):
    """The provider cannot be called here: its API key is missing, or it does not offer what was asked."""

    @classmethod
    def key_missing(cls, variable: str, *, provider: str, model: str) -> LLMUnavailableError:
        """The error for a provider whose API key variable is not set (`error.type` `api_key_missing`)."""
        return cls(f"{variable} is not set", provider=provider, model=model, error_type="api_key_missing")


class LLMUpstreamError(LLMError):
    """The provider failed: connection refused, 5xx, key rejected upstream, malformed or cut response."""


class LLMTimeoutError(LLMUpstreamError):
    """The provider did not answer in time."""


class SettingsError(ValueError):
    """An environment variable has a value the client cannot use; the message names the variable."""

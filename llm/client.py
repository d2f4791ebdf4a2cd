"""`simple_complete`: one prompt in, text out, routed by the provider table, recorded as one span."""

from __future__ import annotations

import logging

import httpx2
from opentelemetry import trace

from ._call import call_span, prepare
from .providers import PROVIDERS, provider_for

__all__ = ["aclose_clients", "provider_for", "simple_complete"]


async def simple_complete(
    model: str,
    system: str,
    user_prompt: str,
    max_tokens: int,
    logger: logging.Logger | None,
    *,
    layer: str | None = None,
    http_client: httpx2.AsyncClient | None = None,
) -> str:
    """Complete `user_prompt` with `model` and return the text.

    `claude-*` models go to Anthropic (`anthropic.AsyncAnthropic`), others to xAI (`langchain_xai.ChatXAI`); each
    SDK is imported only when its path is taken (see `llm.providers` to add a provider). RESTRICT_MODELS applies
    here too. The call is recorded as one span (see docs/telemetry.md). Raises `LLMUnavailableError` (no API
    key), `LLMUpstreamError` (the provider failed) or `SettingsError` (a bad environment variable).
    `http_client` (an `httpx2.AsyncClient`) replaces the cached SDK client's transport, for tests.
    """
    log = logger or logging.getLogger("llm")
    settings, adapter, record = prepare(model, log, layer=layer, max_tokens=max_tokens)
    with call_span(record, adapter, log) as span:
        with trace.use_span(span, end_on_exit=False, record_exception=False, set_status_on_exception=False):
            return await adapter.complete(settings, record, system, user_prompt, max_tokens, http_client)


async def aclose_clients() -> None:
    """Close the SDK clients cached for the running event loop: call it when a service shuts down."""
    for adapter in list(PROVIDERS.values()):
        await adapter.aclose_clients()

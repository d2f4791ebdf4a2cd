"""`simple_complete`: one prompt in, text out, routed by the provider table, recorded as one span."""

from __future__ import annotations

import logging

import httpx2
from opentelemetry import context, trace

from ._call import call_span, prepare
from .providers import PROVIDERS, provider_for

__all__ = ["aclose_clients", "provider_for", "simple_complete"]

_LOG = logging.getLogger("llm")


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
    log = logger or _LOG
    settings, adapter, record = prepare(model, log, layer=layer, max_tokens=max_tokens)
    with call_span(record, adapter, log) as span:
        # The span is current for the provider call: what `trace.use_span` does (with record_exception and
        # set_status_on_exception off), without its generator around every call.
        token = context.attach(trace.set_span_in_context(span))
        try:
            return await adapter.complete(settings, record, system, user_prompt, max_tokens, http_client)
        finally:
            context.detach(token)


async def aclose_clients() -> None:
    """Close the SDK clients cached for the running event loop: call it when a service shuts down."""
    for adapter in list(PROVIDERS.values()):
        await adapter.aclose_clients()

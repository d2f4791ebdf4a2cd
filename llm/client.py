"""`simple_complete`: one prompt in, text out, routed by model prefix, recorded as one span."""

from __future__ import annotations

import asyncio
import logging
import sys
import time

import httpx2
from opentelemetry import trace

from . import _anthropic, policy, telemetry
from ._settings import load_settings
from .errors import LLMError
from .telemetry import CallRecord


def provider_for(model: str) -> str:
    """`anthropic` for `claude-*` models, `x_ai` for every other model."""
    return "anthropic" if model.lower().startswith("claude-") else "x_ai"


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

    `claude-*` models go to Anthropic (`anthropic.AsyncAnthropic`), others to xAI (`langchain_xai.ChatXAI`,
    imported only then). RESTRICT_MODELS applies here too. The call is recorded as one span (see
    docs/telemetry.md). Raises `LLMUnavailableError` (no API key) or `LLMUpstreamError` (the provider failed).
    `http_client` (an `httpx2.AsyncClient`) replaces the cached SDK client's transport, for tests.
    """
    log = logger or logging.getLogger("llm")
    chosen = policy.enforce(model, log)
    record = CallRecord(
        provider=provider_for(chosen),
        request_model=str(chosen),
        layer=layer,
        max_tokens=max_tokens,
        requested_model=chosen.requested_model,
    )
    start_ns = time.time_ns()
    span = telemetry.start_span(record, start_time_ns=start_ns)
    try:
        settings = load_settings()
        with trace.use_span(span, end_on_exit=False, record_exception=False, set_status_on_exception=False):
            if record.provider == "anthropic":
                text = await _anthropic.complete(settings, record, system, user_prompt, max_tokens, http_client)
            else:
                from . import _xai  # deferred: langchain_xai is heavy and only the xAI path needs it

                text = await _xai.complete(settings, record, system, user_prompt, max_tokens, http_client)
    except LLMError as err:
        record.error_type = err.error_type
        log.warning("LLM call failed: provider=%s model=%s error=%s", err.provider, err.model, err.error_type)
        raise
    except BaseException as exc:  # cancelled, or a bug: the span still ends
        record.error_type = "cancelled" if isinstance(exc, asyncio.CancelledError) else type(exc).__name__
        raise
    finally:
        telemetry.finish_span(span, record, start_time_ns=start_ns)
    return text


async def aclose_clients() -> None:
    """Close the SDK clients cached for the running event loop: call it when a service shuts down."""
    await _anthropic.aclose_clients()
    if "llm._xai" in sys.modules:  # never import the xAI path just to close it
        await sys.modules["llm._xai"].aclose_clients()

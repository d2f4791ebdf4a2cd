"""`stream_chat`: the chat layer's Anthropic-native stream, recorded as one span per stream."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Iterable
from typing import Any

import anyio
import httpx2
from anthropic.types import RawMessageStreamEvent
from opentelemetry import trace

from . import _anthropic, policy, telemetry
from ._settings import load_settings
from .client import provider_for
from .errors import LLMUnavailableError, LLMUpstreamError
from .telemetry import CallRecord


async def stream_chat(
    model: str,
    system: str | None,
    messages: Iterable[dict[str, Any]],
    max_tokens: int,
    logger: logging.Logger | None,
    *,
    layer: str = "chat",
    tools: list[dict[str, Any]] | None = None,
    http_client: httpx2.AsyncClient | None = None,
) -> AsyncIterator[RawMessageStreamEvent]:
    """Stream a Messages API call: yields the SDK's raw events (`message_start`, `content_block_delta`, ...).

    Tool-use blocks pass through as the SDK gives them. (The SDK itself drops the API's `ping` keepalives:
    `llm.sse_frames` encodes the events for a route and sends keepalives of its own.) The request is sent on the
    first `anext()`: pull the first event before starting an HTTP response to turn a missing key (503) or a
    provider failure (502) into an error status. The span ends when the stream ends: completed, failed
    (`error.type`), or cancelled by the consumer (`aclose()`, task cancelled: `error.type=cancelled`, with the
    usage seen so far). Anthropic models only.
    """
    log = logger or logging.getLogger("llm")
    chosen = policy.enforce(model, log)
    record = CallRecord(
        provider="anthropic",
        request_model=str(chosen),
        layer=layer,
        max_tokens=max_tokens,
        requested_model=chosen.requested_model,
        streaming=True,
    )
    start_ns = time.time_ns()
    started = time.monotonic_ns()
    span = telemetry.start_span(record, start_time_ns=start_ns)
    stream = None
    completed = False
    try:
        if provider_for(chosen) != "anthropic":
            raise LLMUnavailableError(
                "stream_chat streams Anthropic (claude-*) models only",
                provider="anthropic",
                model=str(chosen),
                error_type="unsupported_model",
            )
        client = _anthropic.client_for(load_settings(), str(chosen), http_client)
        request: dict[str, Any] = {"model": str(chosen), "max_tokens": max_tokens, "messages": list(messages)}
        if system:
            request["system"] = system
        if tools:
            request["tools"] = tools
        with trace.use_span(span, end_on_exit=False, record_exception=False, set_status_on_exception=False):
            stream = await client.messages.create(**request, stream=True)
        async for event in stream:
            _observe(record, event, started)
            completed = completed or event.type == "message_stop"
            yield event
        if not completed:
            raise LLMUpstreamError(
                "Anthropic's stream ended before message_stop",
                provider="anthropic",
                model=str(chosen),
                error_type="stream_incomplete",
            )
    except (GeneratorExit, asyncio.CancelledError):
        record.error_type = "cancelled"
        raise
    except Exception as exc:
        err = _anthropic.translate(exc, str(chosen))
        if err is None:
            record.error_type = type(exc).__name__
            raise
        record.error_type = err.error_type
        log.warning("LLM stream failed: provider=%s model=%s error=%s", err.provider, err.model, err.error_type)
        if err is exc:
            raise
        raise err from exc
    finally:
        # End the span before anything awaits: inside a cancelled scope every await is cancelled again.
        telemetry.finish_span(span, record, start_time_ns=start_ns)
        if stream is not None:
            with anyio.CancelScope(shield=True):
                await stream.close()


def _observe(record: CallRecord, event: RawMessageStreamEvent, started_ns: int) -> None:
    if event.type == "message_start":
        record.response_id = event.message.id
        record.response_model = event.message.model
        _anthropic.apply_usage(record, event.message.usage)
    elif event.type == "message_delta":
        _anthropic.apply_usage(record, event.usage)  # cumulative counts
    elif event.type == "content_block_delta" and record.ttft_ms is None:
        record.ttft_ms = (time.monotonic_ns() - started_ns) / 1e6

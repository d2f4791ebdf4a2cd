"""`stream_chat`: the chat layer's Anthropic-native stream, recorded as one span per stream."""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator, Iterable
from typing import TYPE_CHECKING, Any

import anyio
import httpx2
from opentelemetry import trace

from ._anthropic import apply_usage
from ._call import call_span, prepare
from .errors import LLMUpstreamError
from .telemetry import CallRecord

if TYPE_CHECKING:
    from anthropic.types import RawMessageStreamEvent


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
    usage seen so far). Anthropic models only (other providers' models fail with `unsupported_model`).
    """
    log = logger or logging.getLogger("llm")
    settings, adapter, record = prepare(model, log, layer=layer, max_tokens=max_tokens, streaming=True)
    request: dict[str, Any] = {"model": record.request_model, "max_tokens": max_tokens, "messages": list(messages)}
    if system:
        request["system"] = system
    if tools:
        request["tools"] = tools
    started = time.monotonic_ns()
    stream = None
    try:
        # The span ends when this block does, before the stream is closed below: inside a cancelled scope every
        # await is cancelled again.
        with call_span(record, adapter, log) as span:
            with trace.use_span(span, end_on_exit=False, record_exception=False, set_status_on_exception=False):
                stream = await adapter.stream(settings, request, http_client)
            completed = False
            async for event in stream:
                _observe(record, event, started)
                completed = completed or event.type == "message_stop"
                yield event
            if not completed:
                raise LLMUpstreamError(
                    f"{adapter.label}'s stream ended before message_stop",
                    provider=adapter.name,
                    model=record.request_model,
                    error_type="stream_incomplete",
                )
    finally:
        if stream is not None:
            with anyio.CancelScope(shield=True):
                await stream.close()


def _observe(record: CallRecord, event: RawMessageStreamEvent, started_ns: int) -> None:
    if event.type == "message_start":
        record.response_id = event.message.id
        record.response_model = event.message.model
        apply_usage(record, event.message.usage)
    elif event.type == "message_delta":
        apply_usage(record, event.usage)  # cumulative counts
    elif event.type == "content_block_delta" and record.ttft_ms is None:
        record.ttft_ms = (time.monotonic_ns() - started_ns) / 1e6

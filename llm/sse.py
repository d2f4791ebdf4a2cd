"""`sse_frames`: encode `stream_chat`'s events as Server-Sent Events for a chat route, with keepalives."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from anthropic.types import RawMessageStreamEvent

PING_FRAME = 'event: ping\ndata: {"type": "ping"}\n\n'
"""Anthropic's own keepalive frame."""


def frame(event: RawMessageStreamEvent) -> str:
    """One event in the Messages API's wire format: `event: <type>` and `data: <json>`."""
    return f"event: {event.type}\ndata: {event.model_dump_json()}\n\n"


async def sse_frames(
    stream: AsyncIterator[RawMessageStreamEvent],
    *,
    first: RawMessageStreamEvent | None = None,
    keepalive_s: float | None = 15.0,
) -> AsyncIterator[str]:
    """The stream's events as SSE frames (tool-use blocks included, as the SDK gives them), plus a `ping` frame
    whenever upstream has been silent for `keepalive_s` (None: never).

    The SDK drops the API's own pings, so without these an idle chat connection can be cut by a proxy while the
    model thinks. `first` is an event the route already pulled (to turn an early failure into a 503/502 status).
    Closing this generator (the client went away) closes `stream`, whose span then ends as cancelled.

        stream = llm.stream_chat(model, system, messages, 1024, logger)
        first = await anext(stream)
        return StreamingResponse(llm.sse_frames(stream, first=first), media_type="text/event-stream")
    """
    pending: asyncio.Future | None = None
    try:
        if first is not None:
            yield frame(first)
        while True:
            # The read runs as its own task, so a keepalive never cancels it: it is waited for, not timed out.
            pending = pending or asyncio.ensure_future(anext(stream))
            done, _ = await asyncio.wait({pending}, timeout=keepalive_s)
            if not done:
                yield PING_FRAME
                continue
            finished, pending = pending, None
            try:
                event = finished.result()
            except StopAsyncIteration:
                return
            yield frame(event)
    finally:
        if pending is not None and not pending.done():
            pending.cancel()
            with contextlib.suppress(BaseException):
                await pending
        await stream.aclose()

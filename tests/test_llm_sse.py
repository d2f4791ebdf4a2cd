"""sse_frames: stream_chat's events as SSE frames, keepalives while upstream is silent, closing ends the span."""

from __future__ import annotations

import json
import logging
import threading

import pytest
from helpers.llm import llm_spans, only_llm_span

from llm import sse_frames, stream_chat
from tokenledger import contract as t

pytestmark = [pytest.mark.anyio, pytest.mark.usefixtures("close_llm_clients")]
log = logging.getLogger("test.sse")
MESSAGES = [{"role": "user", "content": "hello"}]
TOOL = {"name": "search_docs", "input_schema": {"type": "object", "properties": {"query": {"type": "string"}}}}


def _parse(frame: str) -> tuple[str, dict]:
    event_line, data_line = frame.rstrip("\n").split("\n")
    assert event_line.startswith("event: ") and data_line.startswith("data: ")
    return event_line.removeprefix("event: "), json.loads(data_line.removeprefix("data: "))


async def test_frames_carry_every_event_in_the_api_wire_format(llm_env, spans):
    plain = [e async for e in stream_chat("claude-haiku-4-5", "sys", MESSAGES, 64, log, tools=[TOOL])]
    frames = [f async for f in sse_frames(stream_chat("claude-haiku-4-5", "sys", MESSAGES, 64, log, tools=[TOOL]))]
    parsed = [_parse(f) for f in frames if f != 'event: ping\ndata: {"type": "ping"}\n\n']
    assert [name for name, _ in parsed] == [e.type for e in plain]
    assert all(data["type"] == name for name, data in parsed)
    tool_starts = [d for n, d in parsed if n == "content_block_start" and d["content_block"]["type"] == "tool_use"]
    assert [d["content_block"]["name"] for d in tool_starts] == ["search_docs"]
    assert len(llm_spans(spans)) == 2 and all(t.ERROR_TYPE not in s.attributes for s in llm_spans(spans))


async def test_keepalive_pings_go_out_while_upstream_is_silent(llm_env, spans, fake_anthropic):
    gate = threading.Event()
    fake_anthropic._config.stream_hold = gate  # upstream goes silent after its first text delta, until released
    names: list[str] = []
    try:
        async for frame in sse_frames(stream_chat("claude-haiku-4-5", "sys", MESSAGES, 64, log), keepalive_s=0.05):
            name, data = _parse(frame)
            names.append(name)
            if name == "ping":
                assert data == {"type": "ping"}
                if "content_block_delta" in names:
                    gate.set()  # a keepalive went out while upstream was held: let the stream finish
    finally:
        gate.set()
    silent_from = names.index("content_block_delta")
    assert "ping" in names[silent_from:], names
    events = [n for n in names if n != "ping"]  # pings may also go out before the first event, if it is slow
    assert events[0] == "message_start" and events[-1] == "message_stop"
    span = only_llm_span(spans)  # the keepalive never cancelled the upstream read
    assert t.ERROR_TYPE not in span.attributes and span.attributes[t.OUTPUT_TOKENS] > 1


async def test_closing_the_frames_closes_the_stream_and_ends_its_span_as_cancelled(llm_env, spans, fake_anthropic):
    gate = threading.Event()
    fake_anthropic._config.stream_hold = gate
    try:
        frames = sse_frames(stream_chat("claude-haiku-4-5", "sys", MESSAGES, 64, log), keepalive_s=0.05)
        seen_delta = False
        async for frame in frames:
            seen_delta = seen_delta or frame.startswith("event: content_block_delta")
            if seen_delta and frame.startswith("event: ping"):
                break  # the client goes away while upstream is held silent and a read is pending
        await frames.aclose()
    finally:
        gate.set()
    span = only_llm_span(spans)
    assert span.attributes[t.ERROR_TYPE] == "cancelled"

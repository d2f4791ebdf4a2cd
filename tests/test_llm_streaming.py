"""stream_chat: raw SDK events pass through; one span per stream, ended on completion, failure and cancellation."""

from __future__ import annotations

import asyncio
import logging
import threading

import pytest
from helpers.llm import ANTHROPIC_KEY, llm_spans, only_llm_span
from opentelemetry.trace import StatusCode

from llm import LLMUnavailableError, LLMUpstreamError, stream_chat
from llm.fastapi import status_for
from tokenledger import contract as t
from tokenledger.fakes import FakeUsage

pytestmark = [pytest.mark.anyio, pytest.mark.usefixtures("close_llm_clients")]
log = logging.getLogger("test.streaming")
USAGE = FakeUsage(input_tokens=5_000, output_tokens=400, cache_read_tokens=3_000, cache_write_tokens=1_000)
MESSAGES = [{"role": "user", "content": "hello"}]
TOOL = {"name": "search_docs", "input_schema": {"type": "object", "properties": {"query": {"type": "string"}}}}


async def test_events_pass_through_and_the_span_has_stream_usage_and_ttft(llm_env, spans, fake_anthropic):
    fake_anthropic.usage = lambda body: USAGE
    events = [e async for e in stream_chat("claude-haiku-4-5", "sys", MESSAGES, 256, log, tools=[TOOL])]
    types = [e.type for e in events]
    assert types[0] == "message_start" and types[-1] == "message_stop"
    assert "content_block_delta" in types and "message_delta" in types
    tool_blocks = [e for e in events if e.type == "content_block_start" and e.content_block.type == "tool_use"]
    assert [b.content_block.name for b in tool_blocks] == ["search_docs"]
    assert fake_anthropic.requests[0].body["tools"] == [TOOL] and fake_anthropic.requests[0].body["stream"] is True
    span = only_llm_span(spans)
    a = span.attributes
    assert a[t.STREAMING] is True and a[t.LAYER] == "chat" and a[t.TTFT_MS] > 0
    assert a[t.INPUT_TOKENS] == 5_000 and a[t.OUTPUT_TOKENS] == 400  # output from message_delta, not message_start
    assert a[t.CACHE_READ_TOKENS] == 3_000 and a[t.CACHE_WRITE_TOKENS] == 1_000
    assert a[t.RESPONSE_ID] == events[0].message.id and a[t.COST_USD] and a[t.PRICING_UNKNOWN] is False
    assert span.status.status_code is StatusCode.UNSET and t.ERROR_TYPE not in a


async def test_the_span_ends_when_the_stream_ends_not_before(llm_env, spans):
    stream = stream_chat("claude-haiku-4-5", None, MESSAGES, 64, log)
    first = await anext(stream)
    assert first.type == "message_start"
    assert llm_spans(spans) == []  # still open
    async for _ in stream:
        pass
    assert only_llm_span(spans).attributes[t.OUTPUT_TOKENS] > 0


async def test_consumer_closing_the_stream_ends_the_span_as_cancelled(llm_env, spans, fake_anthropic):
    gate = threading.Event()
    fake_anthropic._config.stream_hold = gate
    fake_anthropic.usage = lambda body: USAGE
    try:
        stream = stream_chat("claude-haiku-4-5", "sys", MESSAGES, 64, log)
        async for event in stream:
            if event.type == "content_block_delta":
                break
        await stream.aclose()
    finally:
        gate.set()
    span = only_llm_span(spans)
    assert span.attributes[t.ERROR_TYPE] == "cancelled" and span.status.status_code is StatusCode.ERROR
    # Usage seen so far: input from message_start; output is what message_start reported (the final count never came).
    assert span.attributes[t.INPUT_TOKENS] == 5_000 and span.attributes[t.OUTPUT_TOKENS] == 1
    assert span.attributes[t.TTFT_MS] > 0


async def test_cancelling_the_consuming_task_ends_the_span_as_cancelled(llm_env, spans, fake_anthropic):
    gate = threading.Event()
    fake_anthropic._config.stream_hold = gate
    first_delta = asyncio.Event()

    async def consume() -> None:
        async for event in stream_chat("claude-haiku-4-5", "sys", MESSAGES, 64, log):
            if event.type == "content_block_delta":
                first_delta.set()  # the fake now holds the stream: the next anext() waits on the network

    task = asyncio.create_task(consume())
    try:
        await asyncio.wait_for(first_delta.wait(), timeout=10)
        assert llm_spans(spans) == []
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
    finally:
        gate.set()
    span = only_llm_span(spans)
    assert span.attributes[t.ERROR_TYPE] == "cancelled" and span.attributes[t.STREAMING] is True


@pytest.mark.parametrize(
    ("failure", "error_type"),
    [
        ("http_500", "500"),
        ("unauthorized", "401"),
        ("malformed", "malformed_response"),
        ("stream_cut", "connection_error"),
    ],
)
async def test_stream_failures_are_502_and_end_the_span(llm_env, spans, fake_anthropic, caplog, failure, error_type):
    fake_anthropic.failure = failure
    seen = []
    with caplog.at_level(logging.DEBUG), pytest.raises(LLMUpstreamError) as caught:
        async for event in stream_chat("claude-haiku-4-5", "sys", MESSAGES, 64, log):
            seen.append(event.type)
    assert caught.value.error_type == error_type and status_for(caught.value) == 502
    span = only_llm_span(spans)
    assert span.attributes[t.ERROR_TYPE] == error_type and span.status.status_code is StatusCode.ERROR
    if failure == "stream_cut":  # part of the stream arrived: its usage is kept
        assert seen[0] == "message_start" and span.attributes[t.INPUT_TOKENS] > 0
    assert ANTHROPIC_KEY not in caplog.text and ANTHROPIC_KEY not in str(caught.value)


async def test_missing_key_fails_on_the_first_event(llm_env, spans):
    llm_env.delenv("ANTHROPIC_API_KEY")
    stream = stream_chat("claude-haiku-4-5", "sys", MESSAGES, 64, log)
    with pytest.raises(LLMUnavailableError):
        await anext(stream)
    assert only_llm_span(spans).attributes[t.ERROR_TYPE] == "api_key_missing"


async def test_non_anthropic_models_are_refused(llm_env, spans, fake_xai):
    with pytest.raises(LLMUnavailableError, match="Anthropic"):
        await anext(stream_chat("grok-4", "sys", MESSAGES, 64, log))
    assert not fake_xai.requests
    assert only_llm_span(spans).attributes[t.ERROR_TYPE] == "unsupported_model"


async def test_restricted_model_is_substituted_on_the_stream_too(llm_env, spans, fake_anthropic):
    async for _ in stream_chat("claude-sonnet-4-5", "sys", MESSAGES, 64, log):
        pass
    assert fake_anthropic.requests[0].body["model"] == "claude-haiku-4-5-20251001"
    assert only_llm_span(spans).attributes[t.REQUESTED_MODEL] == "claude-sonnet-4-5"

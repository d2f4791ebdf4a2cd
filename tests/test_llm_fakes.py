"""The fake providers answer like the real APIs on the wire, so the SDKs parse them as they would the real thing."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time

import anthropic
import httpx2
import openai
import pytest

from tokenledger.fakes import FAILURES, FakeAnthropic, FakePlan, FakeUsage, FakeXAI

pytestmark = pytest.mark.anyio

KEY = "sk-test-not-a-real-key"
USAGE = FakeUsage(
    input_tokens=1000, output_tokens=50, cache_read_tokens=600, cache_write_tokens=100, reasoning_tokens=10
)


def _messages_body(**extra):
    return {"model": "claude-haiku-4-5", "max_tokens": 64, "messages": [{"role": "user", "content": "hi"}], **extra}


def test_anthropic_wire_usage_excludes_cache_from_input_tokens():
    with FakeAnthropic(usage=lambda body: USAGE) as fake:
        response = httpx2.post(f"{fake.base_url}/v1/messages", json=_messages_body(), headers={"x-api-key": KEY})
    assert response.status_code == 200
    usage = response.json()["usage"]
    assert usage["input_tokens"] == 300  # 1000 - 600 cache read - 100 cache write
    assert usage["cache_read_input_tokens"] == 600
    assert usage["cache_creation_input_tokens"] == 100
    assert usage["output_tokens"] == 50
    assert usage["output_tokens_details"] == {"thinking_tokens": 10}
    assert fake.requests[0].body["model"] == "claude-haiku-4-5"
    assert fake.requests[0].had_api_key is True


def test_xai_wire_usage_includes_cache_and_excludes_reasoning_from_completion():
    with FakeXAI(usage=lambda body: USAGE) as fake:
        body = {"model": "grok-4", "messages": [{"role": "user", "content": "hi"}]}
        response = httpx2.post(
            f"{fake.base_url}/chat/completions", json=body, headers={"Authorization": f"Bearer {KEY}"}
        )
    usage = response.json()["usage"]
    assert usage["prompt_tokens"] == 1000
    assert usage["prompt_tokens_details"]["cached_tokens"] == 600
    assert usage["completion_tokens"] == 40
    assert usage["completion_tokens_details"]["reasoning_tokens"] == 10
    assert usage["total_tokens"] == 1050


@pytest.mark.parametrize("fake_class", [FakeAnthropic, FakeXAI])
def test_requests_without_a_key_are_rejected_and_credentials_never_stored(fake_class):
    with fake_class() as fake:
        path = "/v1/messages" if fake_class is FakeAnthropic else "/v1/chat/completions"
        no_key = httpx2.post(f"http://127.0.0.1:{fake.port}{path}", json=_messages_body())
        with_key = httpx2.post(
            f"http://127.0.0.1:{fake.port}{path}", json=_messages_body(), headers={"Authorization": f"Bearer {KEY}"}
        )
    assert no_key.status_code == 401
    assert with_key.status_code == 200
    assert [r.had_api_key for r in fake.requests] == [False, True]
    assert KEY not in repr(fake.requests)


async def test_anthropic_stream_has_the_real_event_sequence_with_tool_use():
    tool = {"name": "lookup", "input_schema": {"type": "object", "properties": {"q": {"type": "string"}}}}
    with FakeAnthropic(usage=lambda body: USAGE) as fake:
        client = anthropic.AsyncAnthropic(api_key=KEY, base_url=fake.base_url, max_retries=0, open_telemetry=False)
        stream = await client.messages.create(**_messages_body(tools=[tool]), stream=True)
        events = [event async for event in stream]
        await client.close()
    types = [event.type for event in events]
    assert types[0] == "message_start" and types[-2:] == ["message_delta", "message_stop"]
    tool_start = next(e for e in events if e.type == "content_block_start" and e.content_block.type == "tool_use")
    assert tool_start.content_block.name == "lookup"
    deltas = [
        e.delta.partial_json for e in events if e.type == "content_block_delta" and e.delta.type == "input_json_delta"
    ]
    assert json.loads("".join(deltas)) == {"q": "fake"}
    assert events[0].message.usage.cache_read_input_tokens == 600
    assert events[-2].usage.output_tokens == 50
    assert events[-2].delta.stop_reason == "tool_use"


def test_raw_stream_sends_ping_keepalive():
    with FakeAnthropic() as fake:
        response = httpx2.post(
            f"{fake.base_url}/v1/messages", json=_messages_body(stream=True), headers={"x-api-key": KEY}
        )
    assert "event: ping" in response.text


async def test_xai_stream_reports_usage_in_the_last_chunk():
    with FakeXAI(usage=lambda body: USAGE) as fake:
        client = openai.AsyncOpenAI(api_key=KEY, base_url=fake.base_url, max_retries=0)
        stream = await client.chat.completions.create(
            model="grok-4",
            messages=[{"role": "user", "content": "hi"}],
            stream=True,
            stream_options={"include_usage": True},
        )
        chunks = [chunk async for chunk in stream]
        await client.close()
    assert chunks[-1].usage.prompt_tokens == 1000
    assert "".join(c.choices[0].delta.content or "" for c in chunks if c.choices).startswith(
        "Hello from the fake grok-4"
    )


@pytest.mark.parametrize("mode", sorted(FAILURES))
async def test_each_failure_mode_fails_the_sdk_call(mode):
    with FakeAnthropic(failure=mode) as fake:
        client = anthropic.AsyncAnthropic(api_key=KEY, base_url=fake.base_url, max_retries=0, open_telemetry=False)
        with pytest.raises(Exception) as caught:
            stream = await client.messages.create(**_messages_body(), stream=True)
            async for _ in stream:
                pass
        await client.close()
    expected = {
        "http_500": anthropic.InternalServerError,
        "unauthorized": anthropic.AuthenticationError,
        "malformed": json.JSONDecodeError,
        "stream_cut": httpx2.RemoteProtocolError,
        "overloaded": anthropic.APIStatusError,
        "disconnect": anthropic.APIConnectionError,
    }[mode]
    assert isinstance(caught.value, expected)
    if mode == "overloaded":
        assert caught.value.status_code == 529


def test_unknown_failure_mode_is_refused():
    with pytest.raises(ValueError, match="unknown failure mode"):
        FakeAnthropic(failure="gremlins")


def test_stream_hold_pauses_after_the_first_text_delta_until_released():
    gate = threading.Event()
    with FakeAnthropic(stream_hold=gate) as fake:
        with httpx2.stream(
            "POST", f"{fake.base_url}/v1/messages", json=_messages_body(stream=True), headers={"x-api-key": KEY}
        ) as response:
            seen = ""
            lines = response.iter_lines()
            while "content_block_delta" not in seen:
                seen += next(lines) + "\n"
            assert "message_stop" not in seen
            gate.set()
            rest = "\n".join(lines)
    assert "message_stop" in rest


def test_module_entry_point_serves_both_fakes():
    proc = subprocess.Popen(
        [sys.executable, "-m", "tokenledger.fakes", "--anthropic-port", "0", "--xai-port", "0"],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        urls = dict(proc.stdout.readline().strip().split("=", 1) for _ in range(2))
        response = httpx2.post(
            f"{urls['ANTHROPIC_BASE_URL']}/v1/messages", json=_messages_body(), headers={"x-api-key": KEY}, timeout=10
        )
        assert response.json()["type"] == "message"
        response = httpx2.post(
            f"{urls['XAI_BASE_URL']}/chat/completions",
            json={"model": "grok-4", "messages": []},
            headers={"Authorization": f"Bearer {KEY}"},
            timeout=10,
        )
        assert response.json()["object"] == "chat.completion"
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        proc.stdout.close()


def test_a_failing_usage_policy_answers_500(caplog):
    def policy(body):
        raise KeyError("layer")

    with caplog.at_level("ERROR", logger="tokenledger.fakes"), FakeAnthropic(usage=policy) as fake:
        response = httpx2.post(f"{fake.base_url}/v1/messages", json=_messages_body(), headers={"x-api-key": KEY})
    assert response.status_code == 500 and response.json()["error"]["message"] == "KeyError"
    assert "handler failed" in caplog.text and KEY not in caplog.text


async def test_a_plan_sets_failure_and_usage_per_request():
    # The demo's live services draw each answer from the traffic model: one request fails, the next succeeds.
    plans = iter([FakePlan(failure="overloaded"), FakePlan(usage=FakeUsage(input_tokens=700, output_tokens=33))])
    with FakeXAI(plan=lambda body: next(plans)) as fake:
        client = openai.AsyncOpenAI(api_key=KEY, base_url=fake.base_url, max_retries=0)
        with pytest.raises(openai.APIStatusError) as caught:
            await client.chat.completions.create(model="grok-4", messages=[{"role": "user", "content": "hi"}])
        reply = await client.chat.completions.create(model="grok-4", messages=[{"role": "user", "content": "hi"}])
        await client.close()
        assert fake.failure is None  # the plan applied to that request only
    assert caught.value.status_code == 503
    assert (reply.usage.prompt_tokens, reply.usage.completion_tokens) == (700, 33)


def test_closing_a_fake_ends_a_planned_wait():
    # A live call's planned latency can be long (a timeout: 125 s); stopping the demo must not wait for it.
    with FakeAnthropic(plan=lambda body: FakePlan(latency_s=600)) as fake:
        outcome: list[object] = []

        def call() -> None:
            client = anthropic.Anthropic(api_key=KEY, base_url=fake.base_url, max_retries=0)
            try:
                outcome.append(client.messages.create(**_messages_body()))
            except anthropic.APIError as exc:
                outcome.append(exc)

        caller = threading.Thread(target=call, daemon=True)
        caller.start()
        deadline = time.monotonic() + 10
        while not fake.requests and time.monotonic() < deadline:  # bounded: the request has reached the fake
            time.sleep(0.01)
        assert fake.requests
    caller.join(timeout=30)
    assert not caller.is_alive() and outcome


@pytest.mark.parametrize("fake_class", [FakeAnthropic, FakeXAI])
def test_a_planned_stream_sends_its_first_token_at_once(fake_class):
    # The plan's latency is the time to first token; stream_s paces only the frames after it (a bounded read: a
    # stream paced from its first frame would hold the first text back for minutes here).
    with fake_class(plan=lambda body: FakePlan(stream_s=600)) as fake:
        if fake_class is FakeAnthropic:
            url, headers, body = f"{fake.base_url}/v1/messages", {"x-api-key": KEY}, _messages_body(stream=True)
        else:
            url, headers = f"{fake.base_url}/chat/completions", {"Authorization": f"Bearer {KEY}"}
            body = {"model": "grok-4", "messages": [{"role": "user", "content": "hi"}], "stream": True}
        with httpx2.stream("POST", url, json=body, headers=headers, timeout=20) as response:
            for line in response.iter_lines():
                if '"text_delta"' in line or '"content": "Hello' in line:
                    break
            else:
                raise AssertionError("the stream ended without a text frame")

"""The FastAPI edge under real uvicorn: error statuses and bodies, and a chat stream whose client disconnects."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx2
import pytest
import uvicorn
from fastapi import FastAPI
from fastapi.responses import StreamingResponse
from helpers.llm import ANTHROPIC_KEY, XAI_KEY, llm_spans, only_llm_span

from llm import (
    LLMError,
    LLMTimeoutError,
    LLMUnavailableError,
    LLMUpstreamError,
    aclose_clients,
    simple_complete,
    sse_frames,
    stream_chat,
)
from llm.fastapi import install_error_handlers, status_for
from tokenledger import contract as t

pytestmark = pytest.mark.usefixtures("close_llm_clients")

log = logging.getLogger("test.fastapi")
WAIT_S = 10.0


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    yield
    await aclose_clients()  # the cached SDK clients belong to this server's event loop


def _app() -> FastAPI:
    app = FastAPI(lifespan=_lifespan)
    install_error_handlers(app)

    @app.post("/complete")
    async def complete(body: dict) -> dict:
        return {"text": await simple_complete(body["model"], "sys", body["prompt"], 64, log, layer="analysis")}

    @app.post("/chat")
    async def chat(body: dict) -> StreamingResponse:
        stream = stream_chat(body["model"], "sys", [{"role": "user", "content": body["prompt"]}], 64, log)
        first = await anext(stream)  # a missing key or an upstream failure becomes a status, not a broken stream

        # Closing the response closes the upstream stream and ends its span.
        return StreamingResponse(sse_frames(stream, first=first), media_type="text/event-stream")

    return app


@pytest.fixture
def server(llm_env):
    config = uvicorn.Config(_app(), host="127.0.0.1", port=0, log_level="warning", lifespan="on")
    srv = uvicorn.Server(config)
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + WAIT_S
    while not srv.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.01)
    port = srv.servers[0].sockets[0].getsockname()[1]
    yield f"http://127.0.0.1:{port}"
    srv.should_exit = True
    thread.join(timeout=WAIT_S)


def _wait_for_llm_span(spans):
    deadline = time.monotonic() + WAIT_S
    while not llm_spans(spans):
        assert time.monotonic() < deadline, "the stream's span never ended"
        time.sleep(0.01)
    return only_llm_span(spans)


def test_statuses_are_chosen_at_the_edge_not_carried_by_the_errors():
    class KeyRevokedError(LLMUnavailableError):
        pass

    expected = {LLMUnavailableError: 503, KeyRevokedError: 503, LLMUpstreamError: 502, LLMTimeoutError: 504}
    for cls, status in expected.items():
        err = cls("x", provider="anthropic", model="m")
        assert status_for(err) == status and not hasattr(err, "status_code")
    assert status_for(LLMError("x", provider="anthropic", model="m")) == 502


def test_completion_through_the_app(server, spans):
    response = httpx2.post(f"{server}/complete", json={"model": "claude-haiku-4-5", "prompt": "hi"})
    assert response.status_code == 200 and response.json()["text"].startswith("Hello")
    assert only_llm_span(spans).attributes[t.LAYER] == "analysis"


@pytest.mark.parametrize(("model", "variable"), [("claude-haiku-4-5", "ANTHROPIC_API_KEY"), ("grok-4", "XAI_API_KEY")])
def test_missing_key_is_503_with_a_json_body(server, llm_env, model, variable):
    llm_env.delenv(variable)
    response = httpx2.post(f"{server}/complete", json={"model": model, "prompt": "hi"})
    assert response.status_code == 503
    body = response.json()
    assert body == {"error": f"{variable} is not set", "provider": body["provider"], "model": model}
    assert body["provider"] in ("anthropic", "x_ai")


@pytest.mark.parametrize("model", ["claude-haiku-4-5", "grok-4"])
@pytest.mark.parametrize("failure", ["unauthorized", "http_500", "malformed"])
def test_upstream_failure_is_502_and_the_body_never_holds_the_key(server, fake_anthropic, fake_xai, model, failure):
    fake_anthropic.failure = fake_xai.failure = failure
    response = httpx2.post(f"{server}/complete", json={"model": model, "prompt": "hi"})
    assert response.status_code == 502
    assert set(response.json()) == {"error", "provider", "model"}
    assert ANTHROPIC_KEY not in response.text and XAI_KEY not in response.text
    assert "sk-" not in response.text and "xai-test" not in response.text


def test_chat_stream_reaches_the_client(server, spans):
    with httpx2.stream("POST", f"{server}/chat", json={"model": "claude-haiku-4-5", "prompt": "hi"}) as response:
        assert response.status_code == 200
        text = "".join(response.iter_text())
    assert text.startswith("event: message_start") and "event: message_stop" in text
    assert only_llm_span(spans).attributes[t.STREAMING] is True


def test_chat_stream_that_fails_before_the_first_event_is_an_error_status(server, fake_anthropic, spans):
    fake_anthropic.failure = "http_500"
    response = httpx2.post(f"{server}/chat", json={"model": "claude-haiku-4-5", "prompt": "hi"})
    assert response.status_code == 502 and response.json()["provider"] == "anthropic"
    assert only_llm_span(spans).attributes[t.ERROR_TYPE] == "500"


def test_client_disconnect_ends_the_stream_span_as_cancelled(server, fake_anthropic, spans):
    gate = threading.Event()
    fake_anthropic._config.stream_hold = gate  # the upstream stream stalls after its first text delta
    try:
        with httpx2.stream("POST", f"{server}/chat", json={"model": "claude-haiku-4-5", "prompt": "hi"}) as response:
            first = next(response.iter_lines())
            assert first == "event: message_start"
        # The client is gone while upstream is stalled: only the disconnect can end the span now.
        span = _wait_for_llm_span(spans)
    finally:
        gate.set()
    assert span.attributes[t.ERROR_TYPE] == "cancelled" and span.attributes[t.STREAMING] is True
    assert span.attributes[t.INPUT_TOKENS] > 0  # usage from message_start is kept

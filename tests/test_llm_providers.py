"""The provider table: a third provider is one adapter and one registration; each SDK loads on its own path only."""

from __future__ import annotations

import logging
import subprocess
import sys
import textwrap
from typing import Any

import httpx2
import pytest
from helpers.llm import XAI_KEY, only_llm_span
from opentelemetry.trace import SpanKind, StatusCode

import llm
from llm import Adapter, LLMUnavailableError, LLMUpstreamError, register_provider, simple_complete, stream_chat
from llm.agents import make_chat_model
from llm.fastapi import status_for
from llm.providers import PROVIDERS, adapter_for, provider_for
from tokenledger import contract as t
from tokenledger.fakes import FakeUsage, FakeXAI

pytestmark = [pytest.mark.anyio, pytest.mark.usefixtures("close_llm_clients")]
log = logging.getLogger("test.providers")


class FakeLLMAdapter(Adapter):
    """A provider the client has never heard of, speaking OpenAI-style chat completions over plain httpx2."""

    name = "fake_llm"
    label = "FakeLLM"
    prefixes = ("fake-",)

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url  # a third-party adapter reads its own settings

    async def complete(self, settings, record, system, user_prompt, max_tokens, http_client) -> str:
        body = {
            "model": record.request_model,
            "max_tokens": max_tokens,
            "messages": [{"role": "system", "content": system}, {"role": "user", "content": user_prompt}],
        }
        async with httpx2.AsyncClient(base_url=self.base_url, timeout=10) as client:
            response = await client.post("/chat/completions", json=body, headers={"Authorization": "Bearer fake"})
            response.raise_for_status()
        answer: dict[str, Any] = response.json()
        record.response_model, record.response_id = answer["model"], answer["id"]
        record.input_tokens = answer["usage"]["prompt_tokens"]
        record.output_tokens = answer["usage"]["completion_tokens"]
        return answer["choices"][0]["message"]["content"]

    def translate(self, exc: BaseException, model: str):
        if isinstance(exc, httpx2.HTTPStatusError):
            status = exc.response.status_code
            return LLMUpstreamError(
                f"FakeLLM returned HTTP {status}", provider=self.name, model=model, error_type=str(status)
            )
        return super().translate(exc, model)


@pytest.fixture
def fake_third():
    with FakeXAI() as server:
        yield server


@pytest.fixture
def fake_llm(fake_third):
    adapter = register_provider(FakeLLMAdapter(fake_third.base_url))
    yield adapter
    PROVIDERS.pop(adapter.name)


async def test_a_third_provider_is_one_adapter(llm_env, spans, fake_llm, fake_third, fake_anthropic, fake_xai):
    fake_third.usage = lambda body: FakeUsage(input_tokens=700, output_tokens=40)
    text = await simple_complete("fake-model-1", "be brief", "hello", 64, log, layer="drafts")
    assert "fake-model-1" in text
    assert [r.body["model"] for r in fake_third.requests] == ["fake-model-1"]
    assert not fake_anthropic.requests and not fake_xai.requests
    span = only_llm_span(spans)
    a = span.attributes
    assert span.name == "chat fake-model-1" and span.kind is SpanKind.CLIENT
    assert a[t.PROVIDER] == "fake_llm" and a[t.LAYER] == "drafts" and a[t.REQUEST_MAX_TOKENS] == 64
    assert a[t.RESPONSE_MODEL] == "fake-model-1" and a[t.RESPONSE_ID].startswith("fake-")
    assert a[t.INPUT_TOKENS] == 700 and a[t.OUTPUT_TOKENS] == 40
    assert a[t.PRICING_UNKNOWN] is True  # no card for it: an estimate, flagged
    assert t.ERROR_TYPE not in a and span.status.status_code is StatusCode.UNSET


async def test_a_third_providers_failure_is_translated_by_its_adapter(llm_env, spans, fake_llm, fake_third):
    fake_third.failure = "http_500"
    with pytest.raises(LLMUpstreamError) as caught:
        await simple_complete("fake-model-1", "s", "hello", 64, log)
    err = caught.value
    assert err.provider == "fake_llm" and err.error_type == "500" and status_for(err) == 502
    assert isinstance(err.__cause__, httpx2.HTTPStatusError)
    span = only_llm_span(spans)
    assert span.attributes[t.ERROR_TYPE] == "500" and span.status.status_code is StatusCode.ERROR


async def test_what_an_adapter_does_not_offer_is_unsupported(llm_env, spans, fake_llm, fake_third):
    with pytest.raises(LLMUnavailableError) as caught:
        await anext(stream_chat("fake-model-1", "s", [{"role": "user", "content": "hi"}], 64, log))
    assert caught.value.error_type == "unsupported_model" and status_for(caught.value) == 503
    assert only_llm_span(spans).attributes[t.PROVIDER] == "fake_llm"
    with pytest.raises(LLMUnavailableError, match="FakeLLM"):
        make_chat_model("fake-model-1")
    assert not fake_third.requests


def test_routing_longest_prefix_wins_and_unclaimed_models_go_to_xai(fake_llm):
    assert provider_for("claude-haiku-4-5") == "anthropic" and provider_for("CLAUDE-HAIKU-4-5") == "anthropic"
    assert provider_for("grok-4") == provider_for("some-other-model") == "x_ai"
    assert adapter_for("Fake-Model") is fake_llm

    class Narrower(FakeLLMAdapter):
        name, prefixes = "narrow", ("fake-mini-",)

    narrower = register_provider(Narrower(""))
    try:
        assert provider_for("fake-mini-2") == "narrow" and provider_for("fake-max-2") == "fake_llm"
    finally:
        PROVIDERS.pop(narrower.name)


def test_an_adapter_without_a_name_or_prefix_is_refused():
    with pytest.raises(ValueError, match="prefix"):
        register_provider(Adapter())
    assert "" not in PROVIDERS


def test_import_llm_and_xai_only_calls_never_import_anthropic(fake_xai):
    code = textwrap.dedent(
        """
        import asyncio, sys
        import llm, llm.agents, llm.fastapi
        at_import = sorted(m for m in ("anthropic", "openai", "langchain_xai") if m in sys.modules)

        async def main():
            text = await llm.simple_complete("grok-4", "s", "hi", 16, None)
            assert "grok-4" in text, text
            reply = await llm.agents.make_chat_model("grok-4", max_tokens=16).ainvoke("hi")
            assert reply.content.startswith("Hello"), reply
            try:
                await anext(llm.stream_chat("grok-4", "s", [{"role": "user", "content": "hi"}], 16, None))
            except llm.LLMUnavailableError as err:
                assert err.error_type == "unsupported_model", err
            await llm.aclose_clients()

        asyncio.run(main())
        print(",".join(at_import) or "-", "anthropic" in sys.modules, "openai" in sys.modules)
        """
    )
    env = {"XAI_API_KEY": XAI_KEY, "XAI_BASE_URL": fake_xai.base_url, "PATH": ""}
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["-", "False", "True"]
    assert len(fake_xai.requests) == 2


def test_the_public_api_is_exported():
    for name in ("Adapter", "SettingsError", "register_provider", "simple_complete", "stream_chat", "sse_frames"):
        assert name in llm.__all__ and hasattr(llm, name)

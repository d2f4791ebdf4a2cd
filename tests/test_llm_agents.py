"""make_chat_model: LangChain models by prefix, each LLM call of a run recorded as one span."""

from __future__ import annotations

import logging
import subprocess
import sys
import textwrap

import anthropic
import pytest
from helpers.llm import ANTHROPIC_KEY, llm_spans, only_llm_span, sdk_spans
from langchain_anthropic import ChatAnthropic
from opentelemetry.trace import StatusCode

from llm import LLMUnavailableError
from llm.agents import make_chat_model
from tokenledger import contract as t
from tokenledger.fakes import FakeUsage

pytestmark = [pytest.mark.anyio, pytest.mark.usefixtures("close_llm_clients")]
log = logging.getLogger("test.agents")
ANTHROPIC_USAGE = FakeUsage(input_tokens=8_000, output_tokens=600, cache_read_tokens=6_000, cache_write_tokens=1_500)
XAI_USAGE = FakeUsage(input_tokens=3_000, output_tokens=900, cache_read_tokens=1_000, reasoning_tokens=500)


async def test_claude_agent_calls_are_spans_with_anthropic_usage(llm_env, spans, fake_anthropic):
    fake_anthropic.usage = lambda body: ANTHROPIC_USAGE
    model = make_chat_model("claude-haiku-4-5", max_tokens=200)
    assert isinstance(model, ChatAnthropic)
    reply = await model.ainvoke("plan the next step")
    assert reply.content.startswith("Hello from the fake")
    await model.ainvoke("and the one after")
    found = llm_spans(spans)
    assert len(found) == 2
    a = found[0].attributes
    assert a[t.PROVIDER] == "anthropic" and a[t.LAYER] == "agents" and a[t.REQUEST_MODEL] == "claude-haiku-4-5"
    assert a[t.REQUEST_MAX_TOKENS] == 200 and a[t.RESPONSE_ID].startswith("msg_fake")
    assert a[t.INPUT_TOKENS] == 8_000 and a[t.OUTPUT_TOKENS] == 600
    # ChatAnthropic reports cache writes by TTL; they must still reach the span (they are priced differently).
    assert a[t.CACHE_READ_TOKENS] == 6_000 and a[t.CACHE_WRITE_TOKENS] == 1_500
    assert a[t.COST_USD] and a[t.PRICING_UNKNOWN] is False
    assert sdk_spans(spans) == []  # the SDK under ChatAnthropic does not trace itself


async def test_grok_agent_calls_are_spans_with_xai_usage(llm_env, spans, fake_xai):
    fake_xai.usage = lambda body: XAI_USAGE
    model = make_chat_model("grok-4-fast-reasoning", max_tokens=300)
    assert type(model).__name__ == "ChatXAI"
    await model.ainvoke("plan")
    a = only_llm_span(spans).attributes
    assert a[t.PROVIDER] == "x_ai" and a[t.RESPONSE_ID].startswith("fake-")
    assert a[t.INPUT_TOKENS] == 3_000 and a[t.CACHE_READ_TOKENS] == 1_000
    assert a[t.OUTPUT_TOKENS] == 900 and a[t.REASONING_TOKENS] == 500


@pytest.mark.parametrize("model_name", ["claude-haiku-4-5", "grok-4"])
async def test_streamed_agent_calls_record_ttft_and_no_langchain_run_id(llm_env, spans, model_name):
    model = make_chat_model(model_name, max_tokens=64)
    chunks = [chunk async for chunk in model.astream("go")]
    assert chunks
    a = only_llm_span(spans).attributes
    assert a[t.STREAMING] is True and a[t.TTFT_MS] > 0 and a[t.OUTPUT_TOKENS] > 0
    assert t.RESPONSE_ID not in a  # LangChain replaces the provider's id with its run id on streams


async def test_agent_provider_failure_is_recorded(llm_env, spans, fake_anthropic):
    fake_anthropic.failure = "http_500"
    model = make_chat_model("claude-haiku-4-5", max_tokens=64)
    with pytest.raises(anthropic.InternalServerError):
        await model.ainvoke("go")
    span = only_llm_span(spans)
    assert span.attributes[t.ERROR_TYPE] == "500" and span.status.status_code is StatusCode.ERROR


async def test_restricted_agent_model_is_substituted_and_recorded(llm_env, spans, fake_anthropic):
    model = make_chat_model("claude-opus-4-1", max_tokens=64, layer="agents")
    await model.ainvoke("go")
    assert fake_anthropic.requests[0].body["model"] == "claude-haiku-4-5-20251001"
    assert only_llm_span(spans).attributes[t.REQUESTED_MODEL] == "claude-opus-4-1"


@pytest.mark.parametrize(
    ("model_name", "variable"), [("claude-haiku-4-5", "ANTHROPIC_API_KEY"), ("grok-4", "XAI_API_KEY")]
)
def test_missing_key_is_unavailable(llm_env, model_name, variable):
    llm_env.delenv(variable)
    with pytest.raises(LLMUnavailableError, match=variable):
        make_chat_model(model_name)


def test_a_claude_agent_never_imports_langchain_xai(fake_anthropic):
    code = textwrap.dedent(
        """
        import asyncio, sys
        from llm.agents import make_chat_model
        reply = asyncio.run(make_chat_model("claude-haiku-4-5", max_tokens=16).ainvoke("hi"))
        assert reply.content.startswith("Hello"), reply
        print("langchain_xai" in sys.modules)
        """
    )
    env = {"ANTHROPIC_API_KEY": ANTHROPIC_KEY, "ANTHROPIC_BASE_URL": fake_anthropic.base_url, "PATH": ""}
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["False"]


@pytest.mark.parametrize("model_name", ["claude-haiku-4-5", "grok-4"])
def test_sync_invoke_is_recorded_too(llm_env, spans, model_name):
    reply = make_chat_model(model_name, max_tokens=64).invoke("go")
    assert reply.content.startswith("Hello")
    a = only_llm_span(spans).attributes
    assert a[t.INPUT_TOKENS] > 0 and a[t.LAYER] == "agents" and a[t.STREAMING] is False

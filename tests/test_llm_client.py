"""simple_complete: routing, usage normalisation per provider, errors, and one span of spend per call."""

from __future__ import annotations

import logging
import os
import socket
import subprocess
import sys
import textwrap
from collections.abc import Mapping
from decimal import Decimal
from types import SimpleNamespace

import anthropic
import httpx2
import pytest
from helpers.llm import ANTHROPIC_KEY, XAI_KEY, global_sdk_provider, llm_spans, only_llm_span, sdk_spans
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export import SimpleSpanProcessor, SpanExporter, SpanExportResult
from opentelemetry.trace import SpanKind, StatusCode

import rates
from llm import LLMTimeoutError, LLMUnavailableError, LLMUpstreamError, SettingsError, simple_complete, stream_chat
from llm import _settings as settings_module
from llm._anthropic import ADAPTER as anthropic_side
from llm.agents import make_chat_model
from llm.fastapi import status_for
from tokenledger import contract as t
from tokenledger.fakes import FakeUsage

pytestmark = [pytest.mark.anyio, pytest.mark.usefixtures("close_llm_clients")]
log = logging.getLogger("test.client")

ANTHROPIC_USAGE = FakeUsage(input_tokens=12_000, output_tokens=800, cache_read_tokens=10_000, cache_write_tokens=500)
XAI_USAGE = FakeUsage(input_tokens=9_000, output_tokens=700, cache_read_tokens=4_000, reasoning_tokens=300)


async def test_claude_goes_to_anthropic_with_the_whole_contract_on_one_span(llm_env, spans, fake_anthropic, fake_xai):
    fake_anthropic.usage = lambda body: ANTHROPIC_USAGE
    text = await simple_complete("claude-haiku-4-5", "be brief", "hello", 256, log, layer="analysis")
    assert text == "Hello from the fake claude-haiku-4-5. This reply is canned."
    assert len(fake_anthropic.requests) == 1 and not fake_xai.requests
    sent = fake_anthropic.requests[0].body
    assert sent["system"] == "be brief" and sent["messages"] == [{"role": "user", "content": "hello"}]
    span = only_llm_span(spans)
    assert span.name == "chat claude-haiku-4-5" and span.kind is SpanKind.CLIENT
    a = span.attributes
    assert a[t.OPERATION] == "chat" and a[t.PROVIDER] == "anthropic"
    assert a[t.REQUEST_MODEL] == a[t.RESPONSE_MODEL] == "claude-haiku-4-5"
    assert a[t.RESPONSE_ID].startswith("msg_fake") and a[t.REQUEST_MAX_TOKENS] == 256
    # Anthropic's wire input_tokens (1500) excludes the cache; the contract's includes it.
    assert a[t.INPUT_TOKENS] == 12_000 and a[t.OUTPUT_TOKENS] == 800
    assert a[t.CACHE_READ_TOKENS] == 10_000 and a[t.CACHE_WRITE_TOKENS] == 500
    assert t.REASONING_TOKENS not in a  # not reported by the provider for this call
    assert a[t.LAYER] == "analysis" and a[t.STREAMING] is False and t.TTFT_MS not in a
    expected, unknown = rates.compute_cost_usd(
        "claude-haiku-4-5", 12_000, 800, cache_read_tokens=10_000, cache_write_tokens=500
    )
    assert Decimal(a[t.COST_USD]) == expected > 0 and a[t.PRICING_UNKNOWN] is unknown is False
    assert t.ERROR_TYPE not in a and span.status.status_code is StatusCode.UNSET


async def test_other_models_go_to_xai_with_cached_and_reasoning_tokens_normalised(
    llm_env, spans, fake_anthropic, fake_xai
):
    fake_xai.usage = lambda body: XAI_USAGE
    text = await simple_complete("grok-4-fast-reasoning", "be brief", "hello", 128, log, layer="drafts")
    assert "grok-4-fast-reasoning" in text
    assert len(fake_xai.requests) == 1 and not fake_anthropic.requests
    a = only_llm_span(spans).attributes
    assert a[t.PROVIDER] == "x_ai" and a[t.RESPONSE_ID].startswith("fake-")
    # xAI's prompt_tokens already include cached tokens; its completion_tokens (400) leave reasoning out.
    assert a[t.INPUT_TOKENS] == 9_000 and a[t.CACHE_READ_TOKENS] == 4_000
    assert a[t.OUTPUT_TOKENS] == 700 and a[t.REASONING_TOKENS] == 300
    assert t.CACHE_WRITE_TOKENS not in a
    expected, _ = rates.compute_cost_usd("grok-4-fast-reasoning", 9_000, 700, cache_read_tokens=4_000)
    assert Decimal(a[t.COST_USD]) == expected


async def test_a_model_without_a_card_is_estimated_and_flagged(llm_env, spans):
    await simple_complete("grok-99-imaginary", "s", "hello", 64, log)
    a = only_llm_span(spans).attributes
    assert a[t.PRICING_UNKNOWN] is True and Decimal(a[t.COST_USD]) > 0


def test_importing_llm_and_completing_with_claude_never_imports_langchain_xai(fake_anthropic):
    code = textwrap.dedent(
        """
        import asyncio, sys
        import llm, llm.agents, llm.fastapi
        text = asyncio.run(llm.simple_complete("claude-haiku-4-5", "s", "hi", 16, None))
        assert text.startswith("Hello"), text
        print("langchain_xai" in sys.modules, "openai" in sys.modules)
        """
    )
    env = {"ANTHROPIC_API_KEY": ANTHROPIC_KEY, "ANTHROPIC_BASE_URL": fake_anthropic.base_url, "PATH": ""}
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["False", "False"]
    assert len(fake_anthropic.requests) == 1


@pytest.mark.parametrize(("model", "variable"), [("claude-haiku-4-5", "ANTHROPIC_API_KEY"), ("grok-4", "XAI_API_KEY")])
async def test_missing_key_is_503_and_recorded(llm_env, spans, model, variable):
    llm_env.delenv(variable)
    with pytest.raises(LLMUnavailableError) as caught:
        await simple_complete(model, "s", "hello", 64, log)
    assert status_for(caught.value) == 503 and variable in str(caught.value)
    span = only_llm_span(spans)
    assert span.attributes[t.ERROR_TYPE] == "api_key_missing" and span.status.status_code is StatusCode.ERROR
    assert t.COST_USD not in span.attributes and t.INPUT_TOKENS not in span.attributes


@pytest.mark.parametrize("model", ["claude-haiku-4-5", "grok-4"])
@pytest.mark.parametrize(
    ("failure", "error_type"),
    [
        ("http_500", "500"),
        ("unauthorized", "401"),
        ("malformed", "malformed_response"),
        ("stream_cut", "connection_error"),
    ],
)
async def test_provider_failures_are_502(llm_env, spans, fake_anthropic, fake_xai, caplog, model, failure, error_type):
    (fake_anthropic if model.startswith("claude") else fake_xai).failure = failure
    with caplog.at_level(logging.DEBUG), pytest.raises(LLMUpstreamError) as caught:
        await simple_complete(model, "s", "hello", 64, log)
    err = caught.value
    assert status_for(err) == 502 and err.error_type == error_type and err.model == model
    span = only_llm_span(spans)
    assert span.attributes[t.ERROR_TYPE] == error_type and span.status.status_code is StatusCode.ERROR
    for secret in (ANTHROPIC_KEY, XAI_KEY):
        assert secret not in str(err) and secret not in caplog.text


@pytest.mark.parametrize("model", ["claude-haiku-4-5", "grok-4"])
async def test_connection_refused_is_502(llm_env, spans, model):
    with socket.socket() as sock:  # a port that was free a moment ago and has no listener now
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    llm_env.setenv("ANTHROPIC_BASE_URL", f"http://127.0.0.1:{port}")
    llm_env.setenv("XAI_BASE_URL", f"http://127.0.0.1:{port}/v1")
    with pytest.raises(LLMUpstreamError) as caught:
        await simple_complete(model, "s", "hello", 64, log)
    assert caught.value.error_type == "connection_error"
    assert only_llm_span(spans).attributes[t.ERROR_TYPE] == "connection_error"


async def test_timeout_is_504(llm_env, spans, fake_anthropic):
    fake_anthropic._config.latency_s = 5.0  # the answer would come long after the client gave up
    llm_env.setenv("LLM_TIMEOUT_S", "0.2")
    with pytest.raises(LLMTimeoutError) as caught:
        await simple_complete("claude-haiku-4-5", "s", "hello", 64, log)
    assert status_for(caught.value) == 504
    assert only_llm_span(spans).attributes[t.ERROR_TYPE] == "timeout"


async def test_the_sdks_own_tracing_never_adds_a_second_span_of_spend(llm_env, spans, fake_anthropic):
    # Control: a plain SDK client on the same global tracer provider does trace itself.
    plain = anthropic.AsyncAnthropic(api_key=ANTHROPIC_KEY, base_url=fake_anthropic.base_url, max_retries=0)
    await plain.messages.create(model="claude-haiku-4-5", max_tokens=16, messages=[{"role": "user", "content": "x"}])
    await plain.close()
    assert len(sdk_spans(spans)) == 1
    spans.clear()
    await simple_complete("claude-haiku-4-5", "s", "hello", 64, log)
    await simple_complete("claude-haiku-4-5", "s", "again", 64, log)
    assert sdk_spans(spans) == []
    spend = [s for s in spans.get_finished_spans() if s.attributes.get(t.INPUT_TOKENS) is not None]
    assert len(spend) == 2 == len(llm_spans(spans))
    assert len({s.attributes[t.RESPONSE_ID] for s in spend}) == 2


class _BrokenExporter(SpanExporter):
    armed = False

    def export(self, spans: list[ReadableSpan]) -> SpanExportResult:
        if self.armed:
            raise RuntimeError("exporter is down")
        return SpanExportResult.SUCCESS


class _BrokenProcessor(SimpleSpanProcessor):
    armed = False

    def on_end(self, span: ReadableSpan) -> None:
        if self.armed:
            raise RuntimeError("span processor bug")


_broken_exporter = _BrokenExporter()
_broken_processor = _BrokenProcessor(_BrokenExporter())


@pytest.fixture
def broken_telemetry(spans):
    provider = global_sdk_provider()
    if not getattr(provider, "_llm_broken_installed", False):
        provider.add_span_processor(SimpleSpanProcessor(_broken_exporter))
        provider.add_span_processor(_broken_processor)
        provider._llm_broken_installed = True
    _broken_exporter.armed = _broken_processor.armed = True
    yield
    _broken_exporter.armed = _broken_processor.armed = False


async def test_a_failing_exporter_or_span_processor_does_not_fail_the_call(llm_env, broken_telemetry, caplog):
    with caplog.at_level(logging.ERROR):
        text = await simple_complete("claude-haiku-4-5", "s", "hello", 64, log)
        xai_text = await simple_complete("grok-4", "s", "hello", 64, log)
    assert text.startswith("Hello") and xai_text.startswith("Hello")
    assert "recording the LLM call span failed" in caplog.text


async def test_a_pricing_failure_keeps_the_span_and_the_answer(llm_env, spans, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("card file unreadable")

    monkeypatch.setattr(rates, "compute_cost_usd", broken)
    text = await simple_complete("claude-haiku-4-5", "s", "hello", 64, log)
    assert text.startswith("Hello")
    a = only_llm_span(spans).attributes
    assert a[t.PRICING_UNKNOWN] is True and t.COST_USD not in a and a[t.INPUT_TOKENS] > 0


async def test_sdk_clients_are_cached_per_key_and_base_url(llm_env, fake_anthropic):
    from llm._settings import load_settings

    first = anthropic_side.client(load_settings(), "m")
    assert anthropic_side.client(load_settings(), "m") is first
    llm_env.setenv("ANTHROPIC_API_KEY", "sk-ant-test-another-fake-key")
    assert anthropic_side.client(load_settings(), "m") is not first


async def test_a_given_http_client_is_used(llm_env, spans, fake_anthropic):
    seen: list[str] = []

    async def hook(request: httpx2.Request) -> None:
        seen.append(request.url.path)

    async with httpx2.AsyncClient(event_hooks={"request": [hook]}) as http_client:
        await simple_complete("claude-haiku-4-5", "s", "hello", 64, log, http_client=http_client)
    assert seen == ["/v1/messages"]
    assert only_llm_span(spans).attributes[t.INPUT_TOKENS] > 0


@pytest.mark.parametrize(("variable", "value"), [("LLM_MAX_RETRIES", "three"), ("LLM_TIMEOUT_S", "-1")])
async def test_bad_settings_fail_naming_the_variable(llm_env, variable, value):
    llm_env.setenv(variable, value)
    with pytest.raises(SettingsError, match=variable):
        await simple_complete("claude-haiku-4-5", "s", "hello", 64, log)


@pytest.mark.parametrize("path", ["complete", "stream"])
async def test_a_bad_restrict_models_is_the_exported_error_and_recorded_on_a_span(llm_env, spans, fake_anthropic, path):
    llm_env.setenv("RESTRICT_MODELS", "maybe")
    with pytest.raises(SettingsError, match="RESTRICT_MODELS"):
        if path == "complete":
            await simple_complete("claude-sonnet-4-5", "s", "hello", 64, log, layer="analysis")
        else:
            await anext(stream_chat("claude-sonnet-4-5", "s", [{"role": "user", "content": "hi"}], 64, log))
    assert not fake_anthropic.requests
    span = only_llm_span(spans)
    a = span.attributes
    assert a[t.ERROR_TYPE] == "settings_error" and span.status.status_code is StatusCode.ERROR
    assert a[t.REQUEST_MODEL] == "claude-sonnet-4-5" and a[t.PROVIDER] == "anthropic"  # policy could not run
    assert a[t.STREAMING] is (path == "stream") and t.COST_USD not in a


class _CountingEnviron(Mapping):
    """The process environment, counting reads of RESTRICT_MODELS (read by nothing but `load_settings`)."""

    def __init__(self, environ: Mapping[str, str]) -> None:
        self.environ, self.loads = environ, 0

    def __getitem__(self, key: str) -> str:
        self.loads += key == "RESTRICT_MODELS"
        return self.environ[key]

    def get(self, key, default=None):
        self.loads += key == "RESTRICT_MODELS"
        return self.environ.get(key, default)

    def __iter__(self):
        return iter(self.environ)

    def __len__(self) -> int:
        return len(self.environ)


async def test_settings_are_read_once_per_call(llm_env, monkeypatch):
    environ = _CountingEnviron(os.environ)
    monkeypatch.setattr(settings_module, "os", SimpleNamespace(environ=environ))
    await simple_complete("claude-haiku-4-5", "s", "hello", 64, log)
    assert environ.loads == 1
    await simple_complete("grok-4", "s", "hello", 64, log)
    assert environ.loads == 2
    async for _ in stream_chat("claude-haiku-4-5", "s", [{"role": "user", "content": "hi"}], 64, log):
        pass
    assert environ.loads == 3
    make_chat_model("grok-4")
    assert environ.loads == 4


@pytest.mark.parametrize(
    ("variable", "value", "field", "expected"),
    [
        ("ANTHROPIC_API_KEY", "sk-ant-test-another-fake-key", "anthropic_api_key", "sk-ant-test-another-fake-key"),
        ("ANTHROPIC_BASE_URL", "http://127.0.0.1:9", "anthropic_base_url", "http://127.0.0.1:9"),
        ("XAI_API_KEY", "xai-test-another-fake-key", "xai_api_key", "xai-test-another-fake-key"),
        ("XAI_BASE_URL", "http://127.0.0.1:9", "xai_base_url", "http://127.0.0.1:9"),
        ("RESTRICT_MODELS", "false", "restrict_models", False),
        ("LLM_MAX_RETRIES", "5", "max_retries", 5),
        ("LLM_TIMEOUT_S", "7.5", "timeout_s", 7.5),
    ],
)
def test_the_kept_settings_give_way_to_a_changed_variable(llm_env, variable, value, field, expected):
    before = settings_module.load_settings()
    assert settings_module.load_settings() is before  # nothing changed: not parsed again
    llm_env.setenv(variable, value)
    assert getattr(settings_module.load_settings(), field) == expected != getattr(before, field)
    llm_env.setenv(variable, "  ")  # blank is unset: the defaults again
    assert settings_module.load_settings() == settings_module.load_settings({**os.environ, variable: ""})


async def test_a_changed_restrict_models_takes_effect_on_the_next_call(llm_env, spans, fake_anthropic):
    await simple_complete("claude-sonnet-4-6", "s", "hello", 64, log)
    llm_env.setenv("RESTRICT_MODELS", "false")
    await simple_complete("claude-sonnet-4-6", "s", "hello", 64, log)
    llm_env.setenv("RESTRICT_MODELS", "maybe")
    with pytest.raises(SettingsError, match="RESTRICT_MODELS"):
        await simple_complete("claude-sonnet-4-6", "s", "hello", 64, log)
    with pytest.raises(SettingsError, match="RESTRICT_MODELS"):  # a bad value fails every call, not just the first
        await simple_complete("claude-sonnet-4-6", "s", "hello", 64, log)
    models = [s.attributes[t.REQUEST_MODEL] for s in llm_spans(spans)]
    assert models == ["claude-haiku-4-5-20251001", "claude-sonnet-4-6", "claude-sonnet-4-6", "claude-sonnet-4-6"]


async def test_a_bad_argument_is_not_disguised_as_an_upstream_failure(llm_env, spans, fake_anthropic):
    with pytest.raises(TypeError):
        await simple_complete("claude-haiku-4-5", "s", object(), 64, log)  # type: ignore[arg-type]
    assert not fake_anthropic.requests
    assert only_llm_span(spans).attributes[t.ERROR_TYPE] == "TypeError"

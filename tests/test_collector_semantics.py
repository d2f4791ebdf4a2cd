"""Issue 17 items 6 and 7: token semantics per instrumentation (collector/semantics.py, docs/ingest.md).

Live where the library installs beside our pins (the anthropic SDK's tracing, OpenLLMetry and OpenInference for
Anthropic, driven against the fake Anthropic server); otherwise a payload built from the instrumentation's source,
whose file is cited on each case.
"""

from __future__ import annotations

import importlib

import anthropic
import pytest
from google.protobuf import json_format
from helpers.otlp import otlp_json_span
from opentelemetry.proto.trace.v1.trace_pb2 import Span

from collector.mapping import map_span
from collector.otlp import _convert
from collector.semantics import INCLUSIVE, RAW_XAI, instrumentation, semantics
from tokenledger.fakes import FakeAnthropic, FakeUsage

pytestmark = pytest.mark.conformance  # runs on every store (tests/plugins/collector.py)

KEY = "sk-test-not-a-real-key"


def row(attrs: dict, *, scope: str, resource: dict | None = None):
    """The row the collector maps from one span with `attrs`, sent under instrumentation scope `scope`."""
    raw = otlp_json_span("00000000000000a1", attrs)
    _convert(raw)
    return map_span(resource or {}, scope, "1", json_format.ParseDict(raw, Span(), ignore_unknown_fields=True))


@pytest.mark.parametrize(
    ("scope", "resource", "name"),
    [
        ("tokenledger.llm", {}, "tokenledger"),
        ("com.anthropic.sdk.python", {}, "anthropic-sdk"),
        ("opentelemetry.instrumentation.anthropic", {}, "openllmetry"),
        ("opentelemetry.instrumentation.openai.v1", {}, "openllmetry"),
        ("openinference.instrumentation.anthropic", {}, "openinference"),
        ("openinference.instrumentation.langchain", {}, "langchain"),
        ("openlit.otel.tracing", {}, "openlit"),
        ("x", {"telemetry.sdk.name": "openlit"}, "openlit"),
        ("logfire.openai", {}, "logfire"),
        ("acme.tracing", {}, None),
    ],
)
def test_each_instrumentation_is_recognised_on_the_wire(scope, resource, name):
    assert instrumentation(resource, scope) == name


def test_the_table_for_anthropic_xai_and_the_openai_shape():
    assert semantics({}, "openlit.otel.tracing", "anthropic").input_excludes_cache
    for scope in ("opentelemetry.instrumentation.openai", "openinference.instrumentation.openai", "logfire.openai"):
        assert semantics({}, scope, "x_ai") == RAW_XAI
        assert semantics({}, scope, "openai") == INCLUSIVE  # OpenAI's completion_tokens include reasoning
    assert semantics({}, "tokenledger.llm", "x_ai") == INCLUSIVE  # our client adds xAI's reasoning itself
    assert semantics({}, "openinference.instrumentation.langchain", "x_ai") is None  # not verified: counts decide
    assert semantics({}, "acme", "anthropic") is None


XAI = {"gen_ai.operation.name": "chat", "gen_ai.provider.name": "x_ai", "gen_ai.request.model": "grok-4-fast-reasoning",
       "gen_ai.usage.input_tokens": 9_000, "gen_ai.usage.output_tokens": 700,
       "gen_ai.usage.reasoning.output_tokens": 300}  # fmt: skip


@pytest.mark.parametrize(
    "scope",
    [
        # opentelemetry-instrumentation-openai (OpenLLMetry) shared/__init__.py: output = usage.completion_tokens
        "opentelemetry.instrumentation.openai.v1",
        # openinference-instrumentation-openai _attributes/_responses: llm.token_count.completion = completion_tokens
        "openinference.instrumentation.openai",
        # logfire 5.4 _internal/integrations/llm_providers/openai.py line 667: usage.completion_tokens
        "logfire.openai",
        # openlit instrumentation/openai: gen_ai.usage.output_tokens = completion_tokens
        "openlit.otel.tracing",
    ],
)
def test_a_raw_xai_completion_count_gets_its_reasoning_even_when_below_it(scope):
    # 700 completion tokens leave out 300 reasoning: 1,000 billed. Deciding from "reasoning > output" missed this.
    assert row(XAI, scope=scope).output_tokens == 1_000


def test_an_inclusive_output_is_never_counted_twice():
    assert row(XAI, scope="tokenledger.llm").output_tokens == 700  # our client: 700 already include the 300
    openai = {**XAI, "gen_ai.provider.name": "openai", "gen_ai.request.model": "o4-mini"}
    assert row(openai, scope="opentelemetry.instrumentation.openai.v1").output_tokens == 700


def test_an_unknown_instrumentation_falls_back_to_the_counts():
    assert row(XAI, scope="acme.tracing").output_tokens == 700  # cannot tell: the count stands
    assert row({**XAI, "gen_ai.usage.reasoning.output_tokens": 900}, scope="acme.tracing").output_tokens == 1_600


ANTHROPIC = {"gen_ai.operation.name": "chat", "gen_ai.provider.name": "anthropic",
             "gen_ai.request.model": "claude-haiku-4-5", "gen_ai.usage.input_tokens": 5_000,
             "gen_ai.usage.output_tokens": 80, "gen_ai.usage.cache_read_input_tokens": 1_000}  # fmt: skip


def test_openlit_anthropic_input_excludes_the_cache_even_when_above_it():
    # openlit instrumentation/anthropic/utils.py common_chat_logic: Anthropic's own input_tokens (cache excluded).
    assert row(ANTHROPIC, scope="openlit.otel.tracing").input_tokens == 6_000
    assert row(ANTHROPIC, scope="opentelemetry.instrumentation.anthropic").input_tokens == 5_000  # inclusive


# -- live: the real libraries against the fake Anthropic server, with an uncached part above the cache -------------

LIVE_USAGE = FakeUsage(
    input_tokens=6_000, output_tokens=80, cache_read_tokens=1_000, cache_write_tokens=500, cache_write_1h_tokens=200,
    service_tier="batch",
)  # fmt: skip


@pytest.fixture
def collector(start_collector, tmp_path):
    return start_collector(tmp_path, mode="thread")


@pytest.fixture
def fake():
    with FakeAnthropic(usage=lambda body: LIVE_USAGE) as server:
        yield server


def _call(client: anthropic.Anthropic) -> None:
    with client:
        client.messages.create(model="claude-haiku-4-5", max_tokens=100, messages=[{"role": "user", "content": "hi"}])


def _only_row(collector) -> dict:
    (only,) = collector.client.get("/api/v1/calls").json()["rows"]
    return only


def test_live_anthropic_sdk_tracing_is_inclusive_and_reports_one_hour_writes_and_the_tier(
    collector, fake, otlp_provider
):
    provider = otlp_provider(collector.url)
    _call(anthropic.Anthropic(api_key=KEY, base_url=fake.base_url, open_telemetry={"tracer_provider": provider}))
    provider.force_flush()
    got = _only_row(collector)
    assert got["scope_name"] == "com.anthropic.sdk.python"
    assert (got["input_tokens"], got["cache_read_tokens"], got["cache_write_tokens"]) == (6_000, 1_000, 500)
    # anthropic.usage.cache_creation.ephemeral_1h_input_tokens and anthropic.response.service_tier
    assert (got["cache_write_1h_tokens"], got["service_tier"]) == (200, "batch")


@pytest.mark.parametrize(
    "scope", ["opentelemetry.instrumentation.anthropic", "openinference.instrumentation.anthropic"]
)
def test_live_instrumentors_on_anthropic_are_inclusive(collector, fake, otlp_provider, scope):
    provider = otlp_provider(collector.url)
    instrumentor = importlib.import_module(scope).AnthropicInstrumentor()
    instrumentor.instrument(tracer_provider=provider)
    try:
        _call(anthropic.Anthropic(api_key=KEY, base_url=fake.base_url, open_telemetry=False))
    finally:
        instrumentor.uninstrument()
    provider.force_flush()
    got = _only_row(collector)
    assert got["scope_name"] == scope
    assert (got["input_tokens"], got["cache_read_tokens"], got["cache_write_tokens"]) == (6_000, 1_000, 500)

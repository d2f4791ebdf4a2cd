"""Real instrumentations, driven against the fake Anthropic server, exporting real OTLP to a running collector.

Covered live: the anthropic SDK's own tracing, OpenLLMetry (opentelemetry-instrumentation-anthropic), OpenInference
(openinference-instrumentation-anthropic) and Logfire. OpenLIT does not install beside our pins (it downgrades
anthropic and OpenTelemetry), so its shape is a hand-written payload in test_collector_mapping.py.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from decimal import Decimal

import anthropic
import pytest

from rates import compute_cost_usd
from tokenledger.fakes import FakeAnthropic, FakeUsage

# Not in the conformance suite: what this checks does not depend on the store (the API it reads is checked on
# every store by the conformance modules), and its chdb half cost CI minutes.

KEY = "sk-test-not-a-real-key"
USAGE = FakeUsage(input_tokens=1500, output_tokens=80, cache_read_tokens=1000, cache_write_tokens=200)
# 300 uncached x $1 + 1000 cache reads x $0.10 + 200 cache writes x $1.25 + 80 output x $5, per million tokens
EXPECTED_COST = Decimal("0.00105")


@pytest.fixture
def collector(start_collector, tmp_path):
    return start_collector(tmp_path, mode="thread")


@pytest.fixture
def fake():
    with FakeAnthropic(usage=lambda body: USAGE) as server:
        yield server


def _two_calls(client: anthropic.Anthropic) -> None:
    with client:
        _create_and_stream(client)


def _create_and_stream(client: anthropic.Anthropic) -> None:
    client.messages.create(model="claude-haiku-4-5", max_tokens=100, messages=[{"role": "user", "content": "hi"}])
    with client.messages.stream(
        model="claude-haiku-4-5", max_tokens=100, messages=[{"role": "user", "content": "hi"}]
    ) as stream:
        for _ in stream:
            pass


def _rows(collector) -> list[dict]:
    rows = collector.client.get("/api/v1/calls", params={"limit": 100}).json()["rows"]
    return sorted(rows, key=lambda r: r["start_time"])


def _check_row(row: dict, *, streaming: bool) -> None:
    assert row["model"] == "claude-haiku-4-5"
    assert row["provider"] == "anthropic"
    assert (row["input_tokens"], row["cache_read_tokens"], row["cache_write_tokens"]) == (1500, 1000, 200)
    assert row["pricing_unknown"] is False
    expected, _ = compute_cost_usd(
        "claude-haiku-4-5",
        row["input_tokens"],
        row["output_tokens"],
        cache_read_tokens=row["cache_read_tokens"],
        cache_write_tokens=row["cache_write_tokens"],
    )
    assert Decimal(row["cost_usd"]) == expected
    if not streaming:
        assert row["output_tokens"] == 80
        assert Decimal(row["cost_usd"]) == EXPECTED_COST
    assert row["response_id"].startswith("msg_")


def test_anthropic_sdk_builtin_tracing(collector, fake, otlp_provider):
    provider = otlp_provider(collector.url, service_name="analysis-svc")
    client = anthropic.Anthropic(api_key=KEY, base_url=fake.base_url, open_telemetry={"tracer_provider": provider})
    _two_calls(client)
    provider.force_flush()
    plain, streamed = _rows(collector)
    _check_row(plain, streaming=False)
    _check_row(streamed, streaming=True)
    assert plain["scope_name"] == "com.anthropic.sdk.python"
    assert plain["layer"] == plain["service"] == "analysis-svc"
    assert (plain["streaming"], streamed["streaming"]) == (False, True)
    assert streamed["ttft_ms"] is not None and streamed["ttft_ms"] >= 0


@pytest.mark.parametrize(
    "scope", ["opentelemetry.instrumentation.anthropic", "openinference.instrumentation.anthropic"]
)  # OpenLLMetry (Traceloop) and OpenInference (Arize Phoenix): the same instrumentor API, different span shapes
def test_instrumentor_spans_become_rows(collector, fake, otlp_provider, scope):
    import importlib

    provider = otlp_provider(collector.url)
    instrumentor = importlib.import_module(scope).AnthropicInstrumentor()
    instrumentor.instrument(tracer_provider=provider)
    try:
        _two_calls(anthropic.Anthropic(api_key=KEY, base_url=fake.base_url, open_telemetry=False))
    finally:
        instrumentor.uninstrument()
    provider.force_flush()
    plain, streamed = _rows(collector)
    _check_row(plain, streaming=False)
    _check_row(streamed, streaming=True)
    assert plain["scope_name"] == scope


@pytest.mark.parametrize(
    "package", ["opentelemetry.instrumentation.anthropic", "openinference.instrumentation.anthropic"]
)
def test_sdk_tracing_plus_a_second_instrumentation_is_one_row_per_call(collector, fake, otlp_provider, package):
    import importlib

    provider = otlp_provider(collector.url)
    instrumentor = importlib.import_module(package).AnthropicInstrumentor()
    instrumentor.instrument(tracer_provider=provider)
    try:
        client = anthropic.Anthropic(api_key=KEY, base_url=fake.base_url, open_telemetry={"tracer_provider": provider})
        _two_calls(client)
    finally:
        instrumentor.uninstrument()
    provider.force_flush()
    rows = _rows(collector)
    assert len(rows) == 2  # four spans, two provider calls
    assert len({r["response_id"] for r in rows}) == 2
    spend = collector.client.get("/api/v1/spend", params={"group_by": "none"}).json()["rows"][0]
    assert spend["calls"] == 2


_LOGFIRE_SCRIPT = textwrap.dedent(
    """
    import sys
    import anthropic, logfire
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor

    url, base_url = sys.argv[1], sys.argv[2]
    logfire.configure(
        send_to_logfire=False, console=False, service_name="logfire-svc",
        additional_span_processors=[SimpleSpanProcessor(OTLPSpanExporter(endpoint=url + "/v1/traces"))],
    )
    # The SDK's own tracing stays on (Logfire installs a global tracer provider): two spans per call.
    client = anthropic.Anthropic(api_key="sk-test-not-a-real-key", base_url=base_url)
    logfire.instrument_anthropic(client)
    client.messages.create(model="claude-haiku-4-5", max_tokens=100, messages=[{"role": "user", "content": "hi"}])
    with client.messages.stream(model="claude-haiku-4-5", max_tokens=100,
                                messages=[{"role": "user", "content": "hi"}]) as stream:
        for _ in stream:
            pass
    logfire.force_flush()
    """
)


@pytest.mark.e2e
def test_logfire_in_its_own_process(collector, fake, tmp_path):
    # Logfire configures the global tracer provider, so it runs in a child process to keep this one clean.
    script = tmp_path / "logfire_app.py"
    script.write_text(_LOGFIRE_SCRIPT)
    done = subprocess.run(
        [sys.executable, str(script), collector.url, fake.base_url],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    plain, streamed = _rows(collector)
    _check_row(plain, streaming=False)
    _check_row(streamed, streaming=True)
    # Logfire's spans carry a reported cost, so they win the dedupe against the SDK's spans.
    assert {r["scope_name"] for r in (plain, streamed)} == {"logfire.anthropic"}
    assert {r["reported_cost_source"] for r in (plain, streamed)} == {"operation.cost"}
    assert Decimal(plain["reported_cost_usd"]) == EXPECTED_COST
    assert plain["service"] == "logfire-svc"

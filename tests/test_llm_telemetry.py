"""The span contract built from a plain CallRecord (the demo's backfill path) and configure_telemetry's OTLP export."""

from __future__ import annotations

import gzip
import threading
import zlib
from datetime import UTC, datetime
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from helpers.llm import only_llm_span
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode

import rates
from llm import CallRecord, configure_telemetry, record_call
from tokenledger import contract as t

pytestmark = pytest.mark.usefixtures("close_llm_clients")

PAST = datetime(2025, 3, 14, 9, 30, tzinfo=UTC)
BEFORE_ANY_CARD = datetime(2022, 6, 1, tzinfo=UTC)


def _ns(when: datetime) -> int:
    return int(when.timestamp()) * 1_000_000_000


def _record(**overrides) -> CallRecord:
    fields = dict(
        provider="anthropic",
        request_model="claude-haiku-4-5",
        response_model="claude-haiku-4-5-20251001",
        response_id="msg_backfill_0001",
        layer="drafts",
        max_tokens=1024,
        input_tokens=20_000,
        output_tokens=1_200,
        cache_read_tokens=15_000,
        cache_write_tokens=2_000,
    )
    return CallRecord(**{**fields, **overrides})


@pytest.fixture
def tracer_and_spans():
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    yield provider.get_tracer("test"), exporter
    provider.shutdown()


def test_record_call_backfills_a_span_in_the_past_priced_at_its_time(tracer_and_spans):
    tracer, exporter = tracer_and_spans
    start, end = _ns(PAST), _ns(PAST) + 1_500_000_000
    record_call(_record(), start_time_ns=start, end_time_ns=end, tracer=tracer)
    [span] = exporter.get_finished_spans()
    assert (span.start_time, span.end_time) == (start, end)
    assert span.name == "chat claude-haiku-4-5" and span.kind is SpanKind.CLIENT
    a = span.attributes
    assert a[t.RESPONSE_MODEL] == "claude-haiku-4-5-20251001" and a[t.RESPONSE_ID] == "msg_backfill_0001"
    assert a[t.INPUT_TOKENS] == 20_000 and a[t.CACHE_WRITE_TOKENS] == 2_000 and a[t.LAYER] == "drafts"
    expected, unknown = rates.compute_cost_usd(
        "claude-haiku-4-5-20251001", 20_000, 1_200, cache_read_tokens=15_000, cache_write_tokens=2_000, at=PAST
    )
    assert Decimal(a[t.COST_USD]) == expected and a[t.PRICING_UNKNOWN] is unknown is False
    assert isinstance(a[t.COST_USD], str) and "E" not in a[t.COST_USD]  # a plain decimal string, never a float


def test_pricing_uses_the_cards_in_force_at_the_start_time(tracer_and_spans):
    tracer, exporter = tracer_and_spans
    record_call(_record(), start_time_ns=_ns(BEFORE_ANY_CARD), tracer=tracer)
    a = exporter.get_finished_spans()[0].attributes
    assert a[t.PRICING_UNKNOWN] is True and Decimal(a[t.COST_USD]) > 0  # estimated, never $0


def test_a_record_without_usage_carries_no_usage_and_no_cost(tracer_and_spans):
    tracer, exporter = tracer_and_spans
    record_call(
        _record(
            input_tokens=None,
            output_tokens=None,
            cache_read_tokens=None,
            cache_write_tokens=None,
            response_model=None,
            response_id=None,
            error_type="500",
        ),
        tracer=tracer,
    )
    span = exporter.get_finished_spans()[0]
    assert span.status.status_code is StatusCode.ERROR and span.attributes[t.ERROR_TYPE] == "500"
    for key in (t.INPUT_TOKENS, t.OUTPUT_TOKENS, t.COST_USD, t.PRICING_UNKNOWN, t.RESPONSE_ID):
        assert key not in span.attributes


def test_streaming_and_policy_fields(tracer_and_spans):
    tracer, exporter = tracer_and_spans
    record_call(
        _record(streaming=True, ttft_ms=412.5, requested_model="claude-sonnet-4-5", reasoning_tokens=0), tracer=tracer
    )
    a = exporter.get_finished_spans()[0].attributes
    assert a[t.STREAMING] is True and a[t.TTFT_MS] == 412.5
    assert a[t.REQUESTED_MODEL] == "claude-sonnet-4-5" and a[t.REASONING_TOKENS] == 0


def test_record_call_uses_the_global_provider_by_default(spans):
    record_call(_record())
    assert only_llm_span(spans).attributes[t.RESPONSE_ID] == "msg_backfill_0001"


def test_record_call_never_raises(spans):
    class BrokenTracer:
        def start_span(self, *args, **kwargs):
            raise RuntimeError("tracer is broken")

    record_call(_record(), tracer=BrokenTracer())  # logged, not raised
    assert spans.get_finished_spans() == ()
    record_call(_record(input_tokens=10, cache_read_tokens=50))  # inconsistent counts: pricing fails, span still goes
    a = only_llm_span(spans).attributes
    assert a[t.PRICING_UNKNOWN] is True and t.COST_USD not in a
    assert a[t.INPUT_TOKENS] == 10 and a[t.CACHE_READ_TOKENS] == 50


class _Receiver(BaseHTTPRequestHandler):
    received: list[tuple[str, dict[str, str], bytes]] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        encoding = self.headers.get("Content-Encoding")
        if encoding == "gzip":
            body = gzip.decompress(body)
        elif encoding == "deflate":
            body = zlib.decompress(body)
        self.received.append((self.path, {k.lower(): v for k, v in self.headers.items()}, body))
        self.send_response(200)
        self.send_header("Content-Type", "application/x-protobuf")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def otlp_receiver():
    _Receiver.received = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Receiver)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", _Receiver.received
    server.shutdown()
    server.server_close()


@pytest.mark.parametrize("suffix", ["", "/", "/v1/traces"])
def test_configure_telemetry_exports_otlp_protobuf_with_resource(otlp_receiver, monkeypatch, suffix):
    url, received = otlp_receiver
    monkeypatch.delenv("OTEL_SERVICE_NAME", raising=False)
    monkeypatch.delenv("OTEL_RESOURCE_ATTRIBUTES", raising=False)
    provider = configure_telemetry(
        service_name="drafts-service",
        endpoint=url + suffix,
        headers={"Authorization": "Bearer test-ingest-token"},
        environment="staging",
        set_global=False,
    )
    record_call(_record(), start_time_ns=_ns(PAST), tracer=provider.get_tracer("test"))
    assert provider.force_flush(10_000)
    provider.shutdown()
    [(path, headers, body)] = received
    assert path == "/v1/traces" and headers["authorization"] == "Bearer test-ingest-token"
    assert headers["content-type"] == "application/x-protobuf"
    request = ExportTraceServiceRequest.FromString(body)
    resource = {kv.key: kv.value.string_value for kv in request.resource_spans[0].resource.attributes}
    assert resource["service.name"] == "drafts-service" and resource["deployment.environment.name"] == "staging"
    [span] = request.resource_spans[0].scope_spans[0].spans
    attributes = {kv.key: kv.value for kv in span.attributes}
    assert attributes[t.COST_USD].string_value and attributes[t.INPUT_TOKENS].int_value == 20_000
    assert attributes[t.PRICING_UNKNOWN].bool_value is False
    assert span.start_time_unix_nano == _ns(PAST)


def test_configure_telemetry_honours_otel_variables(otlp_receiver, monkeypatch):
    url, received = otlp_receiver
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", url)
    monkeypatch.setenv("OTEL_SERVICE_NAME", "from-env")
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_HEADERS", "x-team=finance")
    provider = configure_telemetry(set_global=False)
    record_call(_record(), tracer=provider.get_tracer("test"))
    assert provider.force_flush(10_000)
    provider.shutdown()
    [(path, headers, body)] = received
    assert path == "/v1/traces" and headers["x-team"] == "finance"
    request = ExportTraceServiceRequest.FromString(body)
    resource = {kv.key: kv.value.string_value for kv in request.resource_spans[0].resource.attributes}
    assert resource["service.name"] == "from-env" and "deployment.environment.name" not in resource

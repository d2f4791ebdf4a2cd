"""The span attribute names are one contract: what the client emits, the collector reads (tokenledger/contract.py)."""

from __future__ import annotations

import pathlib
from datetime import UTC, datetime

import pytest
from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans
from opentelemetry.proto.trace.v1.trace_pb2 import Span
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from collector.mapping import attributes, map_span
from llm import attribute
from llm.telemetry import CallRecord, attributes_for, record_call
from tokenledger import contract

ROOT = pathlib.Path(__file__).resolve().parent.parent

# Every field set, to values whose absence the collector would notice (no model prefix to guess the provider from,
# a layer other than the service name, counts that the fallbacks cannot rebuild).
FULL = CallRecord(
    provider="anthropic",
    request_model="acme-large",
    layer="chat",
    response_model="acme-large-2026",
    response_id="msg_contract",
    max_tokens=100,
    input_tokens=1000,
    output_tokens=50,
    cache_read_tokens=600,
    cache_write_tokens=100,
    cache_write_1h_tokens=40,
    web_search_requests=2,
    service_tier="batch",
    reasoning_tokens=20,
    streaming=True,
    ttft_ms=12.5,
    requested_model="acme-xl",
    error_type="overloaded_error",
)


FULL_AT = datetime(2026, 1, 1, tzinfo=UTC)
FULL_ATTRIBUTION = {"customer": "acme", "feature": "search"}
"""The per-request attribution the client adds inside `llm.attribute(...)`."""


def _emitted_span() -> tuple[dict, Span]:
    """The OTLP span the real client and SDK produce for FULL, with its resource attributes."""
    exporter = InMemorySpanExporter()
    provider = TracerProvider(resource=Resource.create({contract.SERVICE: "svc"}))
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    with attribute(**FULL_ATTRIBUTION):
        record_call(FULL, start_time_ns=1_764_115_200_000_000_000, tracer=provider.get_tracer("tests"))
    request = encode_spans(exporter.get_finished_spans())
    resource_spans = request.resource_spans[0]
    return attributes(resource_spans.resource.attributes), resource_spans.scope_spans[0].spans[0]


def _without(span: Span, key: str) -> Span:
    copy = Span()
    copy.CopyFrom(span)
    del copy.attributes[:]
    copy.attributes.extend(kv for kv in span.attributes if kv.key != key)
    return copy


def test_the_client_emits_exactly_the_declared_attributes():
    with attribute(**FULL_ATTRIBUTION):
        emitted = set(attributes_for(FULL, FULL_AT))
    assert emitted == contract.CLIENT_ATTRIBUTES
    assert contract.CLIENT_ATTRIBUTES - contract.NOT_READ_BY_COLLECTOR <= contract.COLLECTOR_READS


@pytest.mark.parametrize("key", sorted(contract.CLIENT_ATTRIBUTES))
def test_the_collector_reads_every_attribute_the_client_emits(key):
    """Dropping an attribute from the client's real span changes the collector's row, unless declared unread."""
    resource, span = _emitted_span()
    assert key in attributes(span.attributes)
    full = map_span(resource, "tests", "1", span)
    without = map_span(resource, "tests", "1", _without(span, key))
    if key in contract.NOT_READ_BY_COLLECTOR:
        assert without == full, f"the collector reads {key}: take it out of NOT_READ_BY_COLLECTOR"
    else:
        assert without != full, f"the client emits {key} but the collector does not read it"


def test_attribute_names_are_spelled_only_in_the_contract():
    names = contract.COLLECTOR_READS | contract.CLIENT_ATTRIBUTES | {contract.SERVICE, contract.ENVIRONMENT}
    found = []
    for package in ("llm", "collector", "rates", "dashboard", "tokenledger", "bench"):
        for path in (ROOT / package).rglob("*.py"):
            if path.name == "contract.py":
                continue
            text = path.read_text()
            found += [f"{path.relative_to(ROOT)}: {name}" for name in names if f'"{name}"' in text]
    assert found == []

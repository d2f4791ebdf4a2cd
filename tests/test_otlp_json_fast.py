"""The OTLP JSON fast path builds exactly the span protobuf's ParseDict builds, or declines (then ParseDict runs)."""

from __future__ import annotations

import copy

import pytest
from google.protobuf import json_format
from opentelemetry.proto.trace.v1.trace_pb2 import Span

from collector.otlp import _convert
from collector.otlp_json import fast_span

FULL = {
    "traceId": "0af7651916cd43dd8448eb211c80319c", "spanId": "b7ad6b7169203331", "parentSpanId": "00f067aa0ba902b7",
    "name": "chat", "kind": 3, "startTimeUnixNano": "1760000000000000000", "endTimeUnixNano": 1760000001000000000,
    "traceState": "a=b", "flags": 1, "droppedAttributesCount": 2, "status": {"code": 2, "message": "boom"},
    "events": [], "links": [],
    "attributes": [
        {"key": "s", "value": {"stringValue": "x"}}, {"key": "i", "value": {"intValue": "-12"}},
        {"key": "j", "value": {"intValue": 7}}, {"key": "d", "value": {"doubleValue": 0.25}},
        {"key": "e", "value": {"doubleValue": 3}}, {"key": "b", "value": {"boolValue": True}},
        {"key": "empty", "value": {}}, {"key": "none"}, {"value": {"stringValue": "no key"}},
    ],
}  # fmt: skip


@pytest.mark.parametrize(
    "span",
    [
        FULL,
        {},
        {"name": None, "attributes": None, "status": {}},
        {"startTimeUnixNano": "0012", "traceId": ""},
    ],
)
def test_fast_path_equals_parse_dict(span):
    span = copy.deepcopy(span)
    _convert(span)
    expected = json_format.ParseDict(copy.deepcopy(span), Span(), ignore_unknown_fields=True)
    before = copy.deepcopy(span)
    built = fast_span(span)
    assert built is not None
    assert built.SerializeToString() == expected.SerializeToString()
    assert span == before  # the input is left as it was, for ParseDict after a decline


@pytest.mark.parametrize(
    "change",
    [
        {"kind": "SPAN_KIND_CLIENT"},  # enum names: ParseDict's business
        {"kind": 9},
        {"trace_id": "AAAA"},  # snake_case field names
        {"startTimeUnixNano": "1e9"},
        {"startTimeUnixNano": -1},
        {"attributes": [{"key": "k", "value": {"intValue": "1e3"}}]},
        {"attributes": [{"key": "k", "value": {"intValue": True}}]},
        {"attributes": [{"key": "k", "value": {"doubleValue": "NaN"}}]},
        {"attributes": [{"key": "k", "value": {"stringValue": 5}}]},
        {"attributes": [{"key": "k", "value": {"stringValue": "\ud800"}}]},  # a lone surrogate
        {"attributes": [{"key": "k", "value": {"arrayValue": {"values": []}}}]},
        {"attributes": [{"key": "k", "value": {"stringValue": "a", "intValue": 1}}]},
        {"attributes": [{"key": "k", "value": None}]},
        {"events": [{"name": "exception"}]},
        {"status": {"code": "STATUS_CODE_ERROR"}},
        {"unknownField": 1},
    ],
)
def test_fast_path_declines_what_it_cannot_read_exactly(change):
    span = {**copy.deepcopy(FULL), **change}
    _convert(span)
    assert fast_span(span) is None

"""POST /v1/traces: encodings, status codes, replay, the dedupe rule and partial success (the app in-process)."""

from __future__ import annotations

import gzip
import json
import zlib

import httpx
import pytest
from helpers.otlp import HAIKU, JSON, PROTO, otlp_json_request, otlp_json_span
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceResponse,
)

from collector.otlp import JSON as JSON_TYPE
from collector.otlp import decode_export

pytestmark = pytest.mark.conformance  # runs on every store (tests/plugins/collector.py)


@pytest.fixture
def collector(start_collector, tmp_path):
    return start_collector(tmp_path, mode="asgi")


def post(collector, payload, headers=JSON, **kwargs) -> httpx.Response:
    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    return collector.client.post("/v1/traces", content=body, headers=headers, **kwargs)


def calls(collector) -> list[dict]:
    return collector.client.get("/api/v1/calls", params={"limit": 1000}).json()["rows"]


def test_json_hex_ids_int64_strings_and_numbers_unknown_fields(collector):
    span = otlp_json_span("b7ad6b7169203331", HAIKU, trace_id="0af7651916cd43dd8448eb211c80319c")
    span["endTimeUnixNano"] = int(span["endTimeUnixNano"])  # int64 as a JSON number is valid too
    span["someFutureField"] = {"x": 1}
    payload = otlp_json_request([span])
    payload["resourceSpans"][0]["unknownTopField"] = True
    response = post(collector, payload)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    assert response.json() == {}  # full success: no partial_success
    (row,) = calls(collector)
    # Hex ids kept as hex: read as base64 they would have become other bytes.
    assert (row["trace_id"], row["span_id"]) == ("0af7651916cd43dd8448eb211c80319c", "b7ad6b7169203331")
    assert row["start_time"] == "2025-11-26T00:00:00+00:00"
    assert row["duration_ms"] == 500.0
    assert row["cost_usd"] == "0.0015" and row["pricing_unknown"] is False
    assert row["card_id"] == "claude-haiku-4-5@2023-01-01"


def test_protobuf_body_gets_protobuf_response(collector):
    payload = otlp_json_request([otlp_json_span("00000000000000a1", HAIKU)])
    request = decode_export(json.dumps(payload).encode(), JSON_TYPE).request  # the collector's own JSON decoder
    response = post(collector, request.SerializeToString(), headers=PROTO)
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/x-protobuf"
    parsed = ExportTraceServiceResponse.FromString(response.content)
    assert not parsed.HasField("partial_success")
    assert len(calls(collector)) == 1


@pytest.mark.parametrize(
    "encoding, compress",
    [
        ("gzip", gzip.compress),
        ("deflate", zlib.compress),  # zlib-wrapped, as the HTTP spec means it
        ("deflate", lambda b: _raw_deflate(b)),  # raw deflate, as some clients send
    ],
)
def test_compressed_bodies(collector, encoding, compress):
    body = json.dumps(otlp_json_request([otlp_json_span("00000000000000b1", HAIKU)])).encode()
    response = post(collector, compress(body), headers={**JSON, "content-encoding": encoding})
    assert response.status_code == 200, response.text
    assert len(calls(collector)) == 1


def _raw_deflate(data: bytes) -> bytes:
    engine = zlib.compressobj(wbits=-15)
    return engine.compress(data) + engine.flush()


def test_replayed_batch_adds_nothing(collector):
    payload = otlp_json_request([otlp_json_span(f"00000000000000c{i}", HAIKU) for i in range(3)])
    for _ in range(3):
        assert post(collector, payload).status_code == 200
    assert len(calls(collector)) == 3


def test_non_llm_spans_are_accepted_and_ignored(collector):
    spans = [
        otlp_json_span("00000000000000d1", {"http.request.method": "GET"}, name="GET /"),
        otlp_json_span("00000000000000d2", {"gen_ai.operation.name": "invoke_agent", "gen_ai.usage.input_tokens": 9}),
        otlp_json_span("00000000000000d3", HAIKU),
    ]
    response = post(collector, otlp_json_request(spans))
    assert response.status_code == 200 and response.json() == {}
    assert [r["span_id"] for r in calls(collector)] == ["00000000000000d3"]


def test_partial_success_rejects_invalid_spans_and_keeps_the_rest(collector):
    spans = [
        otlp_json_span("00000000000000e1", {**HAIKU, "gen_ai.usage.input_tokens": -5}),
        otlp_json_span("00000000000000e2", {**HAIKU, "gen_ai.usage.output_tokens": 12.5}),
        otlp_json_span("00000000000000e3", {**HAIKU, "gen_ai.usage.output_tokens": "12"}),
        otlp_json_span("00000000000000e4", HAIKU),
    ]
    response = post(collector, otlp_json_request(spans))
    assert response.status_code == 200
    partial = response.json()["partialSuccess"]
    assert partial["rejectedSpans"] == "3"  # int64 as a string, per the OTLP JSON mapping
    assert "gen_ai.usage.input_tokens must be >= 0" in partial["errorMessage"]
    assert "gen_ai.usage.output_tokens must be an integer" in partial["errorMessage"]
    assert [r["span_id"] for r in calls(collector)] == ["00000000000000e4"]


def test_partial_success_in_protobuf(collector):
    payload = otlp_json_request([otlp_json_span("00000000000000f1", {**HAIKU, "gen_ai.usage.input_tokens": -1})])
    body = decode_export(json.dumps(payload).encode(), JSON_TYPE).request.SerializeToString()
    response = post(collector, body, headers=PROTO)
    assert response.status_code == 200
    parsed = ExportTraceServiceResponse.FromString(response.content)
    assert parsed.partial_success.rejected_spans == 1
    assert "must be >= 0" in parsed.partial_success.error_message


def _dedupe_pair(layer_first: bool):
    ours = {**HAIKU, "gen_ai.response.id": "msg_same", "tokenledger.layer": "drafts", "tokenledger.cost_usd": "0.0015"}
    sdk = {**HAIKU, "gen_ai.response.id": "msg_same"}
    first, second = (ours, sdk) if layer_first else (sdk, ours)
    return (
        otlp_json_request([otlp_json_span("1000000000000001", first)], scope="first"),
        otlp_json_request([otlp_json_span("1000000000000002", second)], scope="second"),
    )


@pytest.mark.parametrize("layer_first", [True, False])
def test_same_response_id_keeps_one_row_with_the_richer_attribution(collector, layer_first):
    for payload in _dedupe_pair(layer_first):
        assert post(collector, payload).status_code == 200
    (row,) = calls(collector)
    assert row["layer"] == "drafts"
    assert row["reported_cost_source"] == "tokenledger.cost_usd"
    # Replaying the poorer span after the richer one won changes nothing.
    for payload in _dedupe_pair(layer_first):
        assert post(collector, payload).status_code == 200
    assert [r["layer"] for r in calls(collector)] == ["drafts"]


def test_same_response_id_in_one_batch_and_ties_keep_the_first(collector):
    sdk = {**HAIKU, "gen_ai.response.id": "msg_tie"}
    spans = [otlp_json_span("2000000000000001", sdk), otlp_json_span("2000000000000002", sdk)]
    assert post(collector, otlp_json_request(spans)).status_code == 200
    assert post(collector, otlp_json_request([otlp_json_span("2000000000000003", sdk)])).status_code == 200
    assert [r["span_id"] for r in calls(collector)] == ["2000000000000001"]


@pytest.mark.parametrize(
    "body, headers",
    [
        (b"\x0a\xff\xff\xff", PROTO),
        (b"{not json", JSON),
        (b"[1, 2]", JSON),
        (json.dumps({"resourceSpans": [{"resource": {"attributes": "nope"}}]}).encode(), JSON),
        (json.dumps({"resourceSpans": "nope"}).encode(), JSON),
        (b"\x1f\x8b\x08\x00garbage", {**JSON, "content-encoding": "gzip"}),
    ],
)
def test_undecodable_body_is_400(collector, body, headers):
    response = post(collector, body, headers=headers)
    assert response.status_code == 400, response.text
    assert calls(collector) == []


@pytest.mark.parametrize("content_type", ["text/plain", "application/grpc", None])
def test_other_content_types_are_415(collector, content_type):
    headers = {"content-type": content_type} if content_type else {}
    response = collector.client.post("/v1/traces", content=b"{}", headers=headers)
    assert response.status_code == 415


def test_unknown_content_encoding_is_415(collector):
    response = post(collector, b"{}", headers={**JSON, "content-encoding": "br"})
    assert response.status_code == 415


def test_body_over_the_limit_is_413_compressed_or_not(start_collector, tmp_path):
    # Real HTTP here: the streamed body below reaches the app chunked, through uvicorn.
    collector = start_collector(tmp_path, mode="thread", TOKENLEDGER_MAX_BODY_BYTES="4096")
    big = json.dumps(otlp_json_request([otlp_json_span(f"{i:016x}", HAIKU) for i in range(1, 40)])).encode()
    assert len(big) > 4096
    assert post(collector, big).status_code == 413
    # Small on the wire, too big once inflated: refused without inflating it all.
    packed = gzip.compress(big)
    assert len(packed) < 4096
    response = post(collector, packed, headers={**JSON, "content-encoding": "gzip"})
    assert response.status_code == 413
    bomb = gzip.compress(b" " * (50 * 1024 * 1024))
    assert post(collector, bomb, headers={**JSON, "content-encoding": "gzip"}).status_code == 413
    # A streamed body (no Content-Length) is cut off at the limit too.
    response = collector.client.post("/v1/traces", content=iter([big[:3000], big[3000:]]), headers=JSON)
    assert response.status_code == 413
    assert calls(collector) == []
    small = json.dumps(otlp_json_request([otlp_json_span("00000000000000aa", HAIKU)])).encode()
    assert post(collector, small).status_code == 200


def test_same_ids_with_another_start_time_still_add_nothing(collector):
    # A buggy exporter re-sends a span with other times: the key still wins (the slow ON CONFLICT path).
    later = 1_764_115_200_000_000_000 + 5 * 86_400 * 10**9  # outside the dedupe window of the first
    first = otlp_json_span("3000000000000001", HAIKU)
    again = otlp_json_span("3000000000000001", HAIKU, start_ns=later)
    assert post(collector, otlp_json_request([first])).status_code == 200
    response = post(collector, otlp_json_request([again, otlp_json_span("3000000000000002", HAIKU, start_ns=later)]))
    assert response.status_code == 200
    assert sorted(r["span_id"] for r in calls(collector)) == ["3000000000000001", "3000000000000002"]

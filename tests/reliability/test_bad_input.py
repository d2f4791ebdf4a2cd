"""Bad input: property-based tests of the decoder and mapping, a seeded corpus of malformed requests against a live
collector, and schemathesis against the read API's OpenAPI schema. Never a 5xx, never a crash."""

from __future__ import annotations

import base64
import gzip
import json
import random
import zlib

import httpx
import pytest
import schemathesis
from _support import proto_request, span_hex
from conftest import HAIKU, JSON, PROTO, launch_collector, otlp_json_request, otlp_json_span
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest
from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import ExportMetricsServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue

from collector import Settings, create_app, otlp
from collector.mapping import InvalidSpan, map_span

pytestmark = pytest.mark.reliability

SEED = 1313
CORPUS = 3000
ALLOWED = {200, 400, 408, 413, 415, 429}
# derandomize: the same inputs every run (no flaky CI); no example database written to the work tree.
FUZZ = settings(
    max_examples=400, deadline=None, derandomize=True, database=None, suppress_health_check=[HealthCheck.too_slow]
)
VALID_PROTO = proto_request(range(5)).SerializeToString()
VALID_JSON = json.dumps(otlp_json_request([otlp_json_span(span_hex(i), HAIKU) for i in range(3)])).encode()


# Property-based: the decoder and the mapping fail only with their own errors, whatever the bytes.


@FUZZ
@given(st.binary(max_size=4096), st.sampled_from([otlp.PROTOBUF, otlp.JSON]))
def test_decoder_refuses_random_bytes_with_bad_request_only(body, kind):
    try:
        otlp.decode_export(body, kind)
    except otlp.BadRequest:
        pass


@FUZZ
@given(st.integers(0, len(VALID_PROTO)), st.binary(max_size=16))
def test_truncated_or_extended_protobuf_decodes_or_is_bad_request(cut, tail):
    try:
        otlp.decode_export(VALID_PROTO[:cut] + tail, otlp.PROTOBUF)
    except otlp.BadRequest:
        pass


@FUZZ
@given(st.binary(max_size=2048), st.sampled_from(["gzip", "deflate", "identity", "br"]))
def test_decompression_fails_only_with_its_own_errors(body, encoding):
    try:
        otlp.decompress(body, encoding, 1 << 20)
    except (otlp.BadRequest, otlp.TooLarge, otlp.UnsupportedMediaType):
        pass


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4),
    max_leaves=20,
)
SPAN_KEYS = ["traceId", "spanId", "name", "kind", "startTimeUnixNano", "endTimeUnixNano", "attributes", "status",
             "links", "events", "parentSpanId"]  # fmt: skip


@FUZZ
@given(st.sampled_from(SPAN_KEYS), JSON_VALUES, st.sampled_from(["span", "value", "resource"]))
def test_json_with_a_value_of_any_shape_is_decoded_or_refused_and_maps_cleanly(key, junk, where):
    body = otlp_json_request([otlp_json_span("2000000000000001", HAIKU), otlp_json_span("2000000000000002", HAIKU)])
    spans = body["resourceSpans"][0]["scopeSpans"][0]["spans"]
    if where == "span":
        spans[1][key] = junk
    elif where == "value":
        spans[1]["attributes"][0]["value"] = junk if isinstance(junk, dict) else {"intValue": junk}
    else:
        body["resourceSpans"][0]["resource"][key] = junk
    try:
        decoded = otlp.decode_export(json.dumps(body).encode(), otlp.JSON)
    except otlp.BadRequest:
        assert where == "resource"  # a broken span never fails the request
        return
    kept = [s for rs in decoded.request.resource_spans for ss in rs.scope_spans for s in ss.spans]
    assert len(kept) + len(decoded.rejected) == 2
    assert kept[0].span_id.hex() == "2000000000000001"
    for span in kept:
        try:
            map_span({}, "fuzz", "1", span)
        except InvalidSpan:
            pass


ANY_VALUES = st.one_of(
    st.builds(lambda v: AnyValue(int_value=v), st.integers(-(2**63), 2**63 - 1)),
    st.builds(lambda v: AnyValue(double_value=v), st.floats()),
    st.builds(lambda v: AnyValue(string_value=v), st.text(max_size=30)),
    st.builds(lambda v: AnyValue(bool_value=v), st.booleans()),
    st.just(AnyValue()),
)
KEYS = st.sampled_from(
    ["gen_ai.usage.input_tokens", "gen_ai.usage.output_tokens", "gen_ai.usage.cache_read.input_tokens",
     "gen_ai.usage.reasoning.output_tokens", "gen_ai.operation.name", "gen_ai.request.model", "gen_ai.response.id",
     "tokenledger.cost_usd", "gen_ai.usage.cost", "tokenledger.ttft_ms", "error.type", "output.value", "other"]
)  # fmt: skip


@FUZZ
@given(st.lists(st.tuples(KEYS, ANY_VALUES), max_size=12))
def test_mapping_gives_a_row_none_or_invalid_span(pairs):
    span = proto_request([1], minimal=True).resource_spans[0].scope_spans[0].spans[0]
    del span.attributes[:]
    span.attributes.extend(KeyValue(key=k, value=v) for k, v in pairs)
    try:
        row = map_span({"service.name": "fuzz"}, "fuzz", None, span)
    except InvalidSpan:
        return
    if row is not None:
        for column in ("input_tokens", "output_tokens", "cache_read_tokens", "cache_write_tokens", "reasoning_tokens"):
            assert isinstance(getattr(row, column), int) and getattr(row, column) >= 0


# A seeded corpus of malformed requests against a live collector.


def _corpus(rng: random.Random):
    """(label, body, headers) for CORPUS malformed or hostile requests."""
    other_messages = [ExportLogsServiceRequest().SerializeToString(), ExportMetricsServiceRequest().SerializeToString()]
    bomb = gzip.compress(b"\0" * (80 * 1024 * 1024), compresslevel=9)
    gz = {"content-encoding": "gzip"}
    for index in range(CORPUS):
        kind = index % 12
        if kind == 0:
            yield "random protobuf", rng.randbytes(rng.randint(0, 2000)), PROTO
        elif kind == 1:
            yield "truncated protobuf", VALID_PROTO[: rng.randint(0, len(VALID_PROTO) - 1)], PROTO
        elif kind == 2:
            junk = rng.randbytes(rng.randint(1, 200))
            yield "wrong message type", rng.choice(other_messages) + junk, PROTO
        elif kind == 3:
            yield "bad JSON", VALID_JSON[: rng.randint(0, len(VALID_JSON) - 1)], JSON
        elif kind == 4:
            spans = [otlp_json_span(f"{index:016x}", HAIKU), otlp_json_span(f"{index + 1:016x}", HAIKU)]
            body = otlp_json_request(spans)
            attr = body["resourceSpans"][0]["scopeSpans"][0]["spans"][1]["attributes"][0]
            attr["value"] = rng.choice([{"intValue": 1.5}, {"intValue": []}, {"boolValue": "x"}, {}, {"a": 1}])
            yield "wrong type beside a valid span", json.dumps(body).encode(), JSON
        elif kind == 5:
            yield "gzip bomb", bomb, {**PROTO, **gz}
        elif kind == 6:
            yield "encoding lie: says gzip, is plain", VALID_PROTO, {**PROTO, **gz}
        elif kind == 7:
            headers = {**JSON, "content-encoding": "deflate"}
            yield "encoding lie: says deflate, is gzip", gzip.compress(VALID_JSON), headers
        elif kind == 8:
            yield "unknown encoding", VALID_PROTO, {**PROTO, "content-encoding": rng.choice(["br", "zstd", "x"])}
        elif kind == 9:
            yield "many gzip members", gzip.compress(b"") * rng.randint(65, 5000), {**PROTO, **gz}
        elif kind == 10:
            yield "JSON body as protobuf", VALID_JSON, PROTO
        else:
            raw = zlib.compress(rng.randbytes(rng.randint(0, 500)))
            yield "random deflate", raw[: rng.randint(0, len(raw))], {**JSON, "content-encoding": "deflate"}


def test_a_corpus_of_malformed_requests_is_never_a_5xx(tmp_path):
    # An 8 MiB limit keeps each gzip bomb's inflation (up to the limit) short; the limit's logic is the same.
    collector = launch_collector(tmp_path, mode="thread", TOKENLEDGER_MAX_BODY_BYTES=str(8 * 1024 * 1024))
    seen: dict[int, int] = {}
    try:
        with httpx.Client(base_url=collector.url, timeout=60) as client:
            for label, body, headers in _corpus(random.Random(SEED)):
                status = client.post("/v1/traces", content=body, headers=headers).status_code
                assert status in ALLOWED, f"{label}: {status}"
                seen[status] = seen.get(status, 0) + 1
            good = otlp_json_request([otlp_json_span("3000000000000001", HAIKU)])
            assert client.post("/v1/traces", json=good).status_code == 200
            assert client.get("/api/v1/calls", params={"limit": 0}).json()["total"] > 0
    finally:
        collector.stop()
    print(f"\nbad input: {CORPUS} malformed requests (seed {SEED}), statuses {dict(sorted(seen.items()))}")


# schemathesis: every read operation from the OpenAPI schema, generated inputs, never a 5xx.

SCHEMA = schemathesis.openapi.from_dict(create_app(Settings()).openapi()).include(method="GET")
CASES = [0]


@pytest.fixture(scope="module")
def live(tmp_path_factory):
    collector = launch_collector(tmp_path_factory.mktemp("schemathesis"), mode="thread")
    body = otlp_json_request([otlp_json_span(span_hex(i), HAIKU) for i in range(20)])
    httpx.post(collector.url + "/v1/traces", json=body).raise_for_status()
    yield collector
    collector.stop()
    print(f"\nschemathesis: {CASES[0]} cases on the read API")


@SCHEMA.parametrize()
@settings(max_examples=150, deadline=None, derandomize=True, database=None, suppress_health_check=list(HealthCheck))
def test_read_api_never_answers_5xx(case, live):
    CASES[0] += 1
    response = case.call(base_url=live.url, timeout=30)
    assert response.status_code < 500, f"{case.method} {case.path} {case.query}: {response.status_code}"


def test_base64_span_ids_in_json_are_refused_per_span():
    body = otlp_json_request([otlp_json_span("4000000000000001", HAIKU), otlp_json_span("x", HAIKU)])
    body["resourceSpans"][0]["scopeSpans"][0]["spans"][1]["spanId"] = base64.b64encode(b"\x01" * 8).decode()
    decoded = otlp.decode_export(json.dumps(body).encode(), otlp.JSON)
    assert len(decoded.rejected) == 1

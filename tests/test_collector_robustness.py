"""One bad span or one odd parameter never fails a whole request: partial success or 400, never 503/500."""

from __future__ import annotations

import json

import httpx
import pytest
from helpers.otlp import HAIKU, JSON, otlp_json_request, otlp_json_span

pytestmark = pytest.mark.conformance  # runs on every store (tests/plugins/collector.py)


@pytest.fixture(scope="module")
def collector(store_kind, tmp_path_factory):  # store_kind: one per store (conformance)
    from helpers.collector import launch_collector

    handle = launch_collector(tmp_path_factory.mktemp("robust"), mode="asgi")
    yield handle
    handle.stop()


def post(collector, payload) -> httpx.Response:
    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    return collector.client.post("/v1/traces", content=body, headers=JSON)


def rows_of(collector, trace_id: str) -> list[dict]:
    rows = collector.client.get("/api/v1/calls", params={"limit": 1000}).json()["rows"]
    return [r for r in rows if r["trace_id"] == trace_id]


@pytest.mark.parametrize(
    "trace_id, cost_attrs, stored_as",
    [
        ("1" * 32, {"tokenledger.cost_usd": "1e20"}, None),
        ("2" * 32, {"operation.cost": 3e16}, None),
        ("3" * 32, {"gen_ai.usage.cost": "123456789012345678901234567"}, None),  # 27 digits: DECIMAL(38,12) can't
        ("8" * 32, {"gen_ai.usage.cost": "999999999999.5"}, "999999999999.5"),  # below the 1e12 USD bound
    ],
)
def test_an_oversized_reported_cost_never_fails_the_batch(collector, trace_id, cost_attrs, stored_as):
    good = otlp_json_span("00000000000000b1", HAIKU, trace_id=trace_id)
    odd = otlp_json_span("00000000000000b2", {**HAIKU, **cost_attrs}, trace_id=trace_id)
    response = post(collector, otlp_json_request([good, odd]))
    assert response.status_code == 200, response.text
    stored = {r["span_id"]: r for r in rows_of(collector, trace_id)}
    assert "00000000000000b1" in stored
    # The span itself is a fine call: it lands; an absurd reported figure is dropped (never a wrong number), so that
    # sums of reported costs cannot overflow either.
    assert stored["00000000000000b2"]["reported_cost_usd"] == stored_as
    assert stored["00000000000000b2"]["cost_usd"] == "0.0015"
    assert collector.client.get("/api/v1/spend", params={"group_by": "model"}).status_code == 200


def test_a_reported_cost_with_many_decimals_is_rounded_to_the_stored_precision(collector):
    trace_id = "4" * 32
    attrs = {**HAIKU, "tokenledger.cost_usd": "0.00150000000000049"}
    span = otlp_json_span("00000000000000b3", attrs, trace_id=trace_id)
    assert post(collector, otlp_json_request([span])).status_code == 200
    (row,) = rows_of(collector, trace_id)
    assert row["reported_cost_usd"] == "0.0015"


def test_an_unexpected_error_on_one_span_rejects_only_that_span(collector, monkeypatch):
    from collector import ingest as ingest_module

    real = ingest_module.map_span

    def buggy(resource, scope_name, scope_version, span, *rest):
        if span.span_id.hex() == "00000000000000c2":
            raise ArithmeticError("a bug in mapping")
        return real(resource, scope_name, scope_version, span, *rest)

    monkeypatch.setattr(ingest_module, "map_span", buggy)
    trace_id = "5" * 32
    spans = [otlp_json_span(f"00000000000000c{i}", HAIKU, trace_id=trace_id) for i in (1, 2, 3)]
    response = post(collector, otlp_json_request(spans))
    assert response.status_code == 200
    partial = response.json()["partialSuccess"]
    assert partial["rejectedSpans"] == "1"
    assert "00000000000000c2" in partial["errorMessage"]
    assert "a bug in mapping" not in partial["errorMessage"]  # internals stay in the log
    assert sorted(r["span_id"] for r in rows_of(collector, trace_id)) == ["00000000000000c1", "00000000000000c3"]


@pytest.mark.parametrize("body", [b"[" * 200_000, b'{"a":' * 200_000])
def test_deeply_nested_json_body_is_400(collector, body):
    response = post(collector, body)
    assert response.status_code == 400
    assert "JSON" in response.json()["message"]


def test_deeply_nested_output_value_only_loses_the_response_id(collector):
    trace_id = "6" * 32
    attrs = {
        "openinference.span.kind": "LLM",
        "llm.model_name": "claude-haiku-4-5",
        "llm.token_count.prompt": 1000,
        "llm.token_count.completion": 100,
        "output.mime_type": "application/json",
        "output.value": '{"id": ' + "[" * 100_000 + "]" * 100_000 + "}",
    }
    response = post(collector, otlp_json_request([otlp_json_span("00000000000000d1", attrs, trace_id=trace_id)]))
    assert response.status_code == 200 and response.json() == {}
    (row,) = rows_of(collector, trace_id)
    assert row["response_id"] is None and row["cost_usd"] == "0.0015"


def test_unrealistic_token_counts_reject_the_span_and_spend_still_reads(collector):
    trace_id = "7" * 32
    huge = {**HAIKU, "gen_ai.usage.input_tokens": 5 * 10**18}
    over = {**HAIKU, "gen_ai.usage.output_tokens": 10**12 + 1}
    spans = [
        otlp_json_span("00000000000000e1", huge, trace_id=trace_id),
        otlp_json_span("00000000000000e2", huge, trace_id=trace_id),
        otlp_json_span("00000000000000e3", over, trace_id=trace_id),
        otlp_json_span("00000000000000e4", {**HAIKU, "gen_ai.usage.input_tokens": 10**12}, trace_id=trace_id),
    ]
    response = post(collector, otlp_json_request(spans))
    assert response.status_code == 200
    partial = response.json()["partialSuccess"]
    assert partial["rejectedSpans"] == "3"
    assert "gen_ai.usage.output_tokens must be at most 1000000000000" in partial["errorMessage"]
    assert [r["span_id"] for r in rows_of(collector, trace_id)] == ["00000000000000e4"]
    assert collector.client.get("/api/v1/spend").status_code == 200


def test_token_sums_past_int64_read_as_null_not_an_error(tmp_path):
    from collector.store import CallFilter, Store

    store = Store.open(tmp_path / "sums.duckdb")
    try:
        # Rows stored before the per-call limit existed: their sum does not fit BIGINT.
        store._con.execute(
            """
            INSERT INTO calls (trace_id, span_id, start_time, end_time, duration_ms, model, input_tokens, output_tokens,
                cache_read_tokens, cache_write_tokens, reasoning_tokens, cost_usd, pricing_unknown, status, streaming,
                attribution_score, ingested_at)
            SELECT 't', 's' || i, TIMESTAMPTZ '2025-11-26 00:00:00+00', TIMESTAMPTZ '2025-11-26 00:00:01+00', 1000,
                'm', 5000000000000000000, 1, 0, 0, 0, 1, true, 'ok', false, 0, now()
            FROM range(2) r(i)
            """
        )
        (row,) = store.spend(["model"], CallFilter()).to_pylist()
        assert row["input_tokens"] is None and row["output_tokens"] == 2 and row["calls"] == 2
        (queued,) = store.review(CallFilter()).to_pylist()
        assert queued["input_tokens"] is None and queued["output_tokens"] == 2
    finally:
        store.close()


@pytest.mark.parametrize(
    "params",
    [{"end": "9999-12-31"}, {"start": "9999-12-31T23:59:59-05:00"}, {"end": "0001-01-01T00:00:00+05:00"}],
)
def test_dates_at_the_calendar_edge_are_400(collector, params):
    response = collector.client.get("/api/v1/spend", params=params)
    assert response.status_code == 400
    assert next(iter(params)) in response.json()["detail"]

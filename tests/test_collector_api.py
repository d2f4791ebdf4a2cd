"""The read API over a known data set: spend, latency, calls, review; formats; parameter validation."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import httpx
import pyarrow as pa
import pytest
from helpers.collector import launch_collector
from helpers.otlp import otlp_json_request, otlp_json_span

pytestmark = pytest.mark.conformance  # runs on every store

NOV1 = 1_761_955_200_000_000_000  # 2025-11-01T00:00:00Z
NOV2 = NOV1 + 86_400_000_000_000
HOUR = 3_600_000_000_000


def _call(span_id, model, start, *, layer=None, tokens=(1000, 100), duration_ms=100, **extra):
    attrs = {
        "gen_ai.operation.name": "chat",
        "gen_ai.request.model": model,
        "gen_ai.usage.input_tokens": tokens[0],
        "gen_ai.usage.output_tokens": tokens[1],
        **({"tokenledger.layer": layer} if layer else {}),
        **extra,
    }
    status = 2 if "error.type" in attrs else 0
    return otlp_json_span(span_id, attrs, start_ns=start, duration_ms=duration_ms, status_code=status)


DATA = [
    # (resource, spans)
    (
        {"service.name": "bff", "deployment.environment.name": "prod"},
        [
            _call("a000000000000001", "claude-haiku-4-5", NOV1 + HOUR, layer="chat", duration_ms=100,
                  **{"tokenledger.policy.requested_model": "claude-sonnet-4-5"}),
            _call(
                "a000000000000002", "claude-haiku-4-5", NOV1 + 2 * HOUR, layer="chat", duration_ms=300,
                **{"tokenledger.streaming": True, "tokenledger.ttft_ms": 50.0},
            ),
        ],
    ),
    (
        {"service.name": "backend", "deployment.environment.name": "prod"},
        [
            _call("b000000000000001", "mystery-model-1", NOV2 + HOUR, layer="drafts", tokens=(2000, 0),
                  **{"error.type": "LLMUpstreamError"}),
            _call("b000000000000002", "gpt-4o", NOV2 + 2 * HOUR, layer="analysis", tokens=(1_000_000, 0)),
            _call("b000000000000003", "claude-sonnet-4-5", NOV2 + 3 * HOUR, layer="analysis", tokens=(1000, 1000)),
        ],
    ),
    ({"service.name": "staging-bff", "deployment.environment.name": "staging"},
     [_call("c000000000000001", "claude-haiku-4-5", NOV2 + 4 * HOUR)]),
]  # fmt: skip
# haiku 1000 in/100 out: 0.001 + 0.0005 = 0.0015; sonnet 1000/1000: 0.003 + 0.015 = 0.018.
# Unpriced models are estimated: mystery at haiku rates, 2000 in = 0.002; gpt-4o, which the genai-prices snapshot
# knows, at its public price: 1M in = 2.5 (issue 17 item 5; it was 1 at haiku rates).


@pytest.fixture(scope="module")
def api(store_kind, tmp_path_factory):  # store_kind: one per store (conformance)
    collector = launch_collector(tmp_path_factory.mktemp("api"), mode="asgi")
    try:
        for resource, spans in DATA:
            response = collector.client.post("/v1/traces", json=otlp_json_request(spans, resource=resource))
            assert response.status_code == 200 and response.json() == {}
        yield collector
    finally:
        collector.stop()


def get(api, path, **params) -> httpx.Response:
    return api.client.get(path, params=params)


def test_spend_by_day_and_layer(api):
    rows = get(api, "/api/v1/spend", group_by="day,layer").json()["rows"]
    got = {(r["day"], r["layer"]): r for r in rows}
    assert list(got) == [
        ("2025-11-01", "chat"),
        ("2025-11-02", "analysis"),
        ("2025-11-02", "drafts"),
        ("2025-11-02", "staging-bff"),  # no tokenledger.layer: falls back to service.name
    ]
    chat = got["2025-11-01", "chat"]
    assert (chat["calls"], chat["input_tokens"], chat["output_tokens"]) == (2, 2000, 200)
    assert (chat["cost_usd"], chat["priced_cost_usd"], chat["unpriced_calls"]) == ("0.003", "0.003", 0)
    analysis = got["2025-11-02", "analysis"]
    assert analysis["cost_usd"] == "2.518"
    split = (analysis["priced_cost_usd"], analysis["unpriced_cost_usd"], analysis["unpriced_calls"])
    assert split == ("0.018", "2.5", 1)


def test_spend_totals_and_filters(api):
    (total,) = get(api, "/api/v1/spend", group_by="none").json()["rows"]
    assert total["calls"] == 6
    assert Decimal(total["cost_usd"]) == Decimal("0.003") + Decimal("2.518") + Decimal("0.002") + Decimal("0.0015")
    assert Decimal(total["cost_usd"]) == Decimal(total["priced_cost_usd"]) + Decimal(total["unpriced_cost_usd"])

    def calls(**params):
        rows = get(api, "/api/v1/spend", group_by="none", **params).json()["rows"]
        return rows[0]["calls"]

    assert calls(start="2025-11-02") == 4
    assert calls(end="2025-11-01") == 2  # a date as `end` includes that whole day
    assert calls(start="2025-11-01T01:30:00Z", end="2025-11-02T02:00:00+00:00") == 2
    assert calls(layer="analysis") == 2
    assert calls(model="claude-haiku-4-5") == 3
    assert calls(service="backend") == 3
    assert calls(environment="staging") == 1
    assert calls(provider="anthropic") == 4
    assert calls(layer="nope") == 0


def test_spend_by_requested_model_shows_policy_substitutions(api):
    rows = get(api, "/api/v1/spend", group_by="requested_model,model,layer").json()["rows"]
    subs = [r for r in rows if r["requested_model"] is not None]
    assert [(r["requested_model"], r["model"], r["layer"], r["calls"], r["cost_usd"]) for r in subs] == [
        ("claude-sonnet-4-5", "claude-haiku-4-5", "chat", 1, "0.0015")
    ]
    assert sum(r["calls"] for r in rows) == 6
    (only,) = get(api, "/api/v1/spend", group_by="model", requested_model="claude-sonnet-4-5").json()["rows"]
    assert (only["model"], only["calls"]) == ("claude-haiku-4-5", 1)


def test_spend_as_arrow_keeps_dates_and_decimals(api):
    response = get(api, "/api/v1/spend", group_by="day,layer", format="arrow")
    assert response.headers["content-type"] == "application/vnd.apache.arrow.stream"
    table = pa.ipc.open_stream(response.content).read_all()
    assert table.schema.field("day").type == pa.date32()
    for name in ("cost_usd", "priced_cost_usd", "unpriced_cost_usd"):
        assert table.schema.field(name).type == pa.decimal128(38, 12)
    assert sum(table.column("cost_usd").to_pylist()) == Decimal("2.5245")


def test_spend_as_csv(api):
    response = get(api, "/api/v1/spend", group_by="model", format="csv")
    assert response.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.text)))
    by_model = {r["model"]: r for r in rows}
    assert by_model["gpt-4o"]["cost_usd"] == "2.5"
    assert by_model["claude-haiku-4-5"]["calls"] == "3"


def test_latency(api):
    rows = {r["layer"]: r for r in get(api, "/api/v1/latency", group_by="layer").json()["rows"]}
    chat = rows["chat"]
    assert (chat["calls"], chat["p50_ms"], chat["error_rate"]) == (2, 200.0, 0.0)
    assert chat["p95_ms"] == pytest.approx(290.0) and chat["p99_ms"] == pytest.approx(298.0)
    assert (chat["streaming_calls"], chat["ttft_ms"]) == (1, 50.0)
    assert rows["drafts"]["error_rate"] == 1.0
    assert rows["analysis"]["ttft_ms"] is None
    assert [chat[f"ttft_{p}_ms"] for p in ("p50", "p95", "p99")] == [50.0, 50.0, 50.0]
    assert [rows["analysis"][f"ttft_{p}_ms"] for p in ("p50", "p95", "p99")] == [None, None, None]


def test_values_lists_each_filters_values_under_the_filters(api):
    got = get(api, "/api/v1/values").json()["values"]
    assert got["layer"] == ["analysis", "chat", "drafts", "staging-bff"]  # a call with no layer reads its service
    assert got["model"] == ["claude-haiku-4-5", "claude-sonnet-4-5", "gpt-4o", "mystery-model-1"]
    assert got["requested_model"] == ["claude-sonnet-4-5"]  # no null: calls with none are not a value
    assert got["team"] == ["unattributed"]  # as the team filter matches calls with no team
    assert set(got) == {"layer", "model", "card_model", "provider", "service", "environment", "requested_model",
                        "team", "cost_center", "customer", "feature"}  # fmt: skip
    backend = get(api, "/api/v1/values", keys="layer,environment", service="backend").json()["values"]
    assert backend == {"layer": ["analysis", "drafts"], "environment": ["prod"]}
    none = get(api, "/api/v1/values", keys="layer", start="2030-01-01").json()["values"]
    assert none == {"layer": []}
    table = pa.ipc.open_stream(get(api, "/api/v1/values", keys="service", format="arrow").content).read_all()
    assert table.to_pylist() == [{"key": "service", "value": v} for v in ("backend", "bff", "staging-bff")]
    for bad in ("trace_id", "layer,", "nope"):
        response = get(api, "/api/v1/values", keys=bad)
        assert response.status_code == 400 and "use layer, model" in response.json()["detail"], response.text


def test_calls_newest_first_with_paging(api):
    page = get(api, "/api/v1/calls", limit=2, offset=1).json()
    assert page["total"] == 6 and (page["limit"], page["offset"]) == (2, 1)
    assert [r["span_id"] for r in page["rows"]] == ["b000000000000003", "b000000000000002"]
    assert "attribution_score" not in page["rows"][0]
    unpriced = get(api, "/api/v1/calls", pricing_unknown="true").json()["rows"]
    assert {r["model"] for r in unpriced} == {"gpt-4o", "mystery-model-1"}
    failed = next(r for r in unpriced if r["model"] == "mystery-model-1")
    assert (failed["status"], failed["error_type"]) == ("error", "LLMUpstreamError")


def test_calls_as_arrow(api):
    table = pa.ipc.open_stream(get(api, "/api/v1/calls", format="arrow").content).read_all()
    assert table.num_rows == 6
    assert table.schema.field("cost_usd").type == pa.decimal128(38, 12)
    assert table.schema.field("start_time").type == pa.timestamp("us", tz="UTC")


def test_review_queue(api):
    models = get(api, "/api/v1/review").json()["models"]
    assert [m["model"] for m in models] == ["gpt-4o", "mystery-model-1"]  # most expensive first
    gpt, mystery = models
    assert (gpt["calls"], gpt["input_tokens"], gpt["estimated_cost_usd"]) == (1, 1_000_000, "2.5")
    assert gpt["estimate_source"] == "genai-prices 0.2.3 snapshot (model gpt-4o)"
    assert mystery["estimate_source"] == "default: claude-haiku-4-5-20251001 rates"
    assert gpt["first_seen"] == gpt["last_seen"] == "2025-11-02T02:00:00+00:00"
    assert gpt["suggested"]["model"] and Decimal(gpt["suggested"]["input_usd_per_mtok"]) > 0
    assert mystery["suggested"] is None
    flat = pa.ipc.open_stream(get(api, "/api/v1/review", format="arrow").content).read_all()
    assert flat.column("suggested_input_usd_per_mtok").to_pylist()[1] is None


@pytest.mark.parametrize(
    "path, params, message",
    [
        ("/api/v1/spend", {"start": "yesterday"}, "start is not an ISO date"),
        ("/api/v1/spend", {"end": "2025-13-01"}, "end is not an ISO date"),
        ("/api/v1/spend", {"start": "2025-11-02", "end": "2025-11-01T00:00:00"}, "end is before start"),
        ("/api/v1/spend", {"group_by": "layer,colour"}, "unknown group_by colour"),
        ("/api/v1/spend", {"group_by": "layer,layer"}, "twice"),
        ("/api/v1/spend", {"format": "xml"}, "unknown format"),
        ("/api/v1/latency", {"group_by": "model; DROP TABLE calls"}, "unknown group_by"),
        ("/api/v1/calls", {"limit": "-1"}, "limit must be >= 0"),
        ("/api/v1/calls", {"offset": "x"}, "offset must be an integer"),
        ("/api/v1/calls", {"limit": "100001"}, "at most"),
        ("/api/v1/calls", {"pricing_unknown": "maybe"}, "pricing_unknown must be one of true/false/1/0/yes/no"),
    ],
)
def test_bad_parameters_are_400_with_a_message(api, path, params, message):
    response = get(api, path, **params)
    assert response.status_code == 400
    assert message in response.json()["detail"]


def test_a_filter_value_never_becomes_sql(api):
    evil = "x' OR '1'='1"
    assert get(api, "/api/v1/spend", group_by="none", layer=evil).json()["rows"][0]["calls"] == 0
    assert get(api, "/api/v1/calls").json()["total"] == 6


def test_what_a_store_does_not_support_is_501_naming_it(tmp_path, monkeypatch):
    from collector.store import Unsupported

    collector = launch_collector(tmp_path, mode="asgi")
    try:

        def refuse(*args, **kwargs):
            raise Unsupported("cache savings are not supported on this store")

        monkeypatch.setattr(collector.app.state.store, "cache", refuse)
        response = collector.client.get("/api/v1/cache")
        assert response.status_code == 501
        assert response.json() == {"detail": "cache savings are not supported on this store"}
    finally:
        collector.stop()


def test_the_module_collector_runs_on_the_store_of_this_run(api, store_kind):
    # Guards the conformance suite itself: a module-scoped collector must be one per store, not reused.
    store = type(api.app.state.store).__name__
    assert store == {"duckdb": "Store", "chdb": "ClickHouseStore", "clickhouse": "ClickHouseStore"}[store_kind]


def test_day_and_month_are_utc_and_split_at_midnight(tmp_path):
    """The day and month keys are computed as integer arithmetic on the start time (not a calendar cast): a call one
    microsecond before midnight UTC on Oct 31 and one at midnight fall in different days and months."""
    spans = [
        _call("d000000000000001", "claude-haiku-4-5", NOV1 - 1_000, duration_ms=100),
        _call("d000000000000002", "claude-haiku-4-5", NOV1, duration_ms=300),
        _call("d000000000000003", "claude-haiku-4-5", NOV1 + 86_399_999_999_000, duration_ms=500),
    ]
    collector = launch_collector(tmp_path, mode="asgi")
    try:
        assert collector.client.post("/v1/traces", json=otlp_json_request(spans)).status_code == 200
        rows = get(collector, "/api/v1/spend", group_by="month,day").json()["rows"]
        assert [(r["month"], r["day"], r["calls"]) for r in rows] == [
            ("2025-10-01", "2025-10-31", 1), ("2025-11-01", "2025-11-01", 2)]  # fmt: skip
        latency = get(collector, "/api/v1/latency", group_by="day").json()["rows"]
        assert [(r["day"], r["calls"], r["p50_ms"], r["p99_ms"]) for r in latency] == [
            ("2025-10-31", 1, 100.0, 100.0), ("2025-11-01", 2, 400.0, pytest.approx(498.0))]  # fmt: skip
        assert all(r["ttft_p50_ms"] is None for r in latency)
        window = get(collector, "/api/v1/spend", group_by="day", start="2025-11-01T00:00:00Z").json()["rows"]
        assert [(r["day"], r["calls"]) for r in window] == [("2025-11-01", 2)]
    finally:
        collector.stop()

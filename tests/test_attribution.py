"""Attribution in the collector: team, cost_center, customer, feature from span or resource or the operator's
mapping; conversation and trace; every read's group_by and filter; rows stored before the change."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import duckdb
import httpx
import pytest
from google.protobuf import json_format
from helpers.finance import launch_clocked
from helpers.otlp import HAIKU, otlp_json_request, otlp_json_span
from opentelemetry.proto.trace.v1.trace_pb2 import Span

from collector import Settings, SettingsError, Store
from collector.mapping import MAX_DIMENSION_CHARS, map_span
from collector.otlp import _convert
from collector.store._migrations import MIGRATIONS

pytestmark = pytest.mark.conformance  # runs on every store (tests/plugins/collector.py)

BASE = {"gen_ai.operation.name": "chat", "gen_ai.request.model": "claude-haiku-4-5", "gen_ai.usage.input_tokens": 10}
DIMS = ("team", "cost_center", "customer", "feature")


def _span(attrs: dict) -> Span:
    raw = otlp_json_span("00000000000000a1", {**BASE, **attrs})
    _convert(raw)
    return json_format.ParseDict(raw, Span(), ignore_unknown_fields=True)


def _dims(attrs: dict, resource: dict | None = None, extra=()) -> dict:
    row = map_span({"service.name": "svc", **(resource or {})}, "tests", "1", _span(attrs), extra)
    assert row is not None
    return {d: getattr(row, d) for d in (*DIMS, "conversation_id")}


@pytest.mark.parametrize("dimension", DIMS)
def test_each_dimension_from_the_span(dimension):
    got = _dims({f"tokenledger.{dimension}": "x1"})
    assert got[dimension] == "x1" and all(v is None for k, v in got.items() if k != dimension)


@pytest.mark.parametrize("dimension", DIMS)
def test_each_dimension_from_the_resource_and_the_span_wins(dimension):
    assert _dims({}, {f"tokenledger.{dimension}": "from-resource"})[dimension] == "from-resource"
    both = _dims({f"tokenledger.{dimension}": "from-span"}, {f"tokenledger.{dimension}": "from-resource"})
    assert both[dimension] == "from-span"


def test_the_operators_mapping_is_a_fallback_in_order():
    extra = (("team", "service.namespace"), ("customer", "enduser.id"), ("customer", "app.tenant"))
    got = _dims({"app.tenant": "tenant-7"}, {"service.namespace": "payments"}, extra)
    assert (got["team"], got["customer"]) == ("payments", "tenant-7")
    got = _dims({"enduser.id": "u1", "app.tenant": "tenant-7"}, {}, extra)
    assert got["customer"] == "u1"  # the first mapped attribute present wins
    got = _dims({"tokenledger.team": "ours"}, {"service.namespace": "payments"}, extra)
    assert got["team"] == "ours"  # tokenledger.* comes before any mapping
    assert _dims({"enduser.id": "u1"})["customer"] is None  # not mapped: not read


def test_conversation_blank_and_long_values():
    got = _dims({"gen_ai.conversation.id": "conv-1", "tokenledger.team": "   "})
    assert got["conversation_id"] == "conv-1" and got["team"] is None  # a blank value is no value
    assert len(_dims({"tokenledger.customer": "c" * 1000})["customer"]) == MAX_DIMENSION_CHARS


def test_the_mapping_setting():
    settings = Settings.from_env({"TOKENLEDGER_DIMENSION_ATTRIBUTES": "team=service.namespace, customer=enduser.id"})
    assert settings.dimension_attributes == (("team", "service.namespace"), ("customer", "enduser.id"))
    for bad in ("colour=x", "team", "team=", "=enduser.id"):
        with pytest.raises(SettingsError, match="TOKENLEDGER_DIMENSION_ATTRIBUTES"):
            Settings.from_env({"TOKENLEDGER_DIMENSION_ATTRIBUTES": bad})


NOW = datetime(2025, 11, 26, 12, tzinfo=UTC)  # the hand-written spans start at 2025-11-26 00:00
TRACE_A = "a" * 32
TRACE_B = "b" * 32


@pytest.fixture
def collector(tmp_path):
    mapping = "team=service.namespace,customer=enduser.id"
    handle = launch_clocked(tmp_path, NOW, TOKENLEDGER_DIMENSION_ATTRIBUTES=mapping)
    payments = [  # resource: team by the operator's mapping, cost centre by ours; customers per call
        otlp_json_span("0000000000000001", {**HAIKU, "tokenledger.customer": "acme",
                       "gen_ai.conversation.id": "conv-1"}, trace_id=TRACE_A),
        otlp_json_span("0000000000000002", {**HAIKU, "enduser.id": "globex", "tokenledger.feature": "search",
                       "gen_ai.conversation.id": "conv-1"}, trace_id=TRACE_A),
        otlp_json_span("0000000000000003", {**HAIKU, "tokenledger.customer": "acme"}, trace_id=TRACE_B),
    ]  # fmt: skip
    other = [otlp_json_span("0000000000000004", HAIKU, trace_id="c" * 32)]  # nothing: unattributed
    for spans, resource in (
        (payments, {"service.namespace": "payments", "tokenledger.cost_center": "CC-1"}),
        (other, {}),
    ):
        body = otlp_json_request(spans, resource=resource)
        assert httpx.post(handle.url + "/v1/traces", json=body).json() == {}
    yield handle
    handle.stop()


def _rows(url, path="/api/v1/spend", **params):
    response = httpx.get(url + path, params=params, timeout=30)
    assert response.status_code == 200, response.text
    return response.json()["rows"]


def test_every_dimension_groups_and_filters_with_unattributed(collector):
    got = {(r["team"], r["customer"]): r["calls"] for r in _rows(collector.url, group_by="team,customer")}
    assert got == {("payments", "acme"): 2, ("payments", "globex"): 1, ("unattributed", "unattributed"): 1}
    by_cc = {r["cost_center"]: r["calls"] for r in _rows(collector.url, group_by="cost_center")}
    assert by_cc == {"CC-1": 3, "unattributed": 1}
    by_feature = {r["feature"]: r["calls"] for r in _rows(collector.url, group_by="feature")}
    assert by_feature == {"search": 1, "unattributed": 3}
    (only,) = _rows(collector.url, group_by="none", team="unattributed")
    assert only["calls"] == 1
    (acme,) = _rows(collector.url, group_by="none", customer="acme", cost_center="CC-1")
    assert acme["calls"] == 2 and Decimal(acme["cost_usd"]) == Decimal("0.003")
    assert _rows(collector.url, "/api/v1/latency", group_by="customer", feature="search")[0]["customer"] == "globex"


def test_cost_per_trace_and_conversation_and_the_calls_of_a_trace(collector):
    by_trace = {r["trace_id"]: r["calls"] for r in _rows(collector.url, group_by="trace_id")}
    assert by_trace == {TRACE_A: 2, TRACE_B: 1, "c" * 32: 1}
    by_conv = {r["conversation"]: Decimal(r["cost_usd"]) for r in _rows(collector.url, group_by="conversation")}
    assert by_conv == {"conv-1": Decimal("0.003"), "unattributed": Decimal("0.003")}
    calls = _rows(collector.url, "/api/v1/calls", trace_id=TRACE_A)
    assert sorted(c["span_id"] for c in calls) == ["0000000000000001", "0000000000000002"]
    assert {c["customer"] for c in calls} == {"acme", "globex"} and {c["team"] for c in calls} == {"payments"}


def test_a_budget_scoped_to_a_customer(collector):
    body = {"name": "acme", "amount_usd": "1", "period": "month", "scope": {"customer": "acme"}}
    assert httpx.post(collector.url + "/api/v1/budgets", json=body).status_code == 201
    (budget,) = httpx.get(collector.url + "/api/v1/budgets").json()["budgets"]
    assert budget["scope"] == {"customer": ["acme"]}
    assert budget["spent_usd"] == "0.003"  # acme's two calls, not globex's nor the unattributed one


def test_rows_stored_before_attribution_read_unattributed(tmp_path):
    path = tmp_path / "old.duckdb"
    con = duckdb.connect(str(path))
    con.execute("CREATE TABLE _migrations (name VARCHAR PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL)")
    for step in MIGRATIONS:
        if step.__name__ == "m006_attribution":
            break
        step(con)
        con.execute("INSERT INTO _migrations VALUES (?, now())", [step.__name__])
    con.execute(
        "INSERT INTO calls (trace_id, span_id, start_time, end_time, duration_ms, layer, input_tokens, output_tokens,"
        " cache_read_tokens, cache_write_tokens, reasoning_tokens, cost_usd, pricing_unknown, status, streaming,"
        " attribution_score, ingested_at) VALUES ('t', 's', now(), now(), 1, 'chat', 1, 1, 0, 0, 0, 0.5, false,"
        " 'ok', false, 2, now())"
    )
    con.close()
    store = Store.open(path)  # applies m006
    try:
        from collector.store import CallFilter

        (row,) = store.spend(["team", "customer"], CallFilter()).to_pylist()
        assert (row["team"], row["customer"], row["calls"]) == ("unattributed", "unattributed", 1)
        assert store.spend([], CallFilter(team="unattributed")).to_pylist()[0]["calls"] == 1
    finally:
        store.close()


@pytest.mark.parametrize(
    "path", ["/api/v1/spend", "/api/v1/latency", "/api/v1/calls", "/api/v1/substitutions", "/api/v1/review",
             "/api/v1/forecast"],
)  # fmt: skip
def test_every_read_route_takes_the_dimension_filters(collector, path):
    params = {"team": "payments", "cost_center": "CC-1", "customer": "acme", "feature": "unattributed",
              "conversation": "conv-1", "trace_id": TRACE_A}  # fmt: skip
    response = httpx.get(collector.url + path, params=params, timeout=30)
    assert response.status_code == 200, response.text
    if path in ("/api/v1/spend", "/api/v1/calls"):
        rows = response.json()["rows"]
        assert [r.get("calls", 1) for r in rows] == [1]  # span 1 only: acme, conv-1, trace A, no feature

"""Rate cards through the API: preview, apply, audit; repricing bounded by effective dates; backfilled spans."""

from __future__ import annotations

import json
import random
from decimal import Decimal

import pytest
from helpers.otlp import otlp_json_request, otlp_json_span

from collector.mapping import map_span
from collector.otlp import decode_export
from collector.pricing import price_row
from collector.store import CallFilter, Store
from rates import RateBook, Usage, card_from_mapping, money, price_call

pytestmark = pytest.mark.conformance  # runs on every store (tests/plugins/collector.py)

NOV1 = 1_761_955_200_000_000_000  # 2025-11-01T00:00:00Z
DAY = 86_400_000_000_000


@pytest.fixture
def collector(start_collector, tmp_path):
    return start_collector(tmp_path, mode="asgi")


def ingest(collector, spans):
    response = collector.client.post("/v1/traces", json=otlp_json_request(spans))
    assert response.status_code == 200 and response.json() == {}


def call(span_id, model, day, input_tokens=1_000_000, output_tokens=0):
    attrs = {
        "gen_ai.operation.name": "chat",
        "gen_ai.request.model": model,
        "gen_ai.usage.input_tokens": input_tokens,
        "gen_ai.usage.output_tokens": output_tokens,
    }
    return otlp_json_span(span_id, attrs, start_ns=NOV1 + day * DAY)


def post_card(collector, card, dry_run=False):
    params = {"dry_run": "true"} if dry_run else {}
    return collector.client.post("/api/v1/rates", params=params, json=card)


def rows(collector):
    return {r["span_id"]: r for r in collector.client.get("/api/v1/calls").json()["rows"]}


CARD = {
    "model": "acme-large",
    "input_usd_per_mtok": "3",
    "output_usd_per_mtok": 15,
    "cache_read_usd_per_mtok": 0.3,
    "cache_write_usd_per_mtok": "3.75",
    "effective_from": "2025-11-02",
    "note": "priced from the acme contract",
}


def test_preview_apply_audit_and_review_queue(collector):
    # Three calls of an unpriced model, 1M input tokens each: estimated at haiku's $1/Mtok.
    ingest(collector, [call(f"a00000000000000{d}", "acme-large", d) for d in range(3)])
    review = collector.client.get("/api/v1/review").json()["models"]
    assert [(m["model"], m["calls"], m["estimated_cost_usd"]) for m in review] == [("acme-large", 3, "3")]

    preview = post_card(collector, CARD, dry_run=True)
    assert preview.status_code == 200
    body = preview.json()
    # Only the calls on or after 2025-11-02 are covered.
    assert (body["dry_run"], body["rows"], body["unpriced_rows"]) == (True, 2, 2)
    assert (body["old_cost_usd"], body["new_cost_usd"], body["delta_usd"]) == ("2", "6", "4")
    assert body["card"]["card_id"] == "acme-large@2025-11-02"
    # A preview changes nothing.
    assert collector.client.get("/api/v1/repricings").json()["repricings"] == []
    assert all(r["pricing_unknown"] for r in rows(collector).values())

    applied = post_card(collector, CARD)
    assert applied.status_code == 201
    assert (applied.json()["rows"], applied.json()["new_cost_usd"]) == (2, "6")
    after = rows(collector)
    assert after["a000000000000000"]["pricing_unknown"] is True  # before the card: still an estimate
    assert after["a000000000000000"]["cost_usd"] == "1"
    for span_id in ("a000000000000001", "a000000000000002"):
        assert after[span_id]["pricing_unknown"] is False
        assert (after[span_id]["cost_usd"], after[span_id]["card_id"]) == ("3", "acme-large@2025-11-02")

    (audit,) = collector.client.get("/api/v1/repricings").json()["repricings"]
    assert audit["model"] == "acme-large" and audit["card_id"] == "acme-large@2025-11-02"
    assert (audit["rows"], audit["old_cost_usd"], audit["new_cost_usd"], audit["delta_usd"]) == (2, "2", "6", "4")
    assert audit["note"] == "priced from the acme contract"

    review = collector.client.get("/api/v1/review").json()["models"]
    assert [(m["model"], m["calls"]) for m in review] == [("acme-large", 1)]  # only the call before the card

    cards = collector.client.get("/api/v1/rates").json()["cards"]
    ours = [c for c in cards if c["model"] == "acme-large"]
    assert len(ours) == 1 and ours[0]["origin"] == "api" and ours[0]["input_usd_per_mtok"] == "3"
    assert {c["origin"] for c in cards if c["model"] == "claude-haiku-4-5"} == {"seed"}

    # New spans after the card are priced with it at ingest.
    ingest(collector, [call("a000000000000009", "acme-large-20251105", 4)])
    assert rows(collector)["a000000000000009"]["cost_usd"] == "3"


def test_a_later_card_reprices_only_its_own_period(collector):
    ingest(collector, [call(f"b00000000000000{d}", "claude-haiku-4-5", d) for d in range(4)])
    assert {r["cost_usd"] for r in rows(collector).values()} == {"1"}
    card = {**CARD, "model": "claude-haiku-4-5", "input_usd_per_mtok": 2, "effective_from": "2025-11-03"}
    assert post_card(collector, card).json()["rows"] == 2  # Nov 3 and Nov 4
    costs = {k: r["cost_usd"] for k, r in rows(collector).items()}
    assert costs == {
        "b000000000000000": "1",
        "b000000000000001": "1",
        "b000000000000002": "2",
        "b000000000000003": "2",
    }
    # A card between the two: only the calls in its window change; the newer card keeps the rest.
    middle = {**card, "input_usd_per_mtok": 5, "effective_from": "2025-11-01T12:00:00+00:00"}
    result = post_card(collector, middle).json()
    assert (result["rows"], result["old_cost_usd"], result["new_cost_usd"]) == (1, "1", "5")
    assert rows(collector)["b000000000000001"]["cost_usd"] == "5"
    assert rows(collector)["b000000000000002"]["cost_usd"] == "2"


def test_backfilled_spans_are_priced_with_the_card_in_force_at_their_start(collector):
    card = {**CARD, "model": "claude-haiku-4-5", "input_usd_per_mtok": 2, "effective_from": "2025-11-02"}
    assert post_card(collector, card).status_code == 201
    ingest(
        collector, [call("c000000000000001", "claude-haiku-4-5", 0), call("c000000000000002", "claude-haiku-4-5", 3)]
    )
    got = rows(collector)
    assert (got["c000000000000001"]["cost_usd"], got["c000000000000001"]["card_id"]) == (
        "1",
        "claude-haiku-4-5@2023-01-01",
    )
    assert (got["c000000000000002"]["cost_usd"], got["c000000000000002"]["card_id"]) == (
        "2",
        "claude-haiku-4-5@2025-11-02",
    )


def test_a_free_model_is_priced_zero_not_unknown(collector):
    ingest(collector, [call("d000000000000001", "free-model", 1)])
    free = {**CARD, "model": "free-model", "input_usd_per_mtok": 0, "output_usd_per_mtok": 0,
            "cache_read_usd_per_mtok": 0, "cache_write_usd_per_mtok": 0, "effective_from": "2025-01-01"}  # fmt: skip
    assert post_card(collector, free).status_code == 201
    row = rows(collector)["d000000000000001"]
    assert (row["cost_usd"], row["pricing_unknown"]) == ("0", False)
    (spend,) = collector.client.get("/api/v1/spend", params={"group_by": "none"}).json()["rows"]
    assert (spend["unpriced_calls"], spend["cost_usd"]) == (0, "0")


@pytest.mark.parametrize(
    "card, message",
    [
        ({k: v for k, v in CARD.items() if k != "effective_from"}, "effective_from is required"),
        ({**CARD, "input_usd_per_mtok": -1}, "negative price"),
        ({**CARD, "colour": "blue"}, "unknown key"),
        ({**CARD, "effective_from": "soon"}, "not an ISO date"),
        ({**CARD, "model": ""}, "model"),
        ({k: v for k, v in CARD.items() if k != "output_usd_per_mtok"}, "missing field"),
    ],
)
def test_bad_cards_are_400(collector, card, message):
    response = post_card(collector, card)
    assert response.status_code == 400
    assert message in response.json()["detail"]


def test_same_model_and_date_twice_is_400(collector):
    assert post_card(collector, CARD).status_code == 201
    response = post_card(collector, CARD)
    assert response.status_code == 400 and "same effective_from" in response.json()["detail"]


def test_not_json_is_400(collector):
    response = collector.client.post("/api/v1/rates", content=b"{oops", headers={"content-type": "application/json"})
    assert response.status_code == 400


def test_cards_survive_a_restart(start_collector, tmp_path):
    collector = start_collector(tmp_path, mode="asgi")
    ingest(collector, [call("e000000000000001", "acme-large", 2)])
    assert post_card(collector, CARD).status_code == 201
    collector.restart()
    ingest(collector, [call("e000000000000002", "acme-large", 3)])
    got = rows(collector)
    assert {r["cost_usd"] for r in got.values()} == {"3"}
    assert len(collector.client.get("/api/v1/repricings").json()["repricings"]) == 1
    assert Decimal(got["e000000000000002"]["cost_usd"]) == Decimal(3)


def test_sql_repricing_agrees_with_the_rates_engine_to_the_last_digit(collector):
    rng = random.Random(7)
    spans = []
    for i in range(200):
        cache_read = rng.choice([0, rng.randint(0, 90_000)])
        cache_write = rng.choice([0, rng.randint(0, 9_000)])
        attrs = {
            "gen_ai.operation.name": "chat",
            "gen_ai.request.model": "tiered-model",
            "gen_ai.usage.input_tokens": cache_read + cache_write + rng.randint(0, 150_000),
            "gen_ai.usage.output_tokens": rng.randint(0, 20_000),
            "gen_ai.usage.cache_read.input_tokens": cache_read,
            "gen_ai.usage.cache_creation.input_tokens": cache_write,
        }
        spans.append(otlp_json_span(f"{i + 1:016x}", attrs, start_ns=NOV1 + i * 10**9))
    ingest(collector, spans)
    card = {
        "model": "tiered-model",
        "input_usd_per_mtok": "0.137",
        "output_usd_per_mtok": "1.0000003",
        "cache_read_usd_per_mtok": "0.0137",
        "cache_write_usd_per_mtok": "0.171251",
        "effective_from": "2025-01-01",
        "long_context": {"above_input_tokens": 100_000, "input_usd_per_mtok": "0.274", "output_usd_per_mtok": 2},
    }
    assert post_card(collector, card).json()["rows"] == 200
    book = RateBook([card_from_mapping({**card, "source": "test"})])
    stored = collector.client.get("/api/v1/calls", params={"limit": 1000}).json()["rows"]
    assert len(stored) == 200
    assert any(r["input_tokens"] > 100_000 for r in stored) and any(r["input_tokens"] <= 100_000 for r in stored)
    for r in stored:
        price = price_call(
            book,
            "tiered-model",
            Usage(
                r["input_tokens"],
                r["output_tokens"],
                cache_read_tokens=r["cache_read_tokens"],
                cache_write_tokens=r["cache_write_tokens"],
            ),
        )
        assert Decimal(r["cost_usd"]) == money(price.cost_usd), r


def test_rows_priced_before_a_card_arrived_are_priced_again_at_insert(tmp_path):
    store = Store.open(tmp_path / "race.duckdb")
    try:
        body = otlp_json_request([call("f000000000000001", "acme-large", 3)])
        request = decode_export(json.dumps(body).encode(), "application/json").request
        span = request.resource_spans[0].scope_spans[0].spans[0]
        old_book = store.book
        row = price_row(old_book, map_span({}, "tests", "1", span))
        row.ingested_at = row.start_time
        assert row.pricing_unknown is True
        card = json.loads(json.dumps({**CARD, "source": "test"}), parse_float=Decimal)  # as the API reads it
        store.add_card(card_from_mapping(card), dry_run=False)  # lands between pricing and insert
        assert store.insert_calls([row], priced_with=old_book, reprice=price_row) == 1
        (stored,) = store.calls(CallFilter(), 10, 0)[0].to_pylist()
        assert (stored["cost_usd"], stored["pricing_unknown"]) == (Decimal(3), False)
    finally:
        store.close()

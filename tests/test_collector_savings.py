"""What-if, what the guardrail saved, what caching saved: figures checked against `rates` on the same tokens."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import httpx
import pytest
from helpers.collector import launch_collector
from helpers.otlp import otlp_json_request
from test_collector_api import HOUR, NOV1, _call

import rates
from rates import RateCard, Rates
from tokenledger import contract

pytestmark = pytest.mark.conformance  # runs on every store (tests/plugins/collector.py)

SONNET, HAIKU, GROK = "claude-sonnet-4-5", "claude-haiku-4-5", "grok-4-fast-non-reasoning"
NOCACHE = "nocache-model"  # a card added in the test, whose cache rates are its input rate
LATE = "late-model"  # a card in force only from NOV1 + 2h: the first calls have no price on it
AT = datetime.fromtimestamp((NOV1 + HOUR) / 1e9, UTC)
CALLS = [  # (span id, layer, used, requested, input, output, cache read, cache write, hour)
    ("e000000000000001", "chat", HAIKU, SONNET, 10_000, 200, 8_000, 1_000, 1),
    ("e000000000000002", "chat", HAIKU, SONNET, 4_000, 100, 3_000, 0, 3),
    ("e000000000000003", "drafts", SONNET, None, 250_000, 500, 0, 0, 1),  # Sonnet 4.5's long-context tier
    ("e000000000000004", "drafts", SONNET, None, 2_000, 50, 0, 2_000, 3),  # all input written to the cache
    ("e000000000000005", "analysis", "mystery-model", "mystery-big", 3_000, 300, 1_000, 0, 1),  # unpriced
]
EXTRA_CARDS = [
    RateCard(NOCACHE, Rates(Decimal("2"), Decimal("8"), Decimal("2"), Decimal("2"), Decimal("2")),
             datetime(2020, 1, 1, tzinfo=UTC), "test card"),
    RateCard(LATE, Rates(Decimal("0.5"), Decimal("1"), Decimal("0.05"), Decimal("0.6"), Decimal("0.6")),
             datetime.fromtimestamp((NOV1 + 2 * HOUR) / 1e9, UTC), "test card"),
]  # fmt: skip


def _at(hour: int) -> datetime:
    return datetime.fromtimestamp((NOV1 + hour * HOUR) / 1e9, UTC)


def _book() -> rates.RateBook:
    return rates.RateBook([*rates.default_book().cards, *EXTRA_CARDS])


def _price(model: str, call: tuple) -> rates.Price:
    _, _, _, _, i, o, cr, cw, hour = call
    return rates.price_call(_book(), model, rates.Usage(i, o, cr, cw), at=_at(hour))


@pytest.fixture(scope="module")
def api(store_kind, tmp_path_factory):  # store_kind: one per store (conformance)
    collector = launch_collector(tmp_path_factory.mktemp("savings"), mode="thread")
    try:
        for card in EXTRA_CARDS:
            body = {
                "model": card.model,
                "effective_from": card.effective_from.isoformat(),
                "source": card.source,
                **{k: str(getattr(card.rates, k)) for k in rates.types.PRICE_FIELDS},
            }
            response = httpx.post(collector.url + "/api/v1/rates", json=body, timeout=10)
            assert response.status_code in (200, 201), response.text
        spans = [
            _call(sid, used, NOV1 + hour * HOUR, layer=layer, tokens=(i, o), **{
                "gen_ai.usage.cache_read.input_tokens": cr,
                "gen_ai.usage.cache_creation.input_tokens": cw,
                **({"tokenledger.policy.requested_model": req} if req else {}),
            })
            for sid, layer, used, req, i, o, cr, cw, hour in CALLS
        ]  # fmt: skip
        resource = {"service.name": "worker", "deployment.environment.name": "staging"}
        response = httpx.post(collector.url + "/v1/traces", json=otlp_json_request(spans, resource=resource))
        assert response.status_code == 200
        yield collector
    finally:
        collector.stop()


def _get(api, path: str, **params):
    response = httpx.get(api.url + path, params=params, timeout=10)
    assert response.status_code == 200, response.text
    return response.json()


def _by(rows, *keys):
    return {tuple(r[k] for k in keys) if len(keys) > 1 else r[keys[0]]: r for r in rows}


def test_whatif_prices_the_same_tokens_on_the_alternative_card(api):
    body = _get(api, "/api/v1/whatif", alternative=GROK, group_by="layer")
    rows = _by(body["rows"], "layer")
    assert set(rows) == {"chat", "drafts", "analysis"}
    for layer in ("chat", "drafts"):
        mine = [c for c in CALLS if c[1] == layer]
        row = rows[layer]
        actual = sum((_price(c[2], c).cost_usd for c in mine), Decimal(0))
        alt = sum((_price(GROK, c).cost_usd for c in mine), Decimal(0))
        assert (row["alternative"], row["calls"], row["whatif_calls"]) == (GROK, len(mine), len(mine))
        assert Decimal(row["actual_cost_usd"]) == Decimal(row["compared_actual_usd"]) == actual
        assert Decimal(row["whatif_cost_usd"]) == alt
        assert Decimal(row["delta_usd"]) == alt - actual
        assert "tokenizer" in row["caveats"]
    assert "no_tier_price" in rows["drafts"]["caveats"]  # the 250k call paid Sonnet's tier; Grok has none here
    assert set(body["caveats"]) >= {"tokenizer", "unknown_price", "no_cache_price", "no_tier_price"}


def test_whatif_compares_prices_only_never_an_estimate(api):
    row = _by(_get(api, "/api/v1/whatif", alternative=GROK, group_by="layer")["rows"], "layer")["analysis"]
    estimate = _price("mystery-model", CALLS[4])  # no card: its own cost is an estimate, in actual_cost_usd only
    assert estimate.pricing_unknown
    counts = ("calls", "actual_unpriced_calls", "whatif_calls", "whatif_unknown_calls")
    assert [row[k] for k in counts] == [1, 1, 0, 0]
    assert Decimal(row["actual_cost_usd"]) == estimate.cost_usd
    assert (row["compared_actual_usd"], row["whatif_cost_usd"], row["delta_usd"]) == (None, None, None)
    assert "actual_estimated" in row["caveats"]


def test_whatif_counts_calls_the_alternative_cannot_price_apart(api):
    rows = _by(_get(api, "/api/v1/whatif", alternative=LATE, group_by="layer")["rows"], "layer")
    chat = rows["chat"]  # one call at 01:00 (before the card), one at 03:00
    late_call = CALLS[1]
    assert (chat["calls"], chat["whatif_calls"], chat["whatif_unknown_calls"]) == (2, 1, 1)
    assert Decimal(chat["whatif_cost_usd"]) == _price(LATE, late_call).cost_usd
    assert Decimal(chat["compared_actual_usd"]) == _price(HAIKU, late_call).cost_usd
    assert Decimal(chat["delta_usd"]) == _price(LATE, late_call).cost_usd - _price(HAIKU, late_call).cost_usd
    assert "unknown_price" in chat["caveats"]
    analysis = rows["analysis"]  # its only call is before the card: nothing known, nothing shown as $0
    assert (analysis["whatif_calls"], analysis["whatif_cost_usd"], analysis["delta_usd"]) == (0, None, None)


def test_whatif_flags_an_alternative_without_cache_prices(api):
    rows = _by(_get(api, "/api/v1/whatif", alternative=NOCACHE, group_by="layer")["rows"], "layer")
    chat = [c for c in CALLS if c[1] == "chat"]
    assert Decimal(rows["chat"]["whatif_cost_usd"]) == sum((_price(NOCACHE, c).cost_usd for c in chat), Decimal(0))
    assert "no_cache_price" in rows["chat"]["caveats"]


def test_whatif_refuses_a_model_without_any_card_and_a_missing_alternative(api):
    response = httpx.get(api.url + "/api/v1/whatif", params={"alternative": "no-such-model"}, timeout=10)
    assert response.status_code == 400 and "no-such-model" in response.json()["detail"]
    response = httpx.get(api.url + "/api/v1/whatif", timeout=10)
    assert response.status_code == 400 and "alternative" in response.json()["detail"]
    response = httpx.get(api.url + "/api/v1/whatif", params={"alternative": GROK, "alternatve": "x"}, timeout=10)
    assert response.status_code == 400


def test_whatif_takes_several_alternatives_and_the_usual_filters(api):
    rows = _get(api, "/api/v1/whatif", alternative=[GROK, SONNET], layer="chat", group_by="none")["rows"]
    assert [r["alternative"] for r in rows] == [GROK, SONNET]
    chat = [c for c in CALLS if c[1] == "chat"]
    assert Decimal(rows[1]["whatif_cost_usd"]) == sum((_price(SONNET, c).cost_usd for c in chat), Decimal(0))


def test_policy_savings_reprice_on_the_requested_model(api):
    rows = _by(_get(api, "/api/v1/savings/policy", group_by="layer")["rows"], "requested_model")
    assert set(rows) == {SONNET, "mystery-big"}
    chat = [c for c in CALLS if c[3] == SONNET]
    paid = sum((_price(HAIKU, c).cost_usd for c in chat), Decimal(0))
    requested = sum((_price(SONNET, c).cost_usd for c in chat), Decimal(0))
    row = rows[SONNET]
    assert (row["model"], row["layer"], row["calls"]) == (HAIKU, "chat", 2)
    assert (Decimal(row["paid_usd"]), Decimal(row["requested_cost_usd"])) == (paid, requested)
    assert Decimal(row["saved_usd"]) == requested - paid > 0
    unknown = rows["mystery-big"]  # no card for the requested model: the saving is unknown, not $0
    assert (unknown["requested_cost_usd"], unknown["saved_usd"], unknown["unpriced_calls"]) == (None, None, 1)


def test_policy_savings_compare_priced_calls_only(tmp_path):
    calls = [  # two calls asked for Sonnet: one ran on Haiku (priced), one on a model with no card (estimated)
        ("e100000000000001", "chat", HAIKU, SONNET, 10_000, 200, 0, 0, 1),
        ("e100000000000002", "chat", "mystery-small", SONNET, 20_000, 400, 0, 0, 1),
    ]
    collector = launch_collector(tmp_path, mode="asgi")
    try:
        spans = [
            _call(sid, used, NOV1 + h * HOUR, tokens=(i, o), **{"tokenledger.policy.requested_model": req})
            for sid, _, used, req, i, o, _, _, h in calls
        ]
        assert collector.client.post("/v1/traces", json=otlp_json_request(spans)).status_code == 200
        response = collector.client.get("/api/v1/savings/policy", params={"group_by": "none"})
        assert response.status_code == 200, response.text
        rows = {r["model"]: r for r in response.json()["rows"]}
    finally:
        collector.stop()
    priced, estimated = rows[HAIKU], rows["mystery-small"]
    paid, requested = _price(HAIKU, calls[0]).cost_usd, _price(SONNET, calls[0]).cost_usd
    assert (priced["calls"], priced["unpriced_calls"], Decimal(priced["estimated_usd"])) == (1, 0, 0)
    assert (Decimal(priced["paid_usd"]), Decimal(priced["requested_cost_usd"])) == (paid, requested)
    assert Decimal(priced["saved_usd"]) == requested - paid
    estimate = _price("mystery-small", calls[1])
    assert estimate.pricing_unknown  # its cost is an estimate: kept apart, never compared as a price
    assert (estimated["calls"], estimated["unpriced_calls"]) == (1, 1)
    assert Decimal(estimated["estimated_usd"]) == estimate.cost_usd
    assert (estimated["paid_usd"], estimated["requested_cost_usd"], estimated["saved_usd"]) == (None, None, None)


def _cache_money(call: tuple) -> tuple[Decimal, Decimal]:
    """(saved, write premium) of one priced call, from `rates` on its own card and tier."""
    _, _, model, _, i, _, cr, cw, hour = call
    card = _book().find(model, _at(hour))
    r = card.rates_for(i)
    per = Decimal(1_000_000)
    return cr * (r.input_usd_per_mtok - r.cache_read_usd_per_mtok) / per, cw * (
        r.cache_write_usd_per_mtok - r.input_usd_per_mtok
    ) / per


def test_cache_savings_per_layer(api):
    rows = _by(_get(api, "/api/v1/cache", group_by="layer")["rows"], "layer")
    for layer in ("chat", "drafts"):
        mine = [c for c in CALLS if c[1] == layer]
        saved = sum((_cache_money(c)[0] for c in mine), Decimal(0))
        premium = sum((_cache_money(c)[1] for c in mine), Decimal(0))
        row = rows[layer]
        assert row["input_tokens"] == sum(c[4] for c in mine)
        assert row["cache_read_tokens"] == sum(c[6] for c in mine)
        assert row["cache_write_tokens"] == sum(c[7] for c in mine)
        assert row["hit_rate"] == pytest.approx(sum(c[6] for c in mine) / sum(c[4] for c in mine))
        assert (Decimal(row["saved_usd"]), Decimal(row["write_premium_usd"])) == (saved, premium)
        assert Decimal(row["net_saved_usd"]) == saved - premium
    assert Decimal(rows["chat"]["saved_usd"]) > 0 and Decimal(rows["drafts"]["write_premium_usd"]) > 0
    unpriced = rows["analysis"]  # its cache reads are counted, its money is not (no card of its own)
    assert (unpriced["cache_read_tokens"], unpriced["unpriced_calls"]) == (1_000, 1)
    assert (unpriced["saved_usd"], unpriced["write_premium_usd"], unpriced["net_saved_usd"]) == (None, None, None)


def test_cache_hit_rate_over_time(api):
    rows = _get(api, "/api/v1/cache", group_by="day,model", model=HAIKU)["rows"]
    assert [(r["day"], r["model"], r["cache_read_tokens"]) for r in rows] == [("2025-11-01", HAIKU, 11_000)]


def test_cache_savings_count_one_hour_writes_at_their_rate_and_the_tier(tmp_path):
    """Saved = reads at the input rate minus their cost; premium = writes minus their cost at the input rate, 1-hour
    writes at the 1-hour rate; both at the call's service tier. Figures from `rates.price_call` on the same tokens."""
    at = datetime(2026, 11, 10, 12, tzinfo=UTC)  # sonnet-4-5's card has a batch tier from 2026-10-14
    model, tier = "claude-sonnet-4-5", "batch"
    full = rates.Usage(120_000, 0, cache_read_tokens=10_000, cache_write_tokens=100_000, cache_write_1h_tokens=60_000)
    span = _call("c100000000000001", model, int(at.timestamp() * 1e9), layer="chat", tokens=(120_000, 0), **{
        "gen_ai.usage.cache_read.input_tokens": full.cache_read_tokens,
        "gen_ai.usage.cache_creation.input_tokens": full.cache_write_tokens,
        contract.CACHE_WRITE_1H_TOKENS: full.cache_write_1h_tokens,
        contract.SERVICE_TIER: tier,
    })  # fmt: skip
    collector = launch_collector(tmp_path, mode="thread")
    try:
        body = otlp_json_request([span], resource={"service.name": "bff"})
        assert httpx.post(collector.url + "/v1/traces", json=body).status_code == 200
        (row,) = httpx.get(
            collector.url + "/api/v1/cache", params={"start": "2026-11-10", "end": "2026-11-10"}, timeout=10
        ).json()["rows"]
    finally:
        collector.stop()

    def cost(usage: rates.Usage) -> Decimal:
        return rates.price_call(rates.default_book(), model, usage, at=at, service_tier=tier).cost_usd

    plain = rates.Usage(120_000, 0)
    saved = cost(plain) - cost(rates.Usage(120_000, 0, cache_read_tokens=10_000))
    premium = cost(rates.Usage(120_000, 0, cache_write_tokens=100_000, cache_write_1h_tokens=60_000)) - cost(plain)
    at_5m = cost(rates.Usage(120_000, 0, cache_write_tokens=100_000)) - cost(plain)
    assert premium > at_5m  # the 1-hour rate is dearer: a 1.25x premium would pass unnoticed otherwise
    assert (Decimal(row["saved_usd"]), Decimal(row["write_premium_usd"])) == (saved, premium)
    assert Decimal(row["net_saved_usd"]) == saved - premium

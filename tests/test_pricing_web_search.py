"""Issue 17 item 3: server-side web searches, priced per search from the card and shown apart from token spend."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from helpers.llm import only_llm_span
from helpers.otlp import otlp_json_request, otlp_json_span
from helpers.pricing import genai_price

from llm import simple_complete
from rates import RateBook, Usage, card_from_mapping, default_book, money, price_call
from tokenledger import contract as t
from tokenledger.fakes import FakeUsage

pytestmark = pytest.mark.conformance  # runs on every store (tests/plugins/collector.py)

AT = datetime(2026, 11, 1, tzinfo=UTC)
log = logging.getLogger("test.web_search")


def _theirs(model: str, usage: Usage, at: datetime = AT, **context: str) -> Decimal:
    return genai_price(model, usage, at, context)


def test_every_card_with_a_search_price_equals_calc_price_batch_included():
    book = default_book()
    cards = [c for c in book.in_force(AT) if c.web_search_usd_per_kcount is not None]
    assert len(cards) >= 19 and {c.web_search_usd_per_kcount for c in cards} == {Decimal(10)}
    usage = Usage(50_000, 2_000, cache_read_tokens=20_000, cache_write_tokens=10_000, web_search_requests=3)
    for card in cards:
        price = price_call(book, card.model, usage, at=AT)
        assert price.web_search_cost_usd == Decimal("0.03")  # $10 per 1,000
        assert price.cost_usd == _theirs(card.model, usage), card.model
        if dict(card.service_tiers).get("batch"):  # batch halves the tokens, not the searches
            batch = price_call(book, card.model, usage, at=AT, service_tier="batch")
            assert batch.cost_usd == _theirs(card.model, usage, processing="batch"), card.model
            assert batch.web_search_cost_usd == Decimal("0.03")


def test_searches_a_card_does_not_price_are_unknown_not_free():
    price = price_call(default_book(), "grok-4-0709", Usage(1_000, 10, web_search_requests=2), at=AT)
    assert price.web_search_cost_usd is None and not price.pricing_unknown
    assert price.cost_usd == price_call(default_book(), "grok-4-0709", Usage(1_000, 10), at=AT).cost_usd
    assert price_call(default_book(), "grok-4-0709", Usage(1_000, 10), at=AT).web_search_cost_usd == 0


@pytest.mark.anyio
@pytest.mark.usefixtures("close_llm_clients")
async def test_the_client_records_anthropics_web_search_requests(llm_env, spans, fake_anthropic):
    fake_anthropic.usage = lambda body: FakeUsage(input_tokens=1_000, output_tokens=100, web_search_requests=4)
    await simple_complete("claude-haiku-4-5", "s", "hi", 256, log)
    a = only_llm_span(spans).attributes
    assert a[t.WEB_SEARCH_REQUESTS] == 4
    usage = Usage(1_000, 100, web_search_requests=4)
    now = datetime.now(UTC)
    assert Decimal(a[t.COST_USD]) == _theirs("claude-haiku-4-5", usage, now) == Decimal("0.0415")


@pytest.fixture
def collector(start_collector, tmp_path):
    return start_collector(tmp_path, mode="asgi")


def test_the_collector_prices_searches_apart_and_reprices_them_in_sql(collector):
    spans = []
    for i, (model, searches) in enumerate([("claude-sonnet-4-5", 3), ("claude-sonnet-4-5", 0), ("grok-4-0709", 2),
                                           ("acme-search", 5), ("acme-search", 0)]):  # fmt: skip
        attrs = {"gen_ai.operation.name": "chat", "gen_ai.request.model": model, "gen_ai.usage.input_tokens": 10_000,
                 "gen_ai.usage.output_tokens": 1_000, t.WEB_SEARCH_REQUESTS: searches}  # fmt: skip
        spans.append(otlp_json_span(f"{i + 1:016x}", attrs, start_ns=1_793_491_200_000_000_000))
    assert collector.client.post("/v1/traces", json=otlp_json_request(spans)).status_code == 200
    rows = {r["span_id"]: r for r in collector.client.get("/api/v1/calls").json()["rows"]}
    first = rows["0000000000000001"]
    assert (first["web_search_requests"], first["web_search_cost_usd"], first["cost_usd"]) == (3, "0.03", "0.075")
    assert rows["0000000000000002"]["web_search_cost_usd"] == "0"
    assert rows["0000000000000003"]["web_search_cost_usd"] is None  # xAI's card has no search price: unknown
    spend = collector.client.get("/api/v1/spend", params={"group_by": "model"}).json()["rows"]
    sonnet = next(r for r in spend if r["model"] == "claude-sonnet-4-5")
    assert (sonnet["web_search_requests"], sonnet["web_search_cost_usd"]) == (3, "0.03")
    assert Decimal(sonnet["token_cost_usd"]) + Decimal(sonnet["web_search_cost_usd"]) == Decimal(sonnet["cost_usd"])
    grok = next(r for r in spend if r["model"] == "grok-4-0709")
    assert grok["unpriced_web_search_requests"] == 2
    card = {"model": "acme-search", "effective_from": "2025-01-01", "input_usd_per_mtok": "1.1",
            "output_usd_per_mtok": "5", "web_search_usd_per_kcount": "12.5"}  # fmt: skip
    posted = collector.client.post("/api/v1/rates", json=card)
    assert posted.status_code == 201 and posted.json()["card"]["web_search_usd_per_kcount"] == "12.5"
    book = RateBook([card_from_mapping({**card, "source": "test"})])
    for r in (r for r in collector.client.get("/api/v1/calls").json()["rows"] if r["model"] == "acme-search"):
        price = price_call(book, "acme-search", Usage(10_000, 1_000, web_search_requests=r["web_search_requests"]))
        assert Decimal(r["cost_usd"]) == money(price.cost_usd)
        assert Decimal(r["web_search_cost_usd"]) == money(price.web_search_cost_usd)
    assert {r["web_search_cost_usd"] for r in collector.client.get("/api/v1/calls").json()["rows"]
            if r["model"] == "acme-search"} == {"0.0625", "0"}  # fmt: skip

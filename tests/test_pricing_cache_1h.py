"""Issue 17 item 1: 1-hour cache writes, priced at the card's 1-hour rate, equal to genai-prices' `calc_price`."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from helpers.llm import only_llm_span
from helpers.otlp import otlp_json_request, otlp_json_span
from helpers.pricing import genai_price

from llm import simple_complete, stream_chat
from rates import RateBook, Usage, card_from_mapping, default_book, load_cards, money, price_call
from tokenledger import contract as t
from tokenledger.fakes import FakeUsage

pytestmark = pytest.mark.conformance  # runs on every store (tests/plugins/collector.py)

AT = datetime(2026, 11, 1, tzinfo=UTC)
NOV1_2026 = 1_793_491_200_000_000_000  # 2026-11-01T00:00:00Z
log = logging.getLogger("test.cache_1h")


def _theirs(model: str, usage: Usage, at: datetime = AT, **context: str) -> Decimal:
    return genai_price(model, usage, at, context)


def test_the_issue_example_sonnet_4_5_one_hour_writes_cost_what_genai_prices_says():
    one_hour = Usage(120_000, 1_000, cache_write_tokens=100_000, cache_write_1h_tokens=100_000)
    five_minutes = Usage(120_000, 1_000, cache_write_tokens=100_000)
    assert price_call(default_book(), "claude-sonnet-4-5", one_hour, at=AT).cost_usd == Decimal("0.675")
    assert price_call(default_book(), "claude-sonnet-4-5", five_minutes, at=AT).cost_usd == Decimal("0.45")
    assert _theirs("claude-sonnet-4-5", one_hour) == Decimal("0.675")


MIXES = [
    Usage(120_000, 1_000, cache_write_tokens=100_000, cache_write_1h_tokens=100_000),
    Usage(50_000, 2_000, cache_read_tokens=20_000, cache_write_tokens=10_000, cache_write_1h_tokens=4_000),
    Usage(250_000, 3_000, cache_read_tokens=100_000, cache_write_tokens=120_000, cache_write_1h_tokens=60_000),
    Usage(10, 1, cache_write_tokens=9, cache_write_1h_tokens=9),
]


def test_every_card_with_a_one_hour_rate_equals_calc_price_for_one_hour_mixes():
    book = default_book()
    cards = [c for c in book.in_force(AT) if c.rates.cache_write_1h_usd_per_mtok != c.rates.cache_write_usd_per_mtok]
    assert len(cards) >= 19  # the issue counts 19 models with a 1-hour rate in genai-prices
    for card in cards:
        for usage in MIXES:
            assert price_call(book, card.model, usage, at=AT).cost_usd == _theirs(card.model, usage), card.model


def test_the_shipped_cards_carry_the_snapshots_one_hour_rate():
    sonnet = [c for c in load_cards() if c.model == "claude-sonnet-4-5"][0]
    assert sonnet.rates.cache_write_1h_usd_per_mtok == Decimal("6")
    assert sonnet.long_context is None or sonnet.long_context.rates.cache_write_1h_usd_per_mtok == Decimal("12")


def test_a_card_without_a_one_hour_rate_bills_one_hour_writes_at_the_cache_write_rate():
    card = card_from_mapping(
        {"model": "m", "effective_from": "2025-01-01", "source": "t", "input_usd_per_mtok": 1, "output_usd_per_mtok": 2,
         "cache_write_usd_per_mtok": "1.25", "long_context": {"above_input_tokens": 10, "cache_write_usd_per_mtok": 3}}
    )  # fmt: skip
    assert card.rates.cache_write_1h_usd_per_mtok == Decimal("1.25")
    assert card.long_context.rates.cache_write_1h_usd_per_mtok == Decimal("3")
    explicit = card_from_mapping(
        {"model": "m", "effective_from": "2025-01-01", "source": "t", "input_usd_per_mtok": 1, "output_usd_per_mtok": 2,
         "cache_write_1h_usd_per_mtok": 2}
    )  # fmt: skip
    assert explicit.rates.cache_write_1h_usd_per_mtok == 2 and explicit.rates.cache_write_usd_per_mtok == 1


def test_one_hour_writes_must_be_part_of_all_writes():
    with pytest.raises(ValueError, match="must include cache_write_1h_tokens"):
        Usage(100, 1, cache_write_tokens=10, cache_write_1h_tokens=11)


# -- the client: the real anthropic SDK parses the fake's `cache_creation`, the span carries the 1-hour part ------

USAGE = FakeUsage(input_tokens=120_000, output_tokens=1_000, cache_write_tokens=100_000, cache_write_1h_tokens=60_000)


@pytest.mark.anyio
@pytest.mark.usefixtures("close_llm_clients")
@pytest.mark.parametrize("streaming", [False, True])
async def test_the_client_records_and_prices_one_hour_writes(llm_env, spans, fake_anthropic, streaming):
    fake_anthropic.usage = lambda body: USAGE
    if streaming:
        async for _ in stream_chat("claude-haiku-4-5", "s", [{"role": "user", "content": "hi"}], 256, log):
            pass
    else:
        await simple_complete("claude-haiku-4-5", "s", "hi", 256, log)
    a = only_llm_span(spans).attributes
    assert a[t.CACHE_WRITE_TOKENS] == 100_000 and a[t.CACHE_WRITE_1H_TOKENS] == 60_000
    usage = Usage(120_000, 1_000, cache_write_tokens=100_000, cache_write_1h_tokens=60_000)
    now = datetime.now(UTC)
    assert Decimal(a[t.COST_USD]) == price_call(default_book(), "claude-haiku-4-5", usage, at=now).cost_usd
    # 0.15 with every write at the 5-minute rate
    assert Decimal(a[t.COST_USD]) == _theirs("claude-haiku-4-5", usage, now) == Decimal("0.195")


# -- the collector: reads the attribute, stores the count, prices and reprices it in SQL ---------------------------


@pytest.fixture
def collector(start_collector, tmp_path):
    return start_collector(tmp_path, mode="asgi")


def _span(span_id: str, model: str, write: int, one_hour: int) -> dict:
    attrs = {
        "gen_ai.operation.name": "chat",
        "gen_ai.request.model": model,
        "gen_ai.usage.input_tokens": 120_000,
        "gen_ai.usage.output_tokens": 1_000,
        "gen_ai.usage.cache_creation.input_tokens": write,
        t.CACHE_WRITE_1H_TOKENS: one_hour,
    }
    return otlp_json_span(span_id, attrs, start_ns=NOV1_2026)


def test_the_collector_stores_and_prices_one_hour_writes_and_sql_repricing_agrees(collector):
    spans = [_span("0000000000000001", "claude-sonnet-4-5", 100_000, 100_000)]
    spans += [_span(f"{i + 2:016x}", "acme-cache", 100_000, 10_000 * i) for i in range(8)]
    response = collector.client.post("/v1/traces", json=otlp_json_request(spans))
    assert response.status_code == 200 and response.json() == {}
    rows = {r["span_id"]: r for r in collector.client.get("/api/v1/calls").json()["rows"]}
    sonnet = rows["0000000000000001"]
    assert sonnet["cache_write_1h_tokens"] == 100_000 and Decimal(sonnet["cost_usd"]) == Decimal("0.675")
    card = {
        "model": "acme-cache",
        "effective_from": "2025-01-01",
        "input_usd_per_mtok": "3.1",
        "output_usd_per_mtok": "15",
        "cache_write_usd_per_mtok": "3.875",
        "cache_write_1h_usd_per_mtok": "6.2000001",
    }
    posted = collector.client.post("/api/v1/rates", json=card)
    assert posted.status_code == 201, posted.text
    assert posted.json()["rows"] == 8
    book = RateBook([card_from_mapping({**card, "source": "test"})])
    stored = [r for r in collector.client.get("/api/v1/calls").json()["rows"] if r["model"] == "acme-cache"]
    assert len({r["cost_usd"] for r in stored}) == 8  # the 1-hour share changes every cost
    for r in stored:
        usage = Usage(120_000, 1_000, cache_write_tokens=100_000, cache_write_1h_tokens=r["cache_write_1h_tokens"])
        assert Decimal(r["cost_usd"]) == money(price_call(book, "acme-cache", usage).cost_usd), r


def test_langchain_usage_keeps_the_one_hour_part():
    from llm._usage import apply_langchain_usage
    from llm.telemetry import CallRecord

    record = CallRecord(provider="anthropic", request_model="claude-haiku-4-5")
    details = {"cache_read": 0, "cache_creation": 0, "ephemeral_5m_input_tokens": 30, "ephemeral_1h_input_tokens": 70}
    apply_langchain_usage(record, {"input_tokens": 150, "output_tokens": 5, "input_token_details": details})
    assert record.cache_write_tokens == 100 and record.cache_write_1h_tokens == 70

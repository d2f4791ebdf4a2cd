"""Issue 17 item 2: service tiers and speed (batch, fast, ...) as card multipliers, equal to genai-prices."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from helpers.llm import only_llm_span
from helpers.otlp import otlp_json_request, otlp_json_span
from helpers.pricing import genai_price

from llm import simple_complete
from rates import CardFileError, RateBook, Usage, card_from_mapping, default_book, money, price_call
from tokenledger import contract as t
from tokenledger.fakes import FakeUsage

pytestmark = pytest.mark.conformance  # runs on every store (tests/plugins/collector.py)

AT = datetime(2026, 11, 1, tzinfo=UTC)
NOV1_2026 = 1_793_491_200_000_000_000
CONTEXT = {"batch": {"processing": "batch"}, "fast": {"speed": "fast"}}
MIXES = [
    Usage(10_000, 1_000),
    Usage(50_000, 2_000, cache_read_tokens=20_000, cache_write_tokens=10_000, cache_write_1h_tokens=4_000),
    Usage(250_000, 3_000, cache_read_tokens=100_000, cache_write_tokens=120_000, cache_write_1h_tokens=60_000),
]
log = logging.getLogger("test.tiers")


def _theirs(model: str, usage: Usage, tier: str | None, at: datetime = AT) -> Decimal:
    return genai_price(model, usage, at, CONTEXT.get(tier or ""))


def test_every_tiered_card_equals_calc_price_for_batch_and_fast():
    book = default_book()
    tiered = [c for c in book.in_force(AT) if c.service_tiers]
    assert {t for c in tiered for t, _ in c.service_tiers} == {"batch", "fast"}
    assert any(c.provider == "x_ai" for c in tiered)  # xAI's batch at 80%
    checked = 0
    for card in tiered:
        for tier, _ in card.service_tiers:
            for usage in MIXES:
                ours = price_call(book, card.model, usage, at=AT, service_tier=tier).cost_usd
                assert ours == _theirs(card.model, usage, tier), (card.model, tier, usage)
                assert ours != price_call(book, card.model, usage, at=AT).cost_usd
                checked += 1
    assert checked >= 3 * 20


def test_the_figures_batch_half_fast_double_and_a_tier_the_card_omits_is_standard():
    book, usage = default_book(), Usage(100_000, 10_000)
    standard = price_call(book, "claude-opus-5", usage, at=AT).cost_usd
    assert standard == Decimal("0.75")
    assert price_call(book, "claude-opus-5", usage, at=AT, service_tier="batch").cost_usd == Decimal("0.375")
    assert price_call(book, "claude-opus-5", usage, at=AT, service_tier="fast").cost_usd == Decimal("1.5")
    assert price_call(book, "claude-opus-5", usage, at=AT, service_tier="priority").cost_usd == standard
    assert price_call(book, "grok-4.3", usage, at=AT, service_tier="batch").cost_usd == Decimal("0.12")  # 0.8 x 0.15
    # genai-prices dates Anthropic's batch price from 2026-10-14: before, batch is billed at the standard price.
    before = datetime(2026, 10, 1, tzinfo=UTC)
    batch_before = price_call(book, "claude-opus-5", usage, at=before, service_tier="batch").cost_usd
    assert batch_before == standard == _theirs("claude-opus-5", usage, "batch", before)
    # An estimate (no card) ignores the tier: it errs high, not low.
    unknown = price_call(book, "acme-9", usage, at=AT, service_tier="batch")
    assert unknown.pricing_unknown and unknown.cost_usd == price_call(book, "acme-9", usage, at=AT).cost_usd


BASE = {
    "model": "m",
    "effective_from": "2025-01-01",
    "source": "t",
    "input_usd_per_mtok": "3",
    "output_usd_per_mtok": 15,
}


@pytest.mark.parametrize(
    ("tiers", "message"),
    [
        ({"economy": 0.5}, "unknown service tier 'economy'"),
        ({"standard": 1}, "unknown service tier 'standard'"),
        ({"batch": -1}, "negative price service_tiers.batch"),
        ({"batch": 101}, "service_tiers.batch must be at most 100"),
        ({"batch": "0.0000000000001"}, "more than 12 decimals"),
        ({"batch": "0.5", "_input": "3.000000000001"}, "batch x input_usd_per_mtok is not a price of at most 12"),
        ("half", "service_tiers must be a table"),
    ],
)
def test_bad_service_tiers_are_refused(tiers, message):
    tiers = dict(tiers) if isinstance(tiers, dict) else tiers  # not the parameter itself: it runs once per store
    body = {**BASE, "service_tiers": tiers}
    if isinstance(tiers, dict) and "_input" in tiers:
        body["input_usd_per_mtok"] = tiers.pop("_input")
    with pytest.raises(CardFileError, match=message):
        card_from_mapping(body)


@pytest.mark.anyio
@pytest.mark.usefixtures("close_llm_clients")
@pytest.mark.parametrize(
    ("wire", "tier"), [({"service_tier": "batch"}, "batch"), ({"speed": "fast"}, "fast"), ({}, "standard")]
)
async def test_the_client_takes_the_tier_from_the_response(llm_env, spans, fake_anthropic, wire, tier):
    fake_anthropic.usage = lambda body: FakeUsage(input_tokens=1_000, output_tokens=100, **wire)
    await simple_complete("claude-haiku-4-5", "s", "hi", 256, log)
    a = only_llm_span(spans).attributes
    assert a[t.SERVICE_TIER] == tier
    now = datetime.now(UTC)
    usage = Usage(1_000, 100)
    assert (
        Decimal(a[t.COST_USD])
        == price_call(default_book(), "claude-haiku-4-5", usage, at=now, service_tier=tier).cost_usd
    )
    if tier == "batch":
        assert Decimal(a[t.COST_USD]) == _theirs("claude-haiku-4-5", usage, "batch", now) == Decimal("0.00075")


@pytest.fixture
def collector(start_collector, tmp_path):
    return start_collector(tmp_path, mode="asgi")


def test_the_collector_reads_tiers_groups_spend_by_tier_and_reprices_them_in_sql(collector):
    tiers = [
        (t.SERVICE_TIER, "batch"),
        (t.SERVICE_TIER, "fast"),
        ("openai.response.service_tier", "flex"),
        ("gen_ai.openai.response.service_tier", "default"),  # OpenAI's name for standard
        (None, None),
    ]
    spans = []
    for i, (key, value) in enumerate(tiers * 2):
        attrs = {
            "gen_ai.operation.name": "chat",
            "gen_ai.request.model": "claude-opus-5" if i < len(tiers) else "acme-tiered",
            "gen_ai.usage.input_tokens": 100_000,
            "gen_ai.usage.output_tokens": 10_000,
            **({key: value} if key else {}),
        }
        spans.append(otlp_json_span(f"{i + 1:016x}", attrs, start_ns=NOV1_2026))
    assert collector.client.post("/v1/traces", json=otlp_json_request(spans)).status_code == 200
    rows = collector.client.get("/api/v1/calls").json()["rows"]
    opus = {r["service_tier"]: Decimal(r["cost_usd"]) for r in rows if r["model"] == "claude-opus-5"}
    assert opus == {"batch": Decimal("0.375"), "fast": Decimal("1.5"), "flex": Decimal("0.75"),
                    "standard": Decimal("0.75"), None: Decimal("0.75")}  # fmt: skip
    spend = collector.client.get("/api/v1/spend", params={"group_by": "service_tier", "model": "claude-opus-5"}).json()[
        "rows"
    ]
    assert {r["service_tier"]: r["cost_usd"] for r in spend} == {
        "batch": "0.375", "fast": "1.5", "flex": "0.75", "standard": "1.5"  # no tier reads as standard
    }  # fmt: skip
    card = {**BASE, "model": "acme-tiered", "input_usd_per_mtok": "3.3", "output_usd_per_mtok": "16.5",
            "service_tiers": {"batch": "0.5", "fast": "2", "flex": "0.75"},
            "long_context": {"above_input_tokens": 50_000, "input_usd_per_mtok": "6.6"}}  # fmt: skip
    card.pop("source")
    posted = collector.client.post("/api/v1/rates", json=card)
    assert posted.status_code == 201, posted.text
    assert posted.json()["card"]["service_tiers"] == {"batch": "0.5", "fast": "2", "flex": "0.75"}
    book = RateBook([card_from_mapping({**card, "source": "test"})])
    stored = [r for r in collector.client.get("/api/v1/calls").json()["rows"] if r["model"] == "acme-tiered"]
    assert len({r["cost_usd"] for r in stored}) == 4  # batch, fast, flex and standard differ
    for r in stored:
        price = price_call(book, "acme-tiered", Usage(100_000, 10_000), service_tier=r["service_tier"])
        assert Decimal(r["cost_usd"]) == money(price.cost_usd), r
    listed = collector.client.get("/api/v1/rates").json()["cards"]
    (stored_card,) = [c for c in listed if c["model"] == "acme-tiered"]
    assert json.loads(stored_card["service_tiers"]) == {"batch": "0.5", "fast": "2", "flex": "0.75"}


def test_rates_check_reports_the_new_fields_against_the_snapshot(tmp_path, capsys):
    from tokenledger.cli import main as cli_main

    path = tmp_path / "cards.toml"
    path.write_text(
        """
[[cards]]
model = "claude-opus-5"
provider = "anthropic"
effective_from = 2023-01-01
input_usd_per_mtok = 5
output_usd_per_mtok = 25
cache_read_usd_per_mtok = 0.5
cache_write_usd_per_mtok = 6.25
source = "test"
"""
    )
    assert cli_main(["rates", "check", "--file", str(path)]) == 0
    out = capsys.readouterr().out
    assert "claude-opus-5: cache_write_1h: ours 6.25, snapshot 10" in out
    assert "claude-opus-5: service_tiers: ours -, snapshot fast=2" in out
    assert "claude-opus-5: web_search_usd_per_kcount: ours -, snapshot 10" in out
    assert "claude-opus-5: (card): ours none, snapshot a price from 2026-10-14" in out  # the batch price's card

"""The Savings page, the Spend page's caching panel and FOCUS download, the Policy page's savings table (AppTest
against the real collector fed the shared seed), and the polars helpers behind them."""

from __future__ import annotations

import dataclasses
from datetime import date
from decimal import Decimal

import polars as pl
from test_dashboard_app import (  # noqa: F401 (fixtures)
    HAIKU,
    IN_PERIOD,
    SEED,
    UNPRICED,
    feed,
    metric,
    open_app,
    seeded,
    seeded_once,
)

import rates
from dashboard import savings
from dashboard.money import MONEY, format_usd
from dashboard.ui import EMPTY_RANGE

# Not in the conformance suite: what this checks does not depend on the store (the API it reads is checked on
# every store by the conformance modules), and its chdb half cost CI minutes.

BOOK = rates.default_book()


def _on(model: str, c) -> Decimal:
    usage = rates.Usage(c.input_tokens, c.output_tokens, c.cache_read_tokens)
    return rates.price_call(BOOK, model, usage, at=c.start).cost_usd


def test_savings_page_prices_the_period_on_each_candidate(seeded):  # noqa: F811
    at = open_app("savings")
    assert at.title[0].value == "Savings"
    chosen = at.multiselect(key="savings_candidates").value
    # the models in use with a card, then the cheapest current card of each provider
    assert chosen[:2] == ["claude-haiku-4-5", "grok-4-fast-reasoning"]
    cards = [c for c in BOOK.in_force(IN_PERIOD[0].start.replace(month=10, day=31))]
    cheapest_anthropic = min(
        (c for c in cards if c.provider == "anthropic"),
        key=lambda c: c.rates.input_usd_per_mtok + c.rates.output_usd_per_mtok,
    )
    assert cheapest_anthropic.model in chosen
    at.multiselect(key="savings_candidates").set_value(["claude-sonnet-4-5"]).run()
    assert not at.exception
    priced = [c for c in IN_PERIOD if not c.price().pricing_unknown]  # estimates are not compared
    assert len(priced) < len(IN_PERIOD)
    delta = sum((_on("claude-sonnet-4-5", c) - c.price().cost_usd for c in priced), Decimal(0))
    assert metric(at, "On claude-sonnet-4-5") == f"+{format_usd(delta * 30 / 31)}/mo"
    per_layer = {r["Layer"]: r for r in at.dataframe[0].value.to_dict("records")}
    chat = [c for c in IN_PERIOD if c.effective_layer == "chat"]
    now = sum((c.price().cost_usd for c in chat), Decimal(0))
    on = sum((_on("claude-sonnet-4-5", c) for c in chat), Decimal(0))
    assert per_layer["chat"]["Now"] == format_usd(now)
    assert per_layer["chat"]["claude-sonnet-4-5"] == f"{format_usd(on)} (+{format_usd((on - now) * 30 / 31)}/mo)"
    assert any("tokenizer" in c.value for c in at.caption)


def test_spend_page_caching_panel_and_focus_download(seeded):  # noqa: F811
    at = open_app("spend")
    cached = [c for c in IN_PERIOD if c.cache_read_tokens]
    assert cached, "the seed has a cached call"
    saved = Decimal(0)
    for c in cached:
        r = BOOK.find(c.model, c.start).rates_for(c.input_tokens)
        saved += c.cache_read_tokens * (r.input_usd_per_mtok - r.cache_read_usd_per_mtok) / Decimal(1_000_000)
    # the seed's unpriced calls (no rate card) are left out of the money, and the tiles say so
    left_out = sum(1 for c in IN_PERIOD if c.model in UNPRICED)
    assert metric(at, "Saved by caching") == f"{format_usd(saved)}, {left_out} calls unknown"
    assert metric(at, "Net saved") == f"{format_usd(saved)}, {left_out} calls unknown"  # the seed writes no cache
    table = at.dataframe[-2].value.to_dict("records")
    row = next(r for r in table if r["model"] == HAIKU and r["layer"] == "chat")
    assert row["cache_read_tokens"] == 10_000 and row["hit_rate"] == 10_000 / 16_000
    labels = [b.label for b in at.get("download_button")]
    assert "Download FOCUS CSV" in labels


def test_policy_page_shows_what_the_guardrail_saved(seeded):  # noqa: F811
    at = open_app("policy")
    sub = SEED[5]
    rows = at.dataframe[1].value.to_dict("records")
    assert [(r["requested_model"], r["model"], r["layer"]) for r in rows] == [("claude-sonnet-4-5", HAIKU, "drafts")]
    would = _on(sub.requested_model, sub)
    assert rows[0]["saved_usd"] == format_usd(would - sub.price().cost_usd)


# -- helpers ----------------------------------------------------------------------------------------------------

CARDS = [
    {"model": "a-big", "provider": "p1", "aliases": ["a-big-2025"], "effective_from": "2023-01-01T00:00:00+00:00",
     "input_usd_per_mtok": "3", "output_usd_per_mtok": "15"},
    {"model": "a-small", "provider": "p1", "aliases": [], "effective_from": "2023-01-01T00:00:00+00:00",
     "input_usd_per_mtok": "1", "output_usd_per_mtok": "5"},
    {"model": "a-small", "provider": "p1", "aliases": [], "effective_from": "2027-01-01T00:00:00+00:00",
     "input_usd_per_mtok": "0.1", "output_usd_per_mtok": "0.5"},  # not in force yet
    {"model": "b-one", "provider": "p2", "aliases": [], "effective_from": "2023-01-01T00:00:00+00:00",
     "input_usd_per_mtok": "2", "output_usd_per_mtok": "2"},
]  # fmt: skip


def test_default_candidates_are_models_in_use_then_cheapest_per_provider():
    today = date(2026, 10, 31)
    assert savings.default_candidates(CARDS, ["a-big-2025", "unpriced-x"], today) == ["a-big", "a-small", "b-one"]
    current = savings.current_cards(CARDS, today)
    assert [c["input_usd_per_mtok"] for c in current if c["model"] == "a-small"] == ["1"]


def _whatif_rows() -> pl.DataFrame:
    return pl.DataFrame(
        {
            "layer": ["chat", "chat", None],
            "alternative": ["x", "y", "x"],
            "calls": [3, 3, 2],
            "actual_cost_usd": [Decimal("3"), Decimal("3"), Decimal("1.5")],  # 1.5: 1 priced, 0.5 estimated
            "whatif_calls": [3, 0, 1],
            "compared_actual_usd": [Decimal("3"), None, Decimal("1")],
            "whatif_cost_usd": [Decimal("1.5"), None, Decimal("2")],
            "delta_usd": [Decimal("-1.5"), None, Decimal("1")],
            "whatif_unknown_calls": [0, 3, 0],
            "actual_unpriced_calls": [0, 0, 1],  # the layer-less group's estimated call is not compared
            "caveats": [["tokenizer"], ["unknown_price"], []],
        },
        schema_overrides={k: MONEY for k in ("actual_cost_usd", "compared_actual_usd", "whatif_cost_usd", "delta_usd")},
    )


def test_whatif_table_scales_the_difference_to_a_month_and_keeps_unknown_unknown():
    table = savings.whatif_table(_whatif_rows(), days=15)
    chat_x = table.filter((pl.col("layer") == "chat") & (pl.col("alternative") == "x")).row(0, named=True)
    assert chat_x["monthly_delta_usd"] == Decimal("-3")
    assert savings.monthly_totals(table) == {"x": (Decimal("-1"), 0), "y": (None, 3)}
    wide = {r["Layer"]: r for r in savings.comparison(table, ["x", "y"]).to_dicts()}
    assert wide["chat"] == {"Layer": "chat", "Now": "$3.00", "x": "$1.50 (-$3.00/mo)", "y": "unknown"}
    assert wide[savings.NONE_LABEL]["x"] == "$2.00 (+$2.00/mo), 1 calls not compared"
    assert savings.caveats_seen(table) == ["tokenizer", "unknown_price"]


def test_savings_page_on_an_empty_collector_says_so(start_collector, tmp_path, monkeypatch):
    handle = start_collector(tmp_path, mode="thread")
    monkeypatch.setenv("TOKENLEDGER_COLLECTOR_URL", handle.url)
    for name in ("TOKENLEDGER_READ_TOKEN", "TOKENLEDGER_ADMIN_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    at = open_app("savings")
    assert [i.value for i in at.info] == [EMPTY_RANGE]


def test_monthly_totals_say_when_calls_are_left_out():
    rows = _whatif_rows().with_columns(
        pl.Series("whatif_cost_usd", [Decimal("1.5"), Decimal("2"), Decimal("2")], dtype=MONEY),
        pl.Series("delta_usd", [Decimal("-1.5"), Decimal("-1"), Decimal("1")], dtype=MONEY),
        pl.Series("whatif_unknown_calls", [0, 1, 0]),  # y prices 2 of chat's 3 calls
    )
    totals = savings.monthly_totals(savings.whatif_table(rows, days=30))
    assert totals == {"x": (Decimal("-0.5"), 0), "y": (Decimal("-1"), 1)}


def test_spend_page_caching_tiles_say_unknown_when_no_call_has_a_card(start_collector, send_spans, tmp_path,
                                                                      monkeypatch):  # fmt: skip
    handle = start_collector(tmp_path, mode="thread")
    unpriced = [dataclasses.replace(c, cache_read_tokens=800) for c in IN_PERIOD if c.model == "grok-9-preview"]
    feed(handle.url, send_spans, unpriced)
    monkeypatch.setenv("TOKENLEDGER_COLLECTOR_URL", handle.url)
    for name in ("TOKENLEDGER_READ_TOKEN", "TOKENLEDGER_ADMIN_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    at = open_app("spend")
    for label in ("Saved by caching", "Cache write premium", "Net saved"):
        assert metric(at, label) == "unknown"  # not $0.00: no rate card, so the saving is not known

"""Unit tests for the dashboard's data layer: plain polars functions, frames shaped like the read API's Arrow."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import polars as pl
import pytest

import rates
from dashboard import filters, latency, money, policy, review, spend
from dashboard.money import MONEY

D = Decimal


def spend_frame(rows: list[dict], keys: tuple[str, ...]) -> pl.DataFrame:
    schema = {k: (pl.Date() if k == "day" else pl.String()) for k in keys}
    schema |= {c: pl.Int64() for c in spend.SPEND_COUNTS} | {c: pl.Decimal(38, 9) for c in spend.SPEND_COSTS}
    df = pl.DataFrame(rows, schema=schema, orient="row")
    return money.as_money(df, spend.SPEND_COSTS)


def row(cost: str, priced: str, calls: int = 1, unpriced_calls: int = 0, **keys) -> dict:
    est = D(cost) - D(priced)
    return keys | {
        "calls": calls,
        "input_tokens": 100 * calls,
        "output_tokens": 10 * calls,
        "unpriced_calls": unpriced_calls,
        "cost_usd": D(cost),
        "priced_cost_usd": D(priced),
        "unpriced_cost_usd": est,
    }


# -- money -----------------------------------------------------------------------------------------------------


def test_as_money_parses_decimal_strings_exactly_and_refuses_floats():
    df = pl.DataFrame({"cost_usd": ["0.000001234567890123", "12.5"]})
    out = money.as_money(df, ["cost_usd"])
    assert out.schema["cost_usd"] == MONEY
    assert money.total(out, "cost_usd") == D("12.500001234567890123")
    with pytest.raises(TypeError, match="cost_usd"):
        money.as_money(pl.DataFrame({"cost_usd": [1.5]}), ["cost_usd"])


@pytest.mark.parametrize(
    ("amount", "text"),
    [(D("1234.565"), "$1,234.56"), (D("0.00423"), "$0.0042"), (D(0), "$0.00"), (D("-2.5"), "-$2.50"), (None, "—")],
)
def test_format_usd(amount, text):
    assert money.format_usd(amount) == text


@pytest.mark.parametrize(
    ("amount", "text"),
    [
        (D("0.000001"), "<$0.0001"),
        (D("0.00005"), "<$0.0001"),  # half-even would round it to $0.0000
        (D("0.0000499999"), "<$0.0001"),
        (D("-0.00002"), "-<$0.0001"),
        (D("0.00006"), "$0.0001"),
        (D("0E-18"), "$0.00"),
        (D("-0"), "$0.00"),
    ],
)
def test_format_usd_never_shows_a_nonzero_amount_as_zero(amount, text):
    assert money.format_usd(amount) == text


def test_as_text_formats_money_columns_for_tables():
    df = money.as_money(pl.DataFrame({"m": ["a", "b", "c"], "cost_usd": ["0.000001", "0", "1.5"]}), ["cost_usd"])
    out = money.as_text(df, ["cost_usd", "absent"])
    assert out.get_column("cost_usd").to_list() == ["<$0.0001", "$0.00", "$1.50"]
    assert out.get_column("m").to_list() == ["a", "b", "c"]


def test_for_table_formats_every_money_column_and_days_as_dates():
    df = pl.DataFrame(
        {
            "day": [date(2026, 11, 29), date(2026, 11, 28)],
            "delta_usd": [D("-0.365"), D("133.2695")],
            "cost_usd": [D("0.00004"), D("0")],
            "calls": [1, 2],
        },
        schema_overrides={"delta_usd": MONEY, "cost_usd": MONEY},
    )
    out = money.for_table(df)
    assert out.get_column("day").to_list() == ["2026-11-29", "2026-11-28"]  # not 2026-11-29 00:00:00
    assert out.get_column("delta_usd").to_list() == ["-$0.3650", "$133.27"]  # not $-0.3650, not $133.2695
    assert out.get_column("cost_usd").to_list() == ["<$0.0001", "$0.00"]  # a tiny amount never reads $0.0000
    assert out.get_column("calls").to_list() == [1, 2]


def test_chart_tooltips_show_money_by_the_same_formatter():
    from dashboard import charts

    df = spend_frame(
        [row("0.00004", "0", 1, 1, day=date(2026, 11, 1), layer="chat"), row("136.155", "136.155", layer="x")],
        ("day", "layer"),
    )
    charts_ = [
        charts.layers_stacked_daily(spend.daily_by_layer(df.with_columns(pl.lit(date(2026, 11, 1)).alias("day")))),
        charts.priced_vs_estimated(spend.by_layer_with_change(df.drop("day"), spend.empty_spend(["layer"]))),
        charts.breakdown_bars(spend.with_change(df, spend.empty_spend(["layer"]), "layer"), "layer"),
    ]
    for chart in charts_:
        spec = chart.to_dict()
        tooltips = spec["encoding"]["tooltip"]
        assert not any("format" in t and "$" in t["format"] for t in tooltips), tooltips
        values = [v for rows in spec["datasets"].values() for r in rows for v in r.values()]
        assert "<$0.0001" in values and "$136.16" in values, values


def test_format_pct():
    assert money.format_pct(0.125) == "+12.5%"
    assert money.format_pct(-0.03) == "-3.0%"
    assert money.format_pct(None) == "n/a"


# -- periods ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "end", "prev"),
    [
        (date(2026, 11, 1), date(2026, 11, 26), (date(2026, 10, 1), date(2026, 10, 26))),
        (date(2026, 11, 1), date(2026, 11, 30), (date(2026, 10, 1), date(2026, 10, 31))),
        (date(2026, 3, 1), date(2026, 3, 30), (date(2026, 2, 1), date(2026, 2, 28))),
        (date(2026, 1, 1), date(2026, 1, 15), (date(2025, 12, 1), date(2025, 12, 15))),
        (date(2026, 11, 10), date(2026, 11, 16), (date(2026, 11, 3), date(2026, 11, 9))),
        (date(2026, 10, 1), date(2026, 11, 5), (date(2026, 8, 26), date(2026, 9, 30))),
    ],
)
def test_previous_period(start, end, prev):
    assert filters.previous_period(start, end) == prev


def test_filters_params_send_iso_days_and_only_set_filters():
    f = filters.Filters(date(2026, 11, 1), date(2026, 11, 26), layer="chat")
    assert f.params() == {"start": "2026-11-01", "end": "2026-11-26", "layer": ["chat"]}
    assert f.previous().params()["start"] == "2026-10-01"
    with pytest.raises(ValueError, match="before it starts"):
        filters.Filters(date(2026, 11, 2), date(2026, 11, 1))


def test_month_to_date_and_describe():
    assert filters.month_to_date(date(2026, 11, 26)) == (date(2026, 11, 1), date(2026, 11, 26))
    assert filters.describe_period(date(2026, 11, 1), date(2026, 11, 26)) == "Nov 1 – Nov 26, 2026"


# -- spend -----------------------------------------------------------------------------------------------------


def test_totals_keep_priced_and_estimated_apart():
    df = spend_frame([row("3.5", "3.5", calls=3, layer="chat"), row("0.75", "0", 2, 2, layer="agents")], ("layer",))
    t = spend.totals(df)
    assert (t.calls, t.unpriced_calls) == (5, 2)
    assert (t.priced_usd, t.estimated_usd, t.total_usd) == (D("3.5"), D("0.75"), D("4.25"))
    empty = spend.totals(spend.empty_spend(["layer"]))
    assert (empty.calls, empty.total_usd) == (0, D(0))


def test_by_layer_with_change_orders_layers_and_computes_change():
    cur = spend_frame(
        [
            row("2", "2", layer="analysis"),
            row("10", "8", 4, 1, layer="chat"),
            row("1", "1", layer="zeta"),
            row("0.5", "0.5", layer=None),
        ],
        ("layer",),
    )
    prev = spend_frame([row("5", "5", layer="chat"), row("3", "3", layer="drafts")], ("layer",))
    out = spend.by_layer_with_change(cur, prev)
    assert out.get_column("layer").to_list() == ["chat", "analysis", "drafts", "(none)", "zeta"]
    chat = out.row(0, named=True)
    assert (chat["priced_usd"], chat["estimated_usd"], chat["total_usd"]) == (D(8), D(2), D(10))
    assert chat["previous_total_usd"] == D(5) and chat["change_usd"] == D(5) and chat["change_pct"] == 1.0
    drafts = out.row(2, named=True)
    assert drafts["total_usd"] == D(0) and drafts["change_pct"] == -1.0
    assert out.row(1, named=True)["change_pct"] is None  # analysis spent nothing before
    assert out.schema["total_usd"] == MONEY
    assert money.total(out, "total_usd") == D("13.5")


def test_change_is_none_without_a_previous_figure():
    assert spend.change(D(3), D(0)) is None
    assert spend.change(D(3), D(2)) == 0.5


def test_daily_by_layer_and_breakdown():
    days = [date(2026, 11, 1), date(2026, 11, 2)]
    df = spend_frame(
        [
            row("1", "1", day=days[0], layer="chat"),
            row("2", "2", day=days[0], layer="agents"),
            row("4", "3", 2, 1, day=days[1], layer="chat"),
        ],
        ("day", "layer"),
    )
    daily = spend.daily_by_layer(df)
    assert daily.height == 3 and daily.get_column("day").to_list()[0] == days[0]
    assert money.total(daily, "cost_usd") == D(7)
    by = spend.with_change(df, spend.empty_spend(["layer"]), "layer")
    assert by.get_column("layer").to_list() == ["chat", "agents"]
    assert by.row(0, named=True)["total_usd"] == D(5)
    assert by.get_column("share").sum() == pytest.approx(1.0)


def test_report_table_and_csv_keep_exact_decimals():
    df = spend_frame([row("0.000001234", "0.000001234", model="m", layer="chat")], ("layer", "model"))
    table = spend.report_table(df, ["layer", "model"])
    assert table.columns[:2] == ["layer", "model"]
    assert {"priced_cost_usd", "estimated_cost_usd", "total_cost_usd"} <= set(table.columns)
    assert "0.000001234" in spend.to_csv(table).decode()


def test_ensure_spend_fills_an_empty_answer():
    out = spend.ensure_spend(pl.DataFrame(), ["layer"])
    assert out.is_empty() and "priced_cost_usd" in out.columns and "layer" in out.columns


def null_keyed(keys: tuple[str, ...], metrics: dict[str, pl.DataType]) -> pl.DataFrame:
    """What the API's Arrow answer with no rows becomes: its key columns typed Null."""
    return pl.DataFrame(schema=dict.fromkeys(keys, pl.Null()) | metrics)


def test_layers_of_an_empty_period_with_null_typed_keys():
    counts = {c: pl.Int64() for c in spend.SPEND_COUNTS} | {c: MONEY for c in spend.SPEND_COSTS}
    empty = null_keyed(("layer",), counts)
    assert spend.by_layer_with_change(empty, empty).is_empty()
    before = spend_frame([row("1", "1", layer="chat")], ("layer",))
    out = spend.by_layer_with_change(empty, before)  # nothing now, something in the previous period
    assert out.get_column("layer").to_list() == ["chat"] and out.item(0, "previous_total_usd") == D(1)
    daily = spend.daily_by_layer(null_keyed(("day", "layer"), counts))
    assert daily.is_empty() and daily.schema["day"] == pl.Date


def test_latency_summary_of_an_empty_period_with_null_typed_keys():
    metrics = {c: pl.Float64() for c in latency.LATENCY_METRICS} | {"calls": pl.Int64()}
    assert latency.summary(null_keyed(("layer",), metrics), "layer").is_empty()
    assert latency.percentiles_long(null_keyed(("day", "layer"), metrics), "layer").is_empty()


# -- latency ---------------------------------------------------------------------------------------------------


def latency_frame() -> pl.DataFrame:
    return pl.DataFrame(
        {
            "day": [date(2026, 11, 1), date(2026, 11, 1), date(2026, 11, 2)],
            "layer": ["agents", "chat", "chat"],
            "calls": [4, 10, 6],
            "p50_ms": [100.0, 200.0, 210.0],
            "p95_ms": [150.0, 400.0, 420.0],
            "p99_ms": [190.0, 900.0, 950.0],
            "error_rate": [0.0, 0.1, 0.0],
            "ttft_ms": [None, 120.0, 130.0],
        }
    )


def test_percentiles_long_and_error_rate():
    long = latency.percentiles_long(latency_frame(), "layer")
    assert long.height == 9 and set(long.get_column("percentile").unique()) == {"p50", "p95", "p99"}
    chat_p99 = long.filter((pl.col("layer") == "chat") & (pl.col("percentile") == "p99"))
    assert chat_p99.get_column("latency_ms").to_list() == [900.0, 950.0]
    err = latency.error_rate_over_time(latency_frame(), "layer")
    assert err.filter(pl.col("error_rate") > 0).get_column("layer").to_list() == ["chat"]


def test_latency_summary_and_ttft():
    per_layer = latency_frame().drop("day").filter(pl.col("p50_ms") != 210.0)
    out = latency.summary(per_layer, "layer")
    assert out.get_column("layer").to_list() == ["chat", "agents"]
    streamed = latency.ttft(per_layer, "layer")
    assert streamed.get_column("layer").to_list() == ["chat"]
    assert streamed.columns == ["layer", "streaming_calls", "ttft_p50_ms", "ttft_p95_ms", "ttft_p99_ms", "ttft_ms"]
    assert latency.ensure_latency(pl.DataFrame(), ["layer"]).is_empty()


# -- review ----------------------------------------------------------------------------------------------------

QUEUE = [
    {
        "model": "grok-9-preview",
        "provider": "x_ai",
        "calls": 3,
        "input_tokens": 3000,
        "output_tokens": 300,
        "estimated_cost_usd": "0.0045",
        "first_seen": "2026-11-20T10:00:00Z",
        "last_seen": "2026-11-25T10:00:00Z",
        "suggested": None,
    },
    {
        "model": "mystery-1",
        "provider": None,
        "calls": 1,
        "input_tokens": 10,
        "output_tokens": 1,
        "estimated_cost_usd": "1.5",
        "first_seen": "2026-11-02T08:30:00+00:00",
        "last_seen": "2026-11-02T08:30:00+00:00",
        "suggested": {"input_usd_per_mtok": "3.00", "output_usd_per_mtok": "15", "source": "genai-prices 0.2"},
    },
]


def test_queue_frame_and_banner():
    q = review.queue_frame(QUEUE)
    assert q.get_column("model").to_list() == ["mystery-1", "grok-9-preview"]
    assert q.get_column("suggested").to_list() == ["$3 in / $15 out per Mtok", None]
    assert review.banner_text(q) == "4 calls from 2 unpriced models (est. $1.50, all time) awaiting review"
    assert review.banner_text(review.queue_frame([])) is None
    assert review.banner_text(review.queue_frame(QUEUE[:1])) == (
        "3 calls from 1 unpriced model (est. $0.0045, all time) awaiting review"
    )


def test_form_defaults_come_from_the_suggestion_and_first_seen():
    d = review.form_defaults(QUEUE[1])
    assert d["input_usd_per_mtok"] == "3" and d["output_usd_per_mtok"] == "15"
    assert d["cache_read_usd_per_mtok"] == "" and d["effective_from"] == "2026-11-02"
    assert "genai-prices" in d["note"]
    assert review.form_defaults(QUEUE[0])["input_usd_per_mtok"] == ""


def test_card_payload_validates_and_keeps_decimal_text():
    fields = {"input_usd_per_mtok": "0.20", "output_usd_per_mtok": "1.5", "effective_from": "2026-11-01"}
    body = review.card_payload("grok-9-preview", fields)
    assert body == {
        "model": "grok-9-preview",
        "input_usd_per_mtok": "0.20",
        "output_usd_per_mtok": "1.5",
        "cache_read_usd_per_mtok": "0.20",
        "cache_write_usd_per_mtok": "0.20",
        "effective_from": "2026-11-01",
        "note": "",
    }
    with pytest.raises(ValueError, match="Output rate is not a number"):
        review.card_payload("m", fields | {"output_usd_per_mtok": "abc"})
    with pytest.raises(ValueError, match=">= 0"):
        review.card_payload("m", fields | {"input_usd_per_mtok": "-1"})
    with pytest.raises(ValueError, match="required"):
        review.card_payload("m", fields | {"output_usd_per_mtok": " "})
    with pytest.raises(ValueError, match="effective from"):
        review.card_payload("m", fields | {"effective_from": "yesterday"})


def test_card_payload_carries_the_provider_and_applied_text_counts_rows():
    fields = {"input_usd_per_mtok": "1", "output_usd_per_mtok": "2", "effective_from": "2026-11-01"}
    assert review.card_payload("m", fields, provider="x_ai")["provider"] == "x_ai"
    assert "provider" not in review.card_payload("m", fields)
    assert (
        review.applied_text("m", "2026-11-01", {"rows": 1}) == "m now has a rate card from 2026-11-01; 1 row repriced."
    )
    assert review.applied_text("m", "2026-11-01", {"rows": 1200}).endswith("; 1,200 rows repriced.")
    assert review.applied_text("m", "2026-11-01", {}) == "m now has a rate card from 2026-11-01."


def test_preview_frame():
    p = review.preview_frame({"rows": 3, "old_cost_usd": "0.0045", "new_cost_usd": "0.00105", "delta_usd": "-0.00345"})
    r = p.row(0, named=True)
    assert r == {"rows": 3, "old_cost_usd": D("0.0045"), "new_cost_usd": D("0.00105"), "delta_usd": D("-0.00345")}
    assert review.preview_frame({"rows": 1, "old_cost_usd": "1", "new_cost_usd": "3"}).item(0, "delta_usd") == D(2)


TIERED = {
    "model": "gemini-2.5-pro",
    "provider": "gcp.gemini",
    "calls": 2,
    "estimated_cost_usd": "0.3",
    "first_seen": "2026-10-14T12:00:00Z",
    "last_seen": "2026-10-16T12:00:00Z",
    "suggested": {
        "effective_from": "2023-01-01T00:00:00+00:00",
        "input_usd_per_mtok": "1.25",
        "output_usd_per_mtok": "10",
        "cache_read_usd_per_mtok": "0.125",
        "cache_write_usd_per_mtok": "1.25",
        "long_context": {
            "above_input_tokens": 200000,
            "input_usd_per_mtok": "2.5",
            "output_usd_per_mtok": "15",
            "cache_read_usd_per_mtok": "0.25",
            "cache_write_usd_per_mtok": "2.5",
        },
        "source": "genai-prices 0.2.3 snapshot",
    },
}


def test_form_defaults_carry_the_suggested_long_context_tier():
    d = review.form_defaults(TIERED)
    assert d[review.TIER_THRESHOLD] == "200000"
    assert [d[f] for f in review.TIER_FIELDS] == ["2.5", "15", "0.25", "2.5"]
    flat = review.form_defaults(QUEUE[1])  # a suggestion without a tier, and no suggestion at all: blank
    assert all(flat[f] == "" for f in (review.TIER_THRESHOLD, *review.TIER_FIELDS))
    assert all(review.form_defaults(QUEUE[0])[f] == "" for f in (review.TIER_THRESHOLD, *review.TIER_FIELDS))


def test_card_payload_sends_the_long_context_tier():
    body = review.card_payload("gemini-2.5-pro", review.form_defaults(TIERED), provider="gcp.gemini")
    assert body["long_context"] == {
        "above_input_tokens": 200000,
        "input_usd_per_mtok": "2.5",
        "output_usd_per_mtok": "15",
        "cache_read_usd_per_mtok": "0.25",
        "cache_write_usd_per_mtok": "2.5",
    }
    assert body["input_usd_per_mtok"] == "1.25" and body["effective_from"] == "2026-10-14"
    # the collector accepts the body as a card with the tier
    card = rates.card_from_mapping({**body, "source": "test"})
    assert card.long_context is not None and card.long_context.above_input_tokens == 200000
    assert card.long_context.rates.output_usd_per_mtok == D(15)


def test_card_payload_long_context_tier_is_optional_and_validated():
    base = {"input_usd_per_mtok": "1", "output_usd_per_mtok": "2", "effective_from": "2026-11-01"}
    assert "long_context" not in review.card_payload("m", base)
    assert "long_context" not in review.card_payload("m", base | {review.TIER_THRESHOLD: " "})
    tier = {
        review.TIER_THRESHOLD: "128000",
        "long_context_input_usd_per_mtok": "2",
        "long_context_output_usd_per_mtok": "4",
    }
    lc = review.card_payload("m", base | tier)["long_context"]
    # blank tier cache rates default to the tier's input rate, as the base card's do
    assert lc == {
        "above_input_tokens": 128000,
        "input_usd_per_mtok": "2",
        "output_usd_per_mtok": "4",
        "cache_read_usd_per_mtok": "2",
        "cache_write_usd_per_mtok": "2",
    }
    for bad in ("abc", "-1", "1.5", "1e5"):
        with pytest.raises(ValueError, match="threshold"):
            review.card_payload("m", base | tier | {review.TIER_THRESHOLD: bad})
    with pytest.raises(ValueError, match="threshold"):  # rates without a threshold are not silently dropped
        review.card_payload("m", base | tier | {review.TIER_THRESHOLD: ""})
    with pytest.raises(ValueError, match="Long-context output rate is required"):
        review.card_payload("m", base | tier | {"long_context_output_usd_per_mtok": ""})
    with pytest.raises(ValueError, match="Long-context input rate must be a number >= 0"):
        review.card_payload("m", base | tier | {"long_context_input_usd_per_mtok": "-2"})


def test_every_card_form_field_has_its_own_label():
    labels = [review.RATE_LABELS[f] for f in review.RATE_FIELDS] + [review.TIER_LABELS[f] for f in review.TIER_LABELS]
    assert len(labels) == len(set(labels)) == 9
    for a in labels:  # and none is part of another: a field is found by its label's text
        assert not [b for b in labels if b != a and a.lower() in b.lower()], a


def test_suggestion_caption_names_source_and_date_and_warns_of_a_change_inside_the_window():
    text = review.suggestion_caption(TIERED)
    assert "genai-prices 0.2.3 snapshot" in text and "in force since 2023-01-01" in text
    assert "another price" not in text  # the price has not changed since the model's first call
    changed = TIERED | {"suggested": TIERED["suggested"] | {"effective_from": "2026-10-15T00:00:00+00:00"}}
    text = review.suggestion_caption(changed)
    assert "in force since 2026-10-15" in text
    assert "after this model's first call (2026-10-14)" in text and "another price" in text
    assert review.suggestion_caption(QUEUE[0]) is None  # no suggestion
    assert "every stored call of gemini-2.5-pro" in review.scope_text("gemini-2.5-pro")


# -- policy ----------------------------------------------------------------------------------------------------


def test_substitutions_with_what_the_requested_model_would_have_cost():
    # GET /api/v1/substitutions: each substituted call priced again on the requested model's card (server side)
    rows = pl.DataFrame(
        {
            "requested_model": ["claude-opus-4-1", "claude-sonnet-4-5", "mystery-1"],
            "model": ["claude-haiku-4-5"] * 3,
            "layer": ["chat", "chat", "drafts"],
            "service": [None, "bff", "worker"],
            "environment": ["prod", "staging", None],
            "calls": [3, 20_000, 4],
            "unpriced_calls": [0, 0, 0],
            "cost_usd": ["0.2", "0.1", "0.5"],
            "requested_cost_usd": ["1.5", "0.3", None],
        }
    )
    subs = policy.substitutions(money.as_money(rows, ("cost_usd", "requested_cost_usd")))
    got = [
        (r["requested_model"], r["environment"], r["service"], r["difference_usd"]) for r in subs.iter_rows(named=True)
    ]
    assert got == [
        ("claude-sonnet-4-5", "staging", "bff", D("0.2")),
        ("mystery-1", "(none)", "worker", None),  # unknown requested price: no difference, not a saving of -$0.50
        ("claude-opus-4-1", "prod", "(none)", D("1.3")),
    ]
    assert policy.requested_total(subs) == (None, 4)  # a partial sum would read as the whole
    assert policy.requested_total(subs.filter(pl.col("requested_model") != "mystery-1")) == (D("1.8"), 0)
    table = money.for_table(subs, unknown=["requested_cost_usd", "difference_usd"])
    mystery = table.row(1, named=True)
    assert (mystery["requested_cost_usd"], mystery["cost_usd"]) == ("unknown", "$0.5000")
    assert policy.substitutions(pl.DataFrame()).is_empty()


def test_substitution_share_from_spend_grouped_by_requested_model():
    spend = pl.DataFrame(
        {
            "requested_model": ["claude-sonnet-4-5", "claude-opus-4-1", None, None, "claude-haiku-4-5"],
            "model": ["claude-haiku-4-5", "claude-haiku-4-5", "claude-haiku-4-5", "grok-4", "claude-haiku-4-5"],
            "calls": [20_000, 3, 50_000, 7, 4],
        }
    )
    assert policy.substitution_share(spend) == (20_003, 70_014)  # a "substitution" to the model asked for is none


def test_audit_frame_newest_first_with_exact_money():
    entries = [
        {
            "repriced_at": "2026-11-20T10:00:00+00:00",
            "model": "a",
            "card_id": "a@2026-11-01",
            "rows": 2,
            "old_cost_usd": "0.5",
            "new_cost_usd": "0.25",
            "delta_usd": "-0.25",
            "note": "",
        },
        {
            "repriced_at": "2026-11-25T10:00:00Z",
            "model": "b",
            "card_id": "b@2026-11-01",
            "rows": 1,
            "old_cost_usd": "1",
            "new_cost_usd": "3",
        },
    ]
    audit = review.audit_frame(entries)
    assert audit.get_column("model").to_list() == ["b", "a"]
    assert audit.item(0, "delta_usd") == D(2) and audit.item(1, "delta_usd") == D("-0.25")
    assert review.audit_frame([]).is_empty()


def test_settings_read_once_from_the_environment_and_hide_tokens():
    from dashboard.settings import load_settings

    s = load_settings({"TOKENLEDGER_ADMIN_TOKEN": "sk-test-not-a-real-key", "TOKENLEDGER_COLLECTOR_URL": "http://h:1/"})
    assert s.collector_url == "http://h:1" and s.admin_token == "sk-test-not-a-real-key" and s.read_token is None
    assert "sk-test" not in repr(s)
    assert load_settings({}).collector_url == "http://127.0.0.1:4318"
    with pytest.raises(ValueError, match="TOKENLEDGER_DASHBOARD_CACHE_TTL_S"):
        load_settings({"TOKENLEDGER_DASHBOARD_CACHE_TTL_S": "soon"})


def test_a_blank_token_is_unset_for_the_dashboard_as_for_the_cli():
    from dashboard.settings import load_settings
    from tokenledger.settings import load_settings as cli_settings

    env = {"TOKENLEDGER_ADMIN_TOKEN": "  ", "TOKENLEDGER_READ_TOKEN": " sk-test-not-a-real-key-read \n"}
    s, cli = load_settings(env), cli_settings(env)
    assert s.admin_token is None and cli.admin_token is None  # blank: the Review page says no admin token
    assert s.read_token == cli.read_token == "sk-test-not-a-real-key-read"


def test_dashboard_command_runs_streamlit_headless_without_usage_stats():
    from dashboard._cli import APP, streamlit_command

    cmd = streamlit_command("127.0.0.1", 8501)
    assert str(APP) in cmd and APP.is_file()
    assert {"--server.headless=true", "--browser.gatherUsageStats=false", "--server.address=127.0.0.1"} <= set(cmd)
    assert "--server.port=8501" in cmd


def test_charts_build_with_money_as_float_only_in_the_chart():
    from dashboard import charts

    df = spend_frame(
        [
            row("0.004", "0.004", day=date(2026, 11, 1), layer="chat"),
            row("0.002", "0", 1, 1, day=date(2026, 11, 1), layer="x"),
        ],
        ("day", "layer"),
    )
    daily = charts.layers_stacked_daily(spend.daily_by_layer(df)).to_dict()
    assert daily["encoding"]["y"]["axis"]["format"] == "$,.4~f"  # sub-dollar ticks stay distinct
    assert daily["encoding"]["x"]["timeUnit"] == "utcyearmonthdate"  # a bar per day; ticks on days, not twice a day
    one = spend_frame([row("12", "10", layer="chat")], ("layer",))
    bars = charts.priced_vs_estimated(spend.by_layer_with_change(one, spend.empty_spend(["layer"]))).to_dict()
    assert bars["encoding"]["x"]["axis"]["format"] == "$,.2f"
    assert df.schema["cost_usd"] == MONEY  # the caller's frame is untouched


def test_a_nullable_money_column_is_summed_as_known_or_unknown_never_zero():
    rows = pl.DataFrame(
        {"calls": [2, 3, 4], "saved_usd": [Decimal("1.5"), None, Decimal("0.25")]},
        schema_overrides={"saved_usd": MONEY},
    )
    assert money.known_total(rows, "saved_usd") == (Decimal("1.75"), 3)
    assert money.format_known(*money.known_total(rows, "saved_usd")) == "$1.75, 3 calls unknown"
    unknown = rows.with_columns(pl.lit(None, MONEY).alias("saved_usd"))
    assert money.known_total(unknown, "saved_usd") == (None, 9)
    assert money.format_known(None, 9) == "unknown"
    assert money.known_total(rows.clear(), "saved_usd") == (Decimal(0), 0)
    assert money.format_known(Decimal("2"), 1, prefix="+", suffix="/mo") == "+$2.00/mo, 1 call unknown"
    with pytest.raises(ValueError, match="known_total"):  # a plain total would read the unknown as $0
        money.total(rows, "saved_usd")


def test_the_card_form_carries_one_hour_writes_web_search_and_tiers_from_the_suggestion():
    """A card applied from Review keeps the suggestion's other prices (1-hour cache writes, web search, service
    tiers), or the calls would be billed at the base rates; a multiplier a card cannot hold is left out."""
    suggested = {
        "input_usd_per_mtok": "3", "output_usd_per_mtok": "15", "cache_read_usd_per_mtok": "0.3",
        "cache_write_usd_per_mtok": "3.75", "cache_write_1h_usd_per_mtok": "6", "web_search_usd_per_kcount": "10",
        "service_tiers": {"batch": "0.5", "priority": "1.666666666666666666666666667"},
        "long_context": {"above_input_tokens": 200000, "input_usd_per_mtok": "6", "output_usd_per_mtok": "22.5",
                         "cache_read_usd_per_mtok": "0.6", "cache_write_usd_per_mtok": "7.5",
                         "cache_write_1h_usd_per_mtok": "12"},
    }  # fmt: skip
    fields = review.form_defaults({"model": "claude-x", "suggested": suggested, "first_seen": "2026-11-01T00:00:00Z"})
    assert fields[review.SERVICE_TIERS] == "batch=0.5"
    body = review.card_payload("claude-x", fields)
    assert body["cache_write_1h_usd_per_mtok"] == "6" and body["web_search_usd_per_kcount"] == "10"
    assert body["service_tiers"] == {"batch": "0.5"}
    assert body["long_context"]["cache_write_1h_usd_per_mtok"] == "12"
    with pytest.raises(ValueError, match="Service tiers must read like"):
        review.card_payload("claude-x", fields | {review.SERVICE_TIERS: "batch"})
    blank = fields | {review.CACHE_1H: "", review.WEB_SEARCH: "", review.SERVICE_TIERS: ""}
    assert not {"cache_write_1h_usd_per_mtok", "web_search_usd_per_kcount", "service_tiers"} & set(
        review.card_payload("claude-x", blank)
    )  # blank: the collector's defaults (the cache-write rate; searches unpriced; no tiers)

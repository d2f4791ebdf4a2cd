"""Spend: daily spend by layer, breakdowns against the previous period, and the report table with CSV download."""

from dataclasses import replace

import streamlit as st

from dashboard import charts, money, savings, spend, ui
from dashboard import filters as flt
from dashboard.filters import DIMENSIONS, describe_period

TABLE_KEYS = ["day", "layer", "service", "environment", "provider", "model", *DIMENSIONS]
BREAKDOWNS = {"Model": "model", "Provider": "provider", "Service": "service", "Environment": "environment"}
BREAKDOWNS |= {flt.label(key): key for key in DIMENSIONS}  # who it is charged to; "unattributed" when no one
BREAKDOWN_KEYS = list(BREAKDOWNS.values())
MONEY_COLUMNS = ("priced_usd", "estimated_usd", "total_usd", "previous_total_usd")

f = ui.current_filters()
prev = f.previous()
st.title("Spend")
st.caption(f"{describe_period(f.start, f.end)}, compared with {describe_period(prev.start, prev.end)}")
priced = st.toggle(
    "Priced rows only",
    key=ui.PRICED_WIDGET,
    help="Leave out calls whose model had no rate card (pricing_unknown = true): figures for finance reports.",
)
ui.share_priced_only(priced)
f, prev = replace(f, priced_only=priced), replace(prev, priced_only=priced)

with ui.guard():
    daily = spend.ensure_spend(ui.fetch_spend(["day", "layer"], f), ["day", "layer"])
    table = spend.ensure_spend(ui.fetch_spend(TABLE_KEYS, f), TABLE_KEYS)
    before = spend.ensure_spend(ui.fetch_spend(BREAKDOWN_KEYS, prev), BREAKDOWN_KEYS)

if table.is_empty():
    st.info(ui.EMPTY_RANGE, icon=":material/info:")
    st.stop()

t = spend.totals(table)
c1, c2, c3 = st.columns(3)
c1.metric("Priced spend", money.format_usd(t.priced_usd))
if priced:
    c2.metric("Estimated spend (unpriced)", "excluded")
else:
    c2.metric("Estimated spend (unpriced)", money.format_usd(t.estimated_usd))
c3.metric("Calls", f"{t.calls:,}")

st.subheader("Daily spend by layer")
st.altair_chart(charts.layers_stacked_daily(spend.daily_by_layer(daily)), width="stretch")

st.subheader("Breakdowns")
st.caption(f"Against {describe_period(prev.start, prev.end)}. Estimated: calls with no rate card.")
for tab, (label, key) in zip(st.tabs(list(BREAKDOWNS)), BREAKDOWNS.items(), strict=True):
    with tab:
        frame = spend.with_change(table, before, key)
        if frame.is_empty():
            st.info("Nothing to break down.")
            continue
        st.altair_chart(charts.breakdown_bars(frame, key), width="stretch")
        st.dataframe(
            money.for_table(frame.select(key, "calls", *MONEY_COLUMNS, "change_pct", "share")),
            hide_index=True,
            placeholder="—",
            column_config={
                key: label,
                "calls": "Calls",
                "priced_usd": st.column_config.TextColumn("Priced"),
                "estimated_usd": st.column_config.TextColumn("Estimated (unpriced)"),
                "total_usd": st.column_config.TextColumn("Total incl. estimates"),
                "previous_total_usd": st.column_config.TextColumn("Previous period"),
                "change_pct": st.column_config.NumberColumn("Change", format="percent"),
                "share": st.column_config.ProgressColumn("Share", format="percent", min_value=0, max_value=1),
            },
        )

st.subheader("Prompt caching")
st.caption(
    "Saved: cache reads at the input rate minus what they cost. Write premium: cache writes minus their cost at the "
    "input rate. Calls with no rate card count in the tokens, not in the money."
)
with ui.guard():
    cache = savings.cache_table(ui.fetch_cache(["model", "layer"], f), ["model", "layer"])
    cache_daily = ui.fetch_cache(["day", "model"], f)
c1, c2, c3 = st.columns(3)
for col, label, column in zip(
    (c1, c2, c3), ("Saved by caching", "Cache write premium", "Net saved"), savings.CACHE_MONEY, strict=True
):
    amount, left_out = money.known_total(cache, column, unknown_calls="unpriced_calls")
    col.metric(
        label,
        money.format_known(amount, left_out),
        help="Unknown: no call of the period has a rate card. Calls unknown: calls with no rate card, left out."
        if amount is None or left_out
        else None,
    )
if not cache_daily.is_empty():
    st.altair_chart(savings.hit_rate_chart(cache_daily, "model"), width="stretch")
st.dataframe(
    money.for_table(cache, unknown=savings.CACHE_MONEY),
    hide_index=True,
    placeholder="—",
    column_config={
        "model": "Model",
        "layer": "Layer",
        "calls": "Calls",
        "input_tokens": "Input tokens",
        "cache_read_tokens": "Cache reads",
        "cache_write_tokens": "Cache writes",
        "hit_rate": st.column_config.NumberColumn("Hit rate", format="percent"),
        "unpriced_calls": "Unpriced calls",
        "saved_usd": st.column_config.TextColumn("Saved"),
        "write_premium_usd": st.column_config.TextColumn("Write premium"),
        "net_saved_usd": st.column_config.TextColumn("Net saved"),
    },
)

st.subheader("Table")
report = spend.report_table(table, TABLE_KEYS)
st.dataframe(
    money.for_table(report),  # money as format_usd text, days as dates; the CSV keeps exact decimals
    hide_index=True,
    placeholder="—",
    column_config={
        "day": st.column_config.TextColumn("Day (UTC)"),
        "priced_cost_usd": st.column_config.TextColumn("Priced USD"),
        "estimated_cost_usd": st.column_config.TextColumn("Estimated USD"),
        "total_cost_usd": st.column_config.TextColumn("Total USD"),
    },
)
name = f"tokenledger-spend-{f.start}-{f.end}{'-priced' if priced else ''}.csv"
st.download_button("Download CSV", spend.to_csv(report), file_name=name, mime="text/csv", icon=":material/download:")

st.subheader("FOCUS export")
st.caption(
    "The period's spend as a FOCUS 1.2 cost-and-usage file for FinOps tools (all calls of the range: the sidebar's "
    "other filters do not apply). BilledCost is priced cost only; estimates are in x_EstimatedCost."
)
with ui.guard():
    focus_csv = ui.fetch_focus(f)
st.download_button(
    "Download FOCUS CSV",
    focus_csv,
    file_name=f"tokenledger-focus-{f.start}-{f.end}.csv",
    mime="text/csv",
    icon=":material/download:",
)

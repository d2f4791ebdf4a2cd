"""Overview: the period's spend, priced and estimated apart, per layer, against the previous period."""

from dataclasses import replace
from pathlib import Path

import polars as pl
import streamlit as st

from dashboard import budgets, charts, money, review, spend, ui
from dashboard.filters import describe_period

f = ui.current_filters()
prev = f.previous()
with ui.guard():
    current = spend.ensure_spend(ui.fetch_spend(["layer"], f), ["layer"])
    previous = spend.ensure_spend(ui.fetch_spend(["layer"], prev), ["layer"])
    queue = ui.fetch_queue()

st.title("Overview")
period = describe_period(f.start, f.end)
st.caption(f"{period}, compared with {describe_period(prev.start, prev.end)}")

banner = review.banner_text(queue)
if banner:
    with st.container(border=True):
        st.warning(banner, icon=":material/warning:")
        st.caption(f"The review queue counts every unpriced call stored; the figures below cover {period} only.")
        st.page_link(Path(__file__).parent / "review.py", label="Review unpriced models", icon=":material/rule:")

now, before = spend.totals(current), spend.totals(previous)
if now.calls == 0:
    st.info(ui.EMPTY_RANGE, icon=":material/info:")
    st.stop()
c1, c2, c3, c4 = st.columns(4)
c1.metric(
    "Priced spend",
    money.format_usd(now.priced_usd),
    **ui.spend_delta(spend.change(now.priced_usd, before.priced_usd)),
    help="Calls priced by a rate card in force at the call's time.",
)
c2.metric(
    "Estimated spend (unpriced)",
    money.format_usd(now.estimated_usd),
    help=f"{now.unpriced_calls:,} calls in {period} with no rate card, estimated at a public "
    "price when the genai-prices snapshot knows the model, else at the default model's rates.",
)
c3.metric(
    "Total incl. estimates",
    money.format_usd(now.total_usd),
    **ui.spend_delta(spend.change(now.total_usd, before.total_usd)),
)
c4.metric("Calls", f"{now.calls:,}", delta=f"{now.calls - before.calls:+,}", delta_color="off")

st.subheader("Spend per layer")
by_layer = spend.by_layer_with_change(current, previous)
st.table(
    {
        "Layer": by_layer.get_column("layer").to_list(),
        "Calls": [f"{n:,}" for n in by_layer.get_column("calls")],
        "Priced": [money.format_usd(v) for v in by_layer.get_column("priced_usd")],
        "Estimated (unpriced)": [money.format_usd(v) for v in by_layer.get_column("estimated_usd")],
        "Total incl. estimates": [money.format_usd(v) for v in by_layer.get_column("total_usd")],
        "Previous period": [money.format_usd(v) for v in by_layer.get_column("previous_total_usd")],
        "Change": [money.format_pct(v) for v in by_layer.get_column("change_pct")],
    },
    hide_index=True,
)
st.altair_chart(charts.priced_vs_estimated(by_layer), width="stretch")

st.subheader("This month: where it will end")
today = ui.today_utc()
month = replace(f, start=today.replace(day=1), end=today, priced_only=False)
with ui.guard():
    forecast = ui.fetch_forecast([], f)
    month_daily = ui.fetch_spend(["day"], month)
    monthly_budgets = budgets.budgets_frame(ui.fetch_budgets()).filter(pl.col("period") == "month")
row = forecast.row(0, named=True) if not forecast.is_empty() else None
if row is None:
    st.caption("No spend this month yet: nothing to forecast.")
else:
    m1, m2 = st.columns(2)
    m1.metric("Month to date (incl. estimates)", money.format_usd(row["month_to_date_usd"]))
    m2.metric(
        "Month-end forecast",
        money.format_usd(row["forecast_usd"]),
        help="From the trailing weeks' weekday and weekend spend; the method is in docs/api.md.",
    )
    st.caption(
        f"Range {money.format_usd(row['forecast_low_usd'])} to {money.format_usd(row['forecast_high_usd'])} "
        f"(90 %) · method: {row['method']} · the sidebar's filters apply, its dates do not (this UTC month)."
    )
    actual, projection = budgets.month_chart_data(month_daily, row, today)
    st.altair_chart(charts.cumulative_forecast(actual, projection, monthly_budgets), width="stretch")
    if not monthly_budgets.is_empty():
        st.caption("Dashed red lines: monthly budgets (each over its own scope; see Budgets).")

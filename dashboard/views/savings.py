"""Savings: what each layer costs now and what it would have cost on a few candidate models, from the history."""

import streamlit as st

from dashboard import money, savings, ui
from dashboard.filters import describe_period

f = ui.current_filters()
st.title("Savings")
st.caption(
    f"{describe_period(f.start, f.end)}. The same calls, token for token (cache and long-context tiers included), "
    "priced on each candidate model's rate card in force at each call's time."
)
with ui.guard():
    used = ui.fetch_spend(["model"], f)
    cards = ui.fetch_rate_cards()

if used.is_empty():
    st.info(ui.EMPTY_RANGE, icon=":material/info:")
    st.stop()

current = [c["model"] for c in savings.current_cards(cards, f.end)]
defaults = savings.default_candidates(cards, used.get_column("model").drop_nulls().to_list(), f.end)
candidates = st.multiselect(
    "Candidate models",
    current,
    default=[m for m in defaults if m in current],
    key="savings_candidates",
    help="Defaults: the models in use that have a rate card, and the cheapest current card of each provider "
    "(input plus output rate).",
)
if not candidates:
    st.info("Pick at least one candidate model.", icon=":material/info:")
    st.stop()

with ui.guard():
    table = savings.whatif_table(ui.fetch_whatif(candidates, ["layer"], f), f.days)

totals = savings.monthly_totals(table)
for start in range(0, len(candidates), 4):  # four metrics a row
    for col, name in zip(st.columns(4), candidates[start : start + 4], strict=False):
        value, unknown = totals.get(name, (None, 0))
        col.metric(
            f"On {name}",
            money.format_known(value, unknown, prefix="+" if value and value > 0 else "", suffix="/mo"),
            help="The monthly difference over all layers against what they cost now (negative: cheaper)"
            + ("; calls unknown: the candidate has no rate card for them, they are left out." if unknown else "."),
        )

st.subheader("Per layer")
st.caption("Now: the cost in the period. Each candidate: its cost in the period (monthly difference, 30-day month).")
st.dataframe(savings.comparison(table, candidates), hide_index=True, placeholder="—")

st.subheader("Details")
st.dataframe(
    money.for_table(table, unknown=["compared_actual_usd", "whatif_cost_usd", "delta_usd", "monthly_delta_usd"]),
    hide_index=True,
    placeholder="—",
    column_config={
        "layer": "Layer",
        "alternative": "Candidate",
        "calls": "Calls",
        "actual_cost_usd": st.column_config.TextColumn("Now"),
        "whatif_calls": "Calls compared",
        "compared_actual_usd": st.column_config.TextColumn("Now, calls compared"),
        "whatif_cost_usd": st.column_config.TextColumn("On the candidate"),
        "delta_usd": st.column_config.TextColumn("Difference"),
        "monthly_delta_usd": st.column_config.TextColumn("Per month"),
        "whatif_unknown_calls": "Calls the candidate cannot price",
        "actual_unpriced_calls": "Calls estimated now",
        "caveats": "Caveats",
    },
)
for code in savings.caveats_seen(table):
    st.caption(f"**{code}**: {savings.CAVEATS[code]}")

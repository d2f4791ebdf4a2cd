"""Policy: calls where RESTRICT_MODELS replaced the requested model, by layer and service."""

import streamlit as st

from dashboard import charts, money, policy, ui
from dashboard.filters import describe_period

f = ui.current_filters()
st.title("Policy substitutions")
st.caption(
    f"{describe_period(f.start, f.end)}. Calls where RESTRICT_MODELS blocked the requested model "
    "(the Sonnet and Opus families) and the cost-safe default ran instead."
)
with ui.guard():
    spend = ui.fetch_spend(policy.GROUP_BY, f)

hit, seen = policy.substitution_share(spend)
if seen == 0:
    st.info(ui.EMPTY_RANGE, icon=":material/info:")
    st.stop()
subs = policy.substitutions(spend)
c1, c2 = st.columns(2)
c1.metric("Substituted calls", f"{hit:,}", help=f"out of {seen:,} calls in the period")
c2.metric("Spend on substituted calls", money.format_usd(money.total(subs, "cost_usd")))

if subs.is_empty():
    st.info("No substitutions in this period: every call ran the model it asked for.")
else:
    st.altair_chart(charts.substitutions_bars(subs), width="stretch")
    st.dataframe(
        money.for_table(subs),
        hide_index=True,
        placeholder="—",
        column_config={
            "requested_model": "Requested",
            "model": "Used",
            "layer": "Layer",
            "service": "Service",
            "calls": "Calls",
            "cost_usd": st.column_config.TextColumn("Spend"),
        },
    )

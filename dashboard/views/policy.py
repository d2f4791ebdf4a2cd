"""Policy: calls where RESTRICT_MODELS replaced the requested model, what they cost and what was asked for would."""

import streamlit as st

from dashboard import charts, money, policy, savings, ui
from dashboard.filters import describe_period

f = ui.current_filters()
st.title("Policy substitutions")
st.caption(
    f"{describe_period(f.start, f.end)}. Calls where RESTRICT_MODELS blocked the requested model "
    "(the Sonnet and Opus families) and the cost-safe default ran instead."
)
with ui.guard():
    spend = ui.fetch_spend(policy.GROUP_BY, f)
    subs = policy.substitutions(ui.fetch_substitutions(f))

hit, seen = policy.substitution_share(spend)
if seen == 0:
    st.info(ui.EMPTY_RANGE, icon=":material/info:")
    st.stop()

paid = money.total(subs, "cost_usd")
requested, unknown_calls = policy.requested_total(subs)
c1, c2, c3, c4 = st.columns(4)
c1.metric("Substituted calls", f"{hit:,}", help=f"out of {seen:,} calls in the period")
c2.metric("Paid for substituted calls", money.format_usd(paid), help="What the model that ran cost.")
unknown_help = f"; unknown for {unknown_calls:,} calls whose requested model has no rate card" if unknown_calls else ""
c3.metric(
    "Would have cost",
    money.UNKNOWN if requested is None else money.format_usd(requested),
    help="What the requested models would have cost: the same tokens, call by call, on the requested model's rate "
    "card in force at the time" + unknown_help,
)
c4.metric(
    "Saved by the policy",
    money.UNKNOWN if requested is None else money.format_usd(requested - paid),
    help="Would have cost minus paid.",
)

if subs.is_empty():
    st.info("No substitutions in this period: every call ran the model it asked for.")
else:
    st.altair_chart(charts.substitutions_bars(subs), width="stretch")
    st.dataframe(
        money.for_table(subs, unknown=["requested_cost_usd", "difference_usd"]),
        hide_index=True,
        placeholder="—",
        column_config={
            "requested_model": "Requested",
            "model": "Used",
            "environment": "Environment",
            "layer": "Layer",
            "service": "Service",
            "calls": "Calls",
            "cost_usd": st.column_config.TextColumn("Paid"),
            "requested_cost_usd": st.column_config.TextColumn("Requested model would cost"),
            "difference_usd": st.column_config.TextColumn("Difference"),
        },
    )

st.subheader("Saved by layer")
with ui.guard():
    saved = savings.policy_saved_table(ui.fetch_policy_savings(["layer"], f))
if not saved.is_empty():
    st.dataframe(
        money.for_table(saved, unknown=["paid_usd", "requested_cost_usd", "saved_usd"]),
        hide_index=True,
        placeholder="—",
        column_config={
            "requested_model": "Requested",
            "model": "Used",
            "layer": "Layer",
            "calls": "Calls",
            "unpriced_calls": "Unpriced calls",
            "paid_usd": st.column_config.TextColumn("Paid (priced calls)"),
            "requested_cost_usd": st.column_config.TextColumn("Requested model would cost"),
            "saved_usd": st.column_config.TextColumn("Saved"),
            "estimated_usd": st.column_config.TextColumn("Estimated (unpriced calls, not compared)"),
        },
    )

"""Reconciliation: does the ledger match the provider's own report? Variance per day and model, with its cause."""

import streamlit as st

from dashboard import money, reconciliation, ui
from dashboard.filters import describe_period

NO_REPORT = (
    "No provider report in this range. Import a provider's daily usage file (POST /api/v1/reconciliation/import) "
    "or fetch Anthropic's reports (`tokenledger reconcile anthropic --start DATE --end DATE`): docs/reconciliation.md."
)

f = ui.current_filters()
st.title("Reconciliation")
st.caption(
    f"{describe_period(f.start, f.end)}. The ledger per UTC day and model beside the provider's own usage and cost "
    "report. The date range and the provider filter apply; the other filters do not (a provider's report has no "
    "layers, services or teams)."
)
with ui.guard():
    frame = reconciliation.for_providers(reconciliation.table(ui.fetch_reconciliation(f)), f.provider)

if frame.is_empty():
    st.info(NO_REPORT, icon=":material/info:")
    st.stop()

t = reconciliation.totals(frame)
cols = st.columns(4)
cols[0].metric("Ledger cost", money.format_usd(t.ledger_cost_usd), help="Priced and estimated calls, as the ledger "
               "prices them.")  # fmt: skip
cols[1].metric(
    "Provider cost",
    money.format_known(t.provider_cost_usd, 0),
    help="What the provider's report says"
    + (f"; {t.provider_unknown_rows} rows have no provider cost and are left out." if t.provider_unknown_rows else "."),
)
cols[2].metric(
    "Ledger − provider",
    money.format_known(t.delta_cost_usd, 0),
    help="Over the rows where both costs are known; negative: the ledger is short of the invoice.",
)
cols[3].metric("Rows not ok", f"{t.rows_not_ok} of {frame.height}")

st.subheader("Variance per day")
st.altair_chart(reconciliation.variance_chart(frame), width="stretch")

st.subheader("Per day and model")
st.dataframe(
    money.for_table(reconciliation.with_total(frame), unknown=["provider_cost_usd", "delta_cost_usd"]),
    hide_index=True,
    placeholder="—",
    column_config={
        "day": "Day",
        "provider": "Provider",
        "model": "Model",
        "ledger_calls": "Calls",
        "ledger_input_tokens": "Ledger input",
        "ledger_output_tokens": "Ledger output",
        "ledger_cost_usd": st.column_config.TextColumn("Ledger cost"),
        "provider_input_tokens": "Provider input",
        "provider_output_tokens": "Provider output",
        "provider_cost_usd": st.column_config.TextColumn("Provider cost"),
        "delta_cost_usd": st.column_config.TextColumn("Ledger − provider"),
        "delta_pct": st.column_config.NumberColumn("Difference %", format="%.2f%%"),
        "cause": "Cause",
        "ledger_unpriced_calls": "Calls estimated (no card)",
        "provider_models": "Provider's names",
        "service_tiers": "Provider's tiers",
    },  # fmt: skip
)

st.subheader("Causes, and what to do")
summary = reconciliation.cause_summary(frame)
for row in summary.iter_rows(named=True):
    amount = money.format_known(row["delta_cost_usd"], 0)
    st.markdown(f"**{row['cause']}** ({row['rows']} rows, {amount}): {row['meaning']}. {row['action']}")

"""Budgets: progress and status per budget, the alert history; create and delete with the admin token."""

import streamlit as st

from dashboard import budgets, money, ui
from dashboard import filters as flt
from dashboard.errors import DashboardError
from dashboard.filters import FILTER_KEYS

FLASH = "_tl_budgets_flash"

st.title("Budgets")
st.caption(
    "Spend counts priced calls and the estimates of unpriced ones, so a missing price never makes a budget look "
    "safe. Periods are UTC days, weeks (from Monday) and months. An alert fires once per threshold and period, "
    "and once when the forecast passes the amount."
)
if flash := st.session_state.pop(FLASH, None):
    st.success(flash, icon=":material/check_circle:")

with ui.guard():
    frame = budgets.budgets_frame(ui.fetch_budgets())
    alerts = budgets.alerts_frame(ui.fetch_alerts())

if frame.is_empty():
    st.info("No budgets yet: create one below.", icon=":material/info:")
for row in frame.iter_rows(named=True):
    with st.container(border=True):
        head, side = st.columns([4, 1])
        head.markdown(f"**{row['name']}** · {row['period']}ly · {row['scope_text']}")
        color = {"ok": "green", "forecast_over": "orange", "over": "red"}.get(row["status"], "gray")
        side.badge(row["status_text"], color=color)
        st.progress(min(row["used"], 1.0), text=budgets.progress_text(row))
        st.caption(
            f"Period {row['period_start'][:10]} to {row['period_end'][:10]} (end excluded) · "
            f"priced {money.format_usd(row['priced_usd'])}, estimated {money.format_usd(row['estimated_usd'])} · "
            f"alerts at {', '.join(budgets.percent(t) for t in row['thresholds'])} · {row['forecast_method']}"
        )
        if st.button("Delete", key=f"delete_budget_{row['id']}", icon=":material/delete:"):
            try:
                with ui.admin_client() as client:
                    client.delete_budget(row["id"])
            except DashboardError as exc:
                st.error(str(exc), icon=":material/lock:")
            else:
                ui.refresh()
                st.session_state[FLASH] = f"Deleted budget {row['name']!r}."
                st.rerun()

st.subheader("New budget")
with ui.guard():
    options = ui.fetch_filter_options()
with st.form("new_budget", clear_on_submit=False):
    name = st.text_input("Name", placeholder="analysis monthly")
    amount = st.text_input("Amount (USD)", placeholder="500")
    period = st.selectbox("Period", budgets.PERIODS)
    scope = {}
    for key in FILTER_KEYS:
        name_ = f"Scope: {flt.label(key)}"
        scope[key] = st.multiselect(name_, options[key], key=f"budget_scope_{key}", placeholder="All")
    thresholds = st.text_input("Alert thresholds", value="50%, 80%, 100%")
    submitted = st.form_submit_button("Create budget", icon=":material/add:")
if submitted:
    try:
        body = budgets.budget_request(name, amount, period, scope, thresholds)
        with ui.admin_client() as client:
            created = client.create_budget(body)
    except (ValueError, DashboardError) as exc:
        st.error(str(exc))
    else:
        ui.refresh()
        st.session_state[FLASH] = f"Created budget {created['name']!r}."
        st.rerun()

st.subheader("Alert history")
if alerts.is_empty():
    st.caption("No alert yet.")
else:
    st.dataframe(
        money.for_table(
            alerts.select(
                "created_at",
                "budget_name",
                "crossed",
                "period_start",
                "spent_usd",
                "amount_usd",
                "forecast_usd",
                "webhook",
            )
        ),  # fmt: skip
        hide_index=True,
        column_config={
            "created_at": "When (UTC)",
            "budget_name": "Budget",
            "crossed": "Crossed",
            "period_start": "Period from",
            "spent_usd": st.column_config.TextColumn("Spent then"),
            "amount_usd": st.column_config.TextColumn("Amount"),
            "forecast_usd": st.column_config.TextColumn("Forecast then"),
            "webhook": "Webhook",
        },
    )

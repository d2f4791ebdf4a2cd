"""Entry script for `streamlit run`: page config, shared sidebar filters, navigation. Pages lay out the rest."""

# Page scripts live in views/, not pages/: a pages/ folder beside the entry script switches Streamlit into its
# legacy multipage mode, where opening /review directly runs the page without this script (no sidebar filters).

from pathlib import Path

import streamlit as st

from dashboard import ui

HERE = Path(__file__).parent

# A bundled file, not ":material/...": Streamlit fetches a Material favicon from fonts.gstatic.com, and a
# self-hosted dashboard makes no request outside its own origin (the file is served from /media).
st.set_page_config(page_title="tokenledger", page_icon=str(HERE / "favicon.png"), layout="wide")

PAGES = [
    st.Page(HERE / "views" / "overview.py", title="Overview", icon=":material/dashboard:", default=True),
    st.Page(HERE / "views" / "spend.py", title="Spend", icon=":material/payments:"),
    st.Page(HERE / "views" / "latency.py", title="Latency", icon=":material/timer:"),
    REVIEW := st.Page(HERE / "views" / "review.py", title="Review", icon=":material/rule:"),
    st.Page(HERE / "views" / "policy.py", title="Policy", icon=":material/policy:"),
    st.Page(HERE / "views" / "savings.py", title="Savings", icon=":material/savings:"),
    BUDGETS := st.Page(HERE / "views" / "budgets.py", title="Budgets", icon=":material/account_balance_wallet:"),
    st.Page(HERE / "views" / "reconciliation.py", title="Reconciliation", icon=":material/fact_check:"),
]
page = st.navigation(PAGES)

ui.start_run()
with ui.guard():
    st.sidebar.caption(f"Collector: `{ui.settings().collector_url}`")
    if st.sidebar.button("Refresh data", icon=":material/refresh:"):
        ui.refresh()
    fetched = st.sidebar.empty()
    if page.url_path in (REVIEW.url_path, BUDGETS.url_path):
        # The review queue, the audit and budgets (each with its own scope) are global: range and filters do not
        # apply, so none are shown. The filter widgets' values are kept (a widget not drawn in a run loses its
        # state) for the other pages.
        for key in [k for k in st.session_state if str(k).startswith("f_")]:
            st.session_state[key] = st.session_state[key]
    else:
        ui.sidebar_filters()
page.run()
caption = ui.fetch_caption()
if caption:
    fetched.caption(caption)

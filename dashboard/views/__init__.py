"""Page scripts run by `dashboard/app.py` through `st.navigation`; they only lay out."""

"""Latency: p50/p95/p99 per layer or model over time, error rate, time to first token for streams."""

import streamlit as st

from dashboard import charts, latency, ui
from dashboard.filters import describe_period

f = ui.current_filters()
st.title("Latency")
st.caption(describe_period(f.start, f.end))
by = st.segmented_control("Group by", ["layer", "model"], default="layer", key="latency_by") or "layer"

with ui.guard():
    over_time = ui.fetch_latency(["day", by], f)
    overall = ui.fetch_latency([by], f)

summary = latency.summary(overall, by)
if summary.is_empty():
    st.info(ui.EMPTY_RANGE, icon=":material/info:")
    st.stop()

st.subheader(f"Per {by}")
st.dataframe(
    summary,
    hide_index=True,
    placeholder="—",
    column_config={
        by: by.capitalize(),
        "calls": "Calls",
        "p50_ms": st.column_config.NumberColumn("p50 ms", format="%.0f"),
        "p95_ms": st.column_config.NumberColumn("p95 ms", format="%.0f"),
        "p99_ms": st.column_config.NumberColumn("p99 ms", format="%.0f"),
        "error_rate": st.column_config.NumberColumn("Error rate", format="percent"),
        "ttft_p50_ms": st.column_config.NumberColumn("p50 TTFT ms (streams)", format="%.0f"),
    },
)

st.subheader("Over time")
pct = st.radio("Percentile", ["p50", "p95", "p99"], index=1, horizontal=True, key="latency_pct")
st.altair_chart(charts.latency_lines(latency.percentiles_long(over_time, by), by, pct), width="stretch")

st.subheader("Error rate")
st.altair_chart(charts.error_rate_lines(latency.error_rate_over_time(over_time, by), by), width="stretch")

st.subheader("Time to first token (streamed calls)")
streamed = latency.ttft(overall, by)
if streamed.is_empty():
    st.info("No streamed calls in this period.")
else:
    st.dataframe(
        streamed,
        hide_index=True,
        placeholder="—",
        column_config={
            by: by.capitalize(),
            "streaming_calls": "Streamed calls",
            "ttft_p50_ms": st.column_config.NumberColumn("p50 ms", format="%.0f"),
            "ttft_p95_ms": st.column_config.NumberColumn("p95 ms", format="%.0f"),
            "ttft_p99_ms": st.column_config.NumberColumn("p99 ms", format="%.0f"),
            "ttft_ms": st.column_config.NumberColumn("Mean ms", format="%.0f"),
        },
    )

"""Read-API latency over a large table: the figures finance and the dashboard's Overview wait for.

    .venv/bin/python bench/reads.py [--rows 1000000] [--repeats 5]

Fills a new DuckDB file with synthetic calls spread over the 90 days up to now (written straight into the store,
for the benchmark only: ingesting 10M spans over HTTP would take longer than the whole bench), starts the real
collector on it and times each request (median of `--repeats`, after one warm-up), then the collector's peak RSS.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import httpx

from bench._common import load_average, peak_rss_mib, start_collector, stop

DAYS = 90
FILTER_KEYS = ("layer", "service", "environment", "provider", "model", "team", "cost_center", "customer", "feature")
"""dashboard.filters.FILTER_KEYS: the Overview's filter options read the values of each (`/api/v1/values`)."""

_FILL = """
INSERT INTO calls (trace_id, span_id, response_id, start_time, end_time, duration_ms, service, environment, layer,
    provider, request_model, model, input_tokens, output_tokens, cache_read_tokens, cache_write_tokens,
    reasoning_tokens, cost_usd, pricing_unknown, card_id, status, error_type, streaming, ttft_ms, operation,
    span_name, scope_name, attribution_score, ingested_at, team, cost_center, customer, conversation_id, card_model,
    estimate_source)
SELECT printf('%032x', i), printf('%016x', i), 'resp_' || i, ts, ts + INTERVAL 1500 MILLISECOND, 1500 + (i % 977),
    ['bff', 'backend'][1 + i % 2], 'prod', ['chat', 'analysis', 'drafts', 'agents'][1 + i % 4],
    ['anthropic', 'x_ai', 'anthropic'][1 + i % 3], m, m, 1000 + i % 5000, 100 + i % 700, i % 300, 0, 0,
    ((1000 + i % 5000) * 1 + (100 + i % 700) * 5)::DECIMAL(38, 12) / 1000000, m = 'mystery-model-1',
    CASE WHEN m <> 'mystery-model-1' THEN m || '@2025-01-01' END, CASE WHEN i % 50 = 0 THEN 'error' ELSE 'ok' END,
    CASE WHEN i % 50 = 0 THEN 'timeout' END, i % 3 = 0, CASE WHEN i % 3 = 0 THEN 300 + i % 200 END, 'chat', 'chat',
    'tokenledger.llm', 3, ts, ['product', 'data-platform'][1 + i % 2], ['CC-100', 'CC-200'][1 + i % 2],
    ['acme', 'globex', 'initech', 'umbrella', NULL][1 + i % 5], 'conv-' || (i // 7),
    CASE WHEN m <> 'mystery-model-1' THEN m END, CASE WHEN m = 'mystery-model-1' THEN 'default' END
FROM (SELECT i, ?::TIMESTAMPTZ + to_microseconds((i * ?)::BIGINT) AS ts,
             ['claude-haiku-4-5', 'grok-4-fast-reasoning', 'claude-sonnet-4-5', 'mystery-model-1'][1 + i % 4] AS m
      FROM range(?) t(i))
"""


def fill(db: Path, rows: int, now: datetime) -> float:
    """`rows` synthetic calls evenly over the DAYS days before `now`; returns the seconds it took."""
    import duckdb

    from collector.store import Store

    began = time.perf_counter()
    Store.open(db).close()  # create and migrate
    step_us = DAYS * 86_400 * 1_000_000 / rows
    with duckdb.connect(str(db)) as con:
        con.execute(_FILL, [now - timedelta(days=DAYS), step_us, rows])
        con.execute("CHECKPOINT")
    return time.perf_counter() - began


def queries(today) -> dict[str, tuple[str, dict]]:
    """The issue's reads, then the dashboard's Overview set (its requests for the default period, month to date)."""
    from dashboard.filters import Filters, month_to_date

    current = Filters(*month_to_date(today))
    previous = current.previous()
    forecast = {k: v for k, v in current.params().items() if k not in ("start", "end", "pricing_unknown")}
    arrow = {"format": "arrow"}
    return {
        "spend group_by=layer": ("/api/v1/spend", {"group_by": "layer"}),
        "spend group_by=day,model": ("/api/v1/spend", {"group_by": "day,model"}),
        "latency group_by=layer": ("/api/v1/latency", {"group_by": "layer"}),
        "review": ("/api/v1/review", {}),
        "overview: filter options": ("/api/v1/values", {"keys": ",".join(FILTER_KEYS)}),
        "overview: spend by layer, month to date": (
            "/api/v1/spend", {"group_by": "layer", **current.params(), **arrow}),
        "overview: spend by layer, previous period": (
            "/api/v1/spend", {"group_by": "layer", **previous.params(), **arrow}),
        "overview: review queue": ("/api/v1/review", {}),
        "overview: forecast": ("/api/v1/forecast", {"group_by": "none", **forecast, **arrow}),
        "overview: spend by day, month to date": ("/api/v1/spend", {"group_by": "day", **current.params(), **arrow}),
        "overview: budgets": ("/api/v1/budgets", {}),
    }  # fmt: skip


def bench_reads(rows: int, repeats: int) -> dict:
    """Fill, start the collector, time every query; the Overview set is also timed as a whole (sequential, as the
    Streamlit script runs it)."""
    now = datetime.now(UTC)
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "reads.duckdb"
        fill_s = fill(db, rows, now)
        process, url = start_collector(db)
        try:
            load = load_average()
            times: dict[str, list[float]] = {}
            plan = queries(now.date())
            with httpx.Client(base_url=url, timeout=300) as client:
                for run in range(repeats + 1):
                    overview = 0.0
                    for name, (path, params) in plan.items():
                        began = time.perf_counter()
                        client.get(path, params=params).raise_for_status()
                        ms = (time.perf_counter() - began) * 1000
                        if run:  # the first round warms the file's pages and the plans
                            times.setdefault(name, []).append(ms)
                        overview += ms if name.startswith("overview") else 0
                    if run:
                        times.setdefault("overview: the whole set", []).append(overview)
            rss = peak_rss_mib(process.pid)
        finally:
            stop(process)
    medians = {name: statistics.median(ms) for name, ms in times.items()}
    return {"rows": rows, "fill_s": fill_s, "median_ms": medians, "peak_rss_mib": rss, "load_average": load}


def describe(figure: dict) -> str:
    head = f"reads over {figure['rows']:,} calls (filled in {figure['fill_s']:.0f} s; load {figure['load_average']}):"
    lines = [head]
    lines += [f"  {name}: median {ms:,.1f} ms" for name, ms in figure["median_ms"].items()]
    lines.append(f"  collector peak RSS {figure['peak_rss_mib']:.0f} MiB")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    print(describe(bench_reads(args.rows, args.repeats)), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

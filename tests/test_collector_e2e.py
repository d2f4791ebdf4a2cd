"""End to end: the real `tokenledger collector` process (marker e2e), fed by the OpenTelemetry SDK's OTLP exporter.

The dedupe across exports needs no process of its own: it runs against the app under uvicorn in a thread.
"""

from __future__ import annotations

import os
import subprocess
import sys
from decimal import Decimal

import pytest
from helpers.collector import ROOT, free_port
from opentelemetry.sdk.trace.export import SpanExportResult
from opentelemetry.trace import SpanKind

pytestmark = pytest.mark.conformance  # runs on every store (tests/plugins/collector.py)

T0 = 1_764_115_200_000_000_000  # 2025-11-26T00:00:00Z in ns


def _chat_span(tracer, index: int, *, model="claude-haiku-4-5", layer="chat", start=T0, **extra):
    span = tracer.start_span(f"chat {model}", kind=SpanKind.CLIENT, start_time=start + index * 1_000_000_000)
    span.set_attributes(
        {
            "gen_ai.operation.name": "chat",
            "gen_ai.provider.name": "anthropic",
            "gen_ai.request.model": model,
            "gen_ai.response.model": model,
            "gen_ai.response.id": f"msg_{index:04d}",
            "gen_ai.usage.input_tokens": 1000,
            "gen_ai.usage.output_tokens": 100,
            "tokenledger.layer": layer,
            "tokenledger.cost_usd": "0.0015",
            "tokenledger.pricing_unknown": False,
            **extra,
        }
    )
    span.end(end_time=start + index * 1_000_000_000 + 250_000_000)


@pytest.mark.e2e
def test_sdk_exporter_spans_land_and_survive_a_kill(start_collector, send_spans, tmp_path):
    collector = start_collector(tmp_path, mode="subprocess")
    results = send_spans(collector.url, lambda t: [_chat_span(t, i) for i in range(5)], service_name="bff")
    assert results == [SpanExportResult.SUCCESS] * 5

    spend = collector.client.get("/api/v1/spend", params={"group_by": "layer,model"}).json()["rows"]
    assert spend == [
        {
            "layer": "chat",
            "model": "claude-haiku-4-5",
            "calls": 5,
            "input_tokens": 5000,
            "output_tokens": 500,
            "cache_read_tokens": 0,
            "cache_write_tokens": 0,
            "cache_write_1h_tokens": 0,
            "reasoning_tokens": 0,
            "cost_usd": "0.0075",
            "priced_cost_usd": "0.0075",
            "unpriced_calls": 0,
            "unpriced_cost_usd": "0",
            "reported_cost_usd": "0.0075",
            "web_search_requests": 0,
            "web_search_cost_usd": "0",
            "unpriced_web_search_requests": 0,
            "token_cost_usd": "0.0075",
        }
    ]
    # Acknowledged means committed: a SIGKILL (no shutdown hook) loses nothing.
    collector.kill()
    collector.start()
    calls = collector.client.get("/api/v1/calls").json()
    assert calls["total"] == 5
    assert {Decimal(r["cost_usd"]) for r in calls["rows"]} == {Decimal("0.0015")}
    assert {r["service"] for r in calls["rows"]} == {"bff"}


@pytest.mark.e2e
@pytest.mark.duckdb_only("DuckDB's file and WAL")
def test_a_clean_stop_leaves_everything_in_the_database_file(start_collector, send_spans, tmp_path):
    collector = start_collector(tmp_path, mode="subprocess")
    send_spans(collector.url, lambda t: [_chat_span(t, i) for i in range(3)])
    wal = collector.db_path.with_name(collector.db_path.name + ".wal")
    assert wal.exists() and wal.stat().st_size > 0  # committed rows sit in the WAL while the collector runs
    collector.stop()  # SIGTERM: a clean shutdown checkpoints
    assert not wal.exists() or wal.stat().st_size == 0
    collector.start()
    assert collector.client.get("/api/v1/calls").json()["total"] == 3


def test_same_response_id_from_a_second_export_is_the_same_call(start_collector, send_spans, tmp_path):
    collector = start_collector(tmp_path, mode="thread")
    # Each export has fresh span ids but the same gen_ai.response.id values: one provider call each.
    for _ in range(2):
        send_spans(collector.url, lambda t: [_chat_span(t, i) for i in range(3)])
    assert collector.client.get("/api/v1/calls").json()["total"] == 3


@pytest.mark.e2e
@pytest.mark.duckdb_only("DuckDB's file lock (ClickHouse takes many collectors)")
def test_a_second_collector_on_the_same_file_fails_clearly(start_collector, tmp_path):
    # The first holds the file from this test process (DuckDB's lock is per process); the second is the real CLI.
    first = start_collector(tmp_path, mode="thread")
    argv = [sys.executable, "-m", "tokenledger", "collector", "--db", str(first.db_path)]
    done = subprocess.run([*argv, "--port", str(free_port())], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 1
    assert done.stderr.startswith("error: cannot open")
    assert first.client.get("/healthz").status_code == 200  # the first one is unharmed


@pytest.mark.e2e
def test_bad_settings_fail_at_start_naming_the_variable(tmp_path):
    env = {**os.environ, "TOKENLEDGER_MAX_BODY_BYTES": "lots"}
    argv = [sys.executable, "-m", "tokenledger", "collector", "--db", str(tmp_path / "x.duckdb")]
    done = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, timeout=60, env=env)
    assert done.returncode == 2
    assert "TOKENLEDGER_MAX_BODY_BYTES must be an integer" in done.stderr

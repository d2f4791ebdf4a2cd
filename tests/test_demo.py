"""`tokenledger demo` end to end: processes, backfill through OTLP, live traffic through the llm client, stop."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import httpx
import pytest

import rates
from tokenledger.demo.processes import free_port, port_is_free

pytestmark = pytest.mark.e2e

BACKFILL_AND_START_TIMEOUT_S = 240
LAYERS = {"chat", "analysis", "drafts", "agents"}
# The collector the demo starts inherits these: ingest and read are separate scopes, as in a real deployment.
TOKENS = {
    "TOKENLEDGER_INGEST_TOKEN": "sk-test-demo-ingest",
    "TOKENLEDGER_READ_TOKEN": "sk-test-demo-read",
    "TOKENLEDGER_ADMIN_TOKEN": "sk-test-demo-admin",  # the demo creates its budgets with it
}
READ = {"Authorization": f"Bearer {TOKENS['TOKENLEDGER_READ_TOKEN']}"}


def _wait_for(predicate, timeout_s: float, what: str, log: Path):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        result = predicate()
        if result:
            return result
        time.sleep(0.5)
    raise AssertionError(f"timed out waiting for {what}; demo output:\n{log.read_text()[-3000:]}")


def _run_demo(tmp_path: Path, name: str, *extra: str) -> tuple[subprocess.Popen, Path, str, str]:
    collector_port, dashboard_port = free_port(), free_port()
    log = tmp_path / f"{name}.out"
    env = {k: v for k, v in os.environ.items() if not k.endswith("_API_KEY") and not k.startswith("TOKENLEDGER_")}
    env.update(TOKENS)
    argv = [
        sys.executable,
        "-m",
        "tokenledger",
        "demo",
        "--days",
        "2",
        "--db",
        str(tmp_path / "demo.duckdb"),
        "--collector-port",
        str(collector_port),
        "--dashboard-port",
        str(dashboard_port),
        *extra,
    ]
    with log.open("w") as out:
        proc = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT, env=env)
    return proc, log, f"http://127.0.0.1:{collector_port}", f"http://127.0.0.1:{dashboard_port}"


def _calls(collector_url: str) -> list[dict]:
    response = httpx.get(f"{collector_url}/api/v1/calls", params={"limit": 10_000}, headers=READ, timeout=30)
    response.raise_for_status()
    return response.json()["rows"]


def test_demo_runs_everything_and_stops_cleanly(tmp_path):
    proc, log, collector_url, dashboard_url = _run_demo(tmp_path, "first", "--rate", "6")
    try:
        _wait_for(lambda: "Live traffic running" in log.read_text(), BACKFILL_AND_START_TIMEOUT_S, "the backfill", log)
        today = datetime.now(UTC).date().isoformat()

        def live_rows_from_every_service():
            rows = [r for r in _calls(collector_url) if r["start_time"].startswith(today)]
            services = {(r["service"], r["environment"]) for r in rows}
            return rows if len(services) == 3 else None

        live = _wait_for(live_rows_from_every_service, 90, "live calls from the three services", log)
        rows = _calls(collector_url)
        assert LAYERS <= {r["layer"] for r in rows}
        assert any(r["pricing_unknown"] for r in rows) and any(not r["pricing_unknown"] for r in rows)
        for row in rows:
            expected, unknown = rates.compute_cost_usd(
                row["model"],
                row["input_tokens"],
                row["output_tokens"],
                cache_read_tokens=row["cache_read_tokens"],
                cache_write_tokens=row["cache_write_tokens"],
                at=datetime.fromisoformat(row["start_time"]),
            )
            assert (Decimal(row["cost_usd"]), row["pricing_unknown"]) == (expected, unknown), row
        # Staging's RESTRICT_MODELS turns Sonnet into Haiku, in the backfill and live alike.
        staging = [r for r in rows if r["environment"] == "staging" and r["status"] != "error"]
        assert staging and all(r["requested_model"] == "claude-sonnet-4-6" for r in staging)
        assert {r["model"] for r in staging} == {"claude-haiku-4-5-20251001"}
        # Live calls went through the real client: streamed chat has a time to first token.
        assert any(r["streaming"] and r["ttft_ms"] is not None for r in live if r["layer"] == "chat")

        # The finance panels have something to show: what the guardrail saved (staging's substitutions), what
        # caching saved (cached chat prompts), and a what-if that differs from what was paid.
        def read(path: str, **params) -> list[dict]:
            response = httpx.get(f"{collector_url}{path}", params=params, headers=READ, timeout=30)
            assert response.status_code == 200, response.text
            return response.json()["rows"]

        saved = read("/api/v1/savings/policy", group_by="none")
        assert saved and all(Decimal(r["saved_usd"]) > 0 for r in saved)
        cache = {r["layer"]: r for r in read("/api/v1/cache", group_by="layer")}
        assert Decimal(cache["chat"]["net_saved_usd"]) > 0 and cache["chat"]["hit_rate"] > 0.1
        (whatif,) = read("/api/v1/whatif", alternative="claude-haiku-4-5", layer="chat", group_by="none")
        assert Decimal(whatif["delta_usd"]) < 0  # chat runs Sonnet in production: Haiku would cost less

        # Teams per service (on the resource), customers and features per request (llm.attribute), live and backfill.
        teams = {(r["service"], r["team"], r["cost_center"]) for r in rows}
        assert teams == {("chat-bff", "product", "CC-100"), ("processing-worker", "data-platform", "CC-200")}
        assert {r["customer"] for r in rows} <= {"acme", "globex", "initech", "umbrella"}
        assert len({r["customer"] for r in rows}) >= 3 and all(r["feature"] for r in rows)
        assert all(r["customer"] for r in live)
        # The demo's budgets, created once through the API, each with a status.
        listed = httpx.get(f"{collector_url}/api/v1/budgets", headers=READ, timeout=30).json()["budgets"]
        assert [b["name"] for b in listed] == ["Chat monthly", "Analysis monthly", "All LLM spend weekly"]
        assert all(b["status"] in ("ok", "forecast_over", "over") for b in listed)
        assert "Budgets: created Chat monthly, Analysis monthly, All LLM spend weekly" in log.read_text()
        # The imported provider report: one day of missing spans, one of price mismatch (Reconciliation page).
        causes = {r["cause"] for r in read("/api/v1/reconciliation", provider="anthropic")}
        assert {"missing_spans", "price_mismatch", "ok"} <= causes
        assert "Reconciliation: imported an Anthropic usage report" in log.read_text()

        assert httpx.get(f"{dashboard_url}/_stcore/health", timeout=10).status_code == 200
        assert httpx.get(dashboard_url, timeout=10).status_code == 200
    finally:
        proc.send_signal(signal.SIGINT)
        code = proc.wait(timeout=60)
    output = log.read_text()
    assert code == 0, output
    assert "Stopped every process the demo started." in output
    for url in (collector_url, dashboard_url):
        assert port_is_free(int(url.rsplit(":", 1)[1])), f"{url} still served after Ctrl-C"

    # A second run reuses the data and does not backfill again.
    again, log2, _, _ = _run_demo(tmp_path, "second", "--duration", "1")
    assert again.wait(timeout=BACKFILL_AND_START_TIMEOUT_S) == 0, log2.read_text()
    assert "nothing to send" in log2.read_text()
    assert "Budgets: created" not in log2.read_text()  # found by name: none added twice

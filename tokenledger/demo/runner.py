"""The demo's main loop: start everything, backfill, keep live traffic going, stop everything on Ctrl-C."""

from __future__ import annotations

import argparse
import os
import signal
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from .processes import DemoError, ProcessGroup, port_is_free
from .traffic import default_backfill_days

# Share of the live rate per worker; each worker is one (service, environment) of the simulated product.
LIVE_WORKERS = (
    ("chat-bff", "production", 0.45, {"CGX_FRONTEND_MODEL_NAME": "claude-sonnet-4-6", "RESTRICT_MODELS": "false"}),
    ("processing-worker", "production", 0.45, {"PROCESSING_BACKEND_MODEL_NAME": "grok-4-fast-reasoning"}),
    ("chat-bff", "staging", 0.10, {"CGX_FRONTEND_MODEL_NAME": "claude-sonnet-4-6", "RESTRICT_MODELS": "true"}),
)


def _on_stop_signal(signum, frame):  # Ctrl-C and `kill` stop the demo the same clean way
    raise KeyboardInterrupt


def run_demo(args: argparse.Namespace) -> int:
    if args.real and not (os.environ.get("ANTHROPIC_API_KEY") or os.environ.get("XAI_API_KEY")):
        print("error: --real needs ANTHROPIC_API_KEY and/or XAI_API_KEY in the environment", file=sys.stderr)
        return 2
    for name, port in (("collector", args.collector_port), ("dashboard", args.dashboard_port)):
        if not port_is_free(port):
            print(
                f"error: port {port} for the {name} is in use (another demo running?); "
                f"choose another with --{name}-port",
                file=sys.stderr,
            )
            return 2
    db, logs, shown = _store(str(args.db))
    collector_url = f"http://127.0.0.1:{args.collector_port}"
    dashboard_url = f"http://127.0.0.1:{args.dashboard_port}"
    group = ProcessGroup(logs)
    # Explicit handlers: a shell that starts the demo in the background leaves SIGINT ignored otherwise.
    previous = {sig: signal.signal(sig, _on_stop_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
    code = 0
    try:
        collector = group.start(
            "collector", ["-m", "tokenledger", "collector", "--db", db, "--port", str(args.collector_port)]
        )
        group.wait_healthy(collector, f"{collector_url}/healthz")
        dashboard = group.start(
            "dashboard",
            ["-m", "tokenledger", "dashboard", "--collector", collector_url, "--port", str(args.dashboard_port)],
        )
        print(
            f"\n  Dashboard: {dashboard_url}\n  Collector: {collector_url} ({shown})\n"
            f"  Logs:      {group.log_dir}\n  Stop:      Ctrl-C (stops every process the demo started)\n",
            flush=True,
        )
        for service, environment, share, env in LIVE_WORKERS:
            argv = [
                "-m",
                "tokenledger.demo.live",
                "--service",
                service,
                "--environment",
                environment,
                "--collector",
                collector_url,
                "--rate",
                str(args.rate * share),
            ]
            group.start(f"live-{service}-{environment}", argv + (["--real"] if args.real else []), env=env)
        from .backfill import backfill  # the OpenTelemetry SDK import is paid only once processes are starting

        # The collector the demo starts inherits the environment, and with it the tokens these headers carry.
        ingest_headers, read_headers = args.settings.ingest_headers, args.settings.read_headers
        today = datetime.now(UTC).date()
        days = default_backfill_days(today) if args.days is None else args.days
        if days:
            first, last = today - timedelta(days=days), today - timedelta(days=1)
            print(f"Backfill: {days} days of history, {first} to {last} (UTC), through OTLP.", flush=True)
        sent = backfill(collector_url, days, today, ingest_headers, read_headers)
        print(f"Backfill: {sent} calls sent." if sent else "Backfill: history already there, nothing to send.")
        from .budgets import ensure_budgets

        created = ensure_budgets(collector_url, args.settings.admin_headers, read_headers)
        if created:
            print(f"Budgets: created {', '.join(created)} (see the Budgets page).", flush=True)
        from .reconciliation import import_provider_report

        imported = import_provider_report(collector_url, days, today, args.settings.admin_headers, read_headers)
        if imported:
            print(imported, flush=True)
        group.wait_healthy(dashboard, f"{dashboard_url}/_stcore/health")
        print(f"Live traffic running ({args.rate:g} calls/s). Open {dashboard_url}", flush=True)
        started = time.monotonic()
        while args.duration is None or time.monotonic() - started < args.duration:
            group.check_alive()
            time.sleep(0.5)
    except KeyboardInterrupt:
        print("\nStopping...", flush=True)
    except DemoError as exc:
        print(f"error: {exc}", file=sys.stderr)
        code = 1
    finally:
        group.stop_all()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        print("Stopped every process the demo started.", flush=True)
    return code


def _store(text: str) -> tuple[str, Path, str]:
    """The collector's --db value, where the demo's logs go, and how the store is shown (never a password)."""
    from collector.store._url import parse_db, redact

    target = parse_db(text)
    if isinstance(target, Path):
        db = target.resolve()
        db.parent.mkdir(parents=True, exist_ok=True)
        return str(db), db.parent / "demo-logs", f"DuckDB file {db}"
    if target.embedded:
        path = Path(target.path or "").resolve()
        path.mkdir(parents=True, exist_ok=True)
        return text, path.parent / "demo-logs", f"embedded ClickHouse {redact(target)}"
    return text, Path("data/demo-logs").resolve(), f"ClickHouse {redact(target)}"

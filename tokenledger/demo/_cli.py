"""`tokenledger demo`: collector, dashboard, fake providers and simulated services, end to end, in one command."""

from __future__ import annotations

import argparse


def register(commands: argparse._SubParsersAction) -> None:
    demo = commands.add_parser(
        "demo",
        help="run collector, dashboard and simulated services end to end (fake providers unless --real)",
        description="Starts the collector, the dashboard and simulated services; backfills history through the "
        "real OTLP path, then keeps a live trickle of calls through the llm client. Ctrl-C stops everything.",
    )
    demo.add_argument(
        "--days",
        type=_non_negative,
        default=None,
        help="whole days of history to backfill before today (default: from the first of the previous month, UTC)",
    )
    demo.add_argument("--rate", type=_positive_float, default=0.2, help="live calls per second in all (default 0.2)")
    demo.add_argument("--real", action="store_true", help="send live calls to the real providers (needs API keys)")
    demo.add_argument("--collector-port", type=int, default=4318)
    demo.add_argument("--dashboard-port", type=int, default=8501)
    demo.add_argument(
        "--db",
        default="data/tokenledger.duckdb",
        help="the collector's store: a DuckDB file (default data/tokenledger.duckdb), chdb:///path (embedded "
        "ClickHouse) or clickhouse://user:password@host:8123/db",
    )
    demo.add_argument("--duration", type=_positive_float, default=None, help="stop after this many seconds")
    demo.set_defaults(handler=_run)


def _non_negative(text: str) -> int:
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError("must be >= 0")
    return value


def _positive_float(text: str) -> float:
    value = float(text)
    if not value > 0:
        raise argparse.ArgumentTypeError("must be > 0")
    return value


def _run(args: argparse.Namespace) -> int:
    from .runner import run_demo  # imported late: `tokenledger rates ...` should not pay for the demo's imports

    return run_demo(args)

"""`tokenledger collector`: run the collector under uvicorn."""

from __future__ import annotations

import argparse
import logging
import sys


def register(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser("collector", help="run the OTLP/HTTP collector and read API (port 4318)")
    parser.add_argument(
        "--db",
        default=None,
        help="the store: a DuckDB file, or clickhouse://user:password@host:8123/db, clickhouses://..., "
        "chdb:///path (env TOKENLEDGER_DB; default data/tokenledger.duckdb)",
    )
    parser.add_argument("--host", default=None, help="bind address (env TOKENLEDGER_HOST; default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=None, help="port (env TOKENLEDGER_PORT; default 4318)")
    parser.set_defaults(handler=_run)


def _run(args: argparse.Namespace) -> int:
    import uvicorn

    from .config import Settings, SettingsError
    from .main import create_app
    from .store import StoreError, open_store

    try:
        settings = Settings.from_env(db_path=args.db, host=args.host, port=args.port)
    except SettingsError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    level = getattr(logging, settings.log_level.upper())
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        store = open_store(settings.db_path)  # fail here, in one line, if another process holds the file
    except StoreError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    try:
        app = create_app(settings, store=store, close_store=True)
        uvicorn.run(app, host=settings.host, port=settings.port, log_level=settings.log_level, access_log=False)
    finally:
        store.close()
    return 0

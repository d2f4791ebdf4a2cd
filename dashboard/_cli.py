"""`tokenledger dashboard`: run the Streamlit app against a collector's read API."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from .settings import COLLECTOR_URL_ENV, DEFAULT_COLLECTOR_URL

APP = Path(__file__).with_name("app.py")


def register(commands: argparse._SubParsersAction) -> None:
    dash = commands.add_parser(
        "dashboard",
        help="run the Streamlit dashboard (reads the collector's API)",
        description="Tokens come from TOKENLEDGER_READ_TOKEN (reads) and TOKENLEDGER_ADMIN_TOKEN (rate cards).",
    )
    dash.add_argument(
        "--collector",
        default=None,
        help=f"collector base URL (env {COLLECTOR_URL_ENV}; default {DEFAULT_COLLECTOR_URL})",
    )
    dash.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    dash.add_argument("--port", type=int, default=8501, help="port to serve on (default 8501)")
    dash.set_defaults(handler=_run)


def streamlit_command(host: str, port: int) -> list[str]:
    """The `streamlit run` command line: headless, no usage statistics, no file watcher, bound to `host`."""
    return [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(APP),
        "--server.headless=true",
        f"--server.address={host}",
        f"--server.port={port}",
        "--server.fileWatcherType=none",
        "--server.runOnSave=false",
        "--browser.gatherUsageStats=false",
        "--global.developmentMode=false",
        "--client.toolbarMode=viewer",
        "--theme.base=light",
    ]


def _run(args: argparse.Namespace) -> int:
    env = dict(os.environ)
    if args.collector:
        env[COLLECTOR_URL_ENV] = args.collector
    env.setdefault(COLLECTOR_URL_ENV, DEFAULT_COLLECTOR_URL)
    url = env[COLLECTOR_URL_ENV]
    print(f"tokenledger dashboard on http://{args.host}:{args.port} reading {url}", file=sys.stderr, flush=True)
    command = streamlit_command(args.host, args.port)
    # exec: the dashboard is Streamlit's process, so a signal to this pid stops the server itself.
    os.execve(sys.executable, command, env)
    return 0  # pragma: no cover - execve does not return

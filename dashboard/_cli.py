"""`tokenledger dashboard`: run the Streamlit app against a collector's read API."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Mapping
from pathlib import Path

from .settings import COLLECTOR_URL_ENV, DEFAULT_COLLECTOR_URL, SettingsError, collector_url

APP = Path(__file__).with_name("app.py")
PROBE_TIMEOUT_S = 3.0


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


def checked_environment(args: argparse.Namespace, environ: Mapping[str, str]) -> dict[str, str] | None:
    """The dashboard's environment with the collector URL checked, or None (after saying why on stderr).

    The URL must be http(s) with a host; the message names the flag or variable that gave it. Then its `/healthz`
    is asked: a server that answers but is not a tokenledger collector is an error; no answer is only a warning
    (the collector may start later; the page says so until it does).
    """
    env = dict(environ)
    if args.collector is not None:
        text, source = args.collector, "--collector"
    elif env.get(COLLECTOR_URL_ENV):
        text, source = env[COLLECTOR_URL_ENV], COLLECTOR_URL_ENV
    else:
        text, source = DEFAULT_COLLECTOR_URL, "the default collector URL"
    try:
        url = collector_url(text, source)
    except SettingsError as exc:
        print(f"tokenledger dashboard: {exc}", file=sys.stderr)
        return None
    from .client import ReadClient  # lazy: polars and pyarrow are only needed once a URL is worth asking
    from .errors import CollectorUnavailable, NotACollector

    try:
        with ReadClient(url, timeout_s=PROBE_TIMEOUT_S) as client:
            status = client.identify()
        if status != "ok":
            print(f"tokenledger dashboard: warning: the collector at {url} reports {status!r}", file=sys.stderr)
    except NotACollector as exc:
        print(f"tokenledger dashboard: {exc} (from {source})", file=sys.stderr)
        return None
    except CollectorUnavailable as exc:
        print(f"tokenledger dashboard: warning: {exc} Starting anyway: it may start later.", file=sys.stderr)
    env[COLLECTOR_URL_ENV] = url
    return env


def _run(args: argparse.Namespace) -> int:
    env = checked_environment(args, os.environ)
    if env is None:
        return 2
    url = env[COLLECTOR_URL_ENV]
    print(f"tokenledger dashboard on http://{args.host}:{args.port} reading {url}", file=sys.stderr, flush=True)
    command = streamlit_command(args.host, args.port)
    # exec: the dashboard is Streamlit's process, so a signal to this pid stops the server itself.
    os.execve(sys.executable, command, env)
    return 0  # pragma: no cover - execve does not return

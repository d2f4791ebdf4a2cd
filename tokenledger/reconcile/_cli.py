"""`tokenledger reconcile anthropic --start DATE --end DATE [--collector URL]`.

Fetches Anthropic's usage and cost per day and model (Usage and Cost Analytics API, with ANTHROPIC_ADMIN_KEY from
the environment) and stores them in the collector through its import route (`POST /api/v1/reconciliation/import`,
with TOKENLEDGER_ADMIN_TOKEN when the collector has tokens): the collector is the only process that opens the
database. A day and model fetched again replaces what was stored. The key is never printed.
"""

from __future__ import annotations

import argparse
import sys
from datetime import date

import httpx

DEFAULT_COLLECTOR = "http://127.0.0.1:4318"


def register(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser("reconcile", help="fetch a provider's usage and cost reports into the collector")
    providers = parser.add_subparsers(dest="provider", required=True)
    anthropic = providers.add_parser("anthropic", help="Anthropic's Admin API (needs ANTHROPIC_ADMIN_KEY)")
    anthropic.add_argument("--start", required=True, type=_date, help="first UTC day, YYYY-MM-DD")
    anthropic.add_argument("--end", required=True, type=_date, help="last UTC day (included), YYYY-MM-DD")
    anthropic.add_argument("--collector", default=DEFAULT_COLLECTOR, help=f"collector (default {DEFAULT_COLLECTOR})")
    anthropic.set_defaults(handler=_anthropic)


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {text!r}") from None


def _anthropic(args: argparse.Namespace) -> int:
    from collector.anthropic_reports import DEFAULT_BASE_URL, SOURCE, ReportFetchError, fetch
    from collector.provider_reports import to_csv

    settings = args.settings
    if not settings.anthropic_admin_key:
        print("error: set ANTHROPIC_ADMIN_KEY to an Anthropic Admin API key (sk-ant-admin...)", file=sys.stderr)
        return 2
    if args.end < args.start:
        print("error: --end is before --start", file=sys.stderr)
        return 2
    try:
        fetched = fetch(args.start, args.end, admin_key=settings.anthropic_admin_key,
                        base_url=settings.anthropic_admin_base_url or DEFAULT_BASE_URL)  # fmt: skip
    except ReportFetchError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"Fetched {len(fetched.rows)} day-and-model rows from Anthropic, {args.start} to {args.end}.")
    if fetched.skipped_usage_rows or fetched.skipped_cost_usd:
        print(f"Not attributed to a model (code execution), left out: {fetched.skipped_usage_rows} usage rows, "
              f"${fetched.skipped_cost_usd} of cost.")  # fmt: skip
    if not fetched.rows:
        print("Nothing to store.")
        return 0
    try:
        response = httpx.post(
            args.collector.rstrip("/") + "/api/v1/reconciliation/import",
            params={"provider": "anthropic", "source": SOURCE},
            content=to_csv(fetched.rows).encode(),
            headers={"content-type": "text/csv", **settings.admin_headers},
            timeout=60,
        )
    except httpx.HTTPError as exc:
        print(f"error: cannot reach the collector at {args.collector} ({type(exc).__name__})", file=sys.stderr)
        return 1
    if response.status_code != 200:
        hint = " (set TOKENLEDGER_ADMIN_TOKEN)" if response.status_code == 401 else ""
        print(f"error: the collector answered {response.status_code}{hint}: {response.text[:300]}", file=sys.stderr)
        return 1
    body = response.json()
    print(f"Stored {body['rows']} rows ({body['added']} new, {body['replaced']} replaced) in {args.collector}.")
    return 0

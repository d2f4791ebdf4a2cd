"""The demo's provider report: Anthropic's figures for the backfilled days, imported through the real import route.

Built from the demo's own ledger (`/api/v1/spend` by day and model), so most days match; two days do not, so a new
user sees both: on `missing_day` the provider counts 12% more of everything (calls made without the instrumented
client), and on `price_day` its largest model cost 25% more for the same tokens (served at the priority tier, which
its card does not price). The haiku model is named as Anthropic names it (`claude-haiku-4-5-20251001`), matched
through the pricing name rules. Importing again replaces the same rows: a second `make demo` adds nothing.
"""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import httpx

from collector.provider_reports import CSV_COLUMNS, OPTIONAL_COLUMNS

PROVIDER = "anthropic"
MISSING_SHARE = Decimal("1.12")
PRICE_FACTOR = Decimal("1.25")
PROVIDER_NAMES = {"claude-haiku-4-5": "claude-haiku-4-5-20251001"}
"""Ledger card model -> the name in the provider's report (a dated snapshot name)."""


def chosen_days(days: list[date]) -> tuple[date, date] | None:
    """(missing_day, price_day): two distinct days of the history, a third and two thirds of the way in."""
    if len(days) < 2:
        return None
    ordered = sorted(days)
    missing, price = ordered[len(ordered) // 3], ordered[(2 * len(ordered)) // 3]
    return (missing, price) if missing != price else (ordered[0], ordered[-1])


def _scaled(value: int, factor: Decimal) -> int:
    return int((Decimal(value) * factor).to_integral_value(ROUND_HALF_UP))


def report_csv(ledger_rows: list[dict[str, Any]], missing_day: date, price_day: date) -> str:
    """The provider's daily usage file from the ledger's rows (`/api/v1/spend` JSON by day and card_model)."""
    by_day: dict[date, list[dict[str, Any]]] = {}
    for row in ledger_rows:
        if int(row["calls"]) and int(row["input_tokens"]):  # days with only failed calls bill nothing
            by_day.setdefault(date.fromisoformat(str(row["day"])[:10]), []).append(row)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS + OPTIONAL_COLUMNS)
    for day, rows in sorted(by_day.items()):
        priciest = max(rows, key=lambda r: Decimal(r["cost_usd"]))["card_model"]
        for row in sorted(rows, key=lambda r: r["card_model"]):
            tokens = [int(row[k]) for k in ("input_tokens", "output_tokens", "cache_read_tokens",
                                            "cache_write_tokens")]  # fmt: skip
            cost, tiers = Decimal(row["cost_usd"]), "standard"
            if day == missing_day:
                tokens, cost = [_scaled(t, MISSING_SHARE) for t in tokens], cost * MISSING_SHARE
            elif day == price_day and row["card_model"] == priciest:
                cost, tiers = cost * PRICE_FACTOR, "priority; standard"
            model = PROVIDER_NAMES.get(row["card_model"], row["card_model"])
            writer.writerow([day.isoformat(), model, *tokens, format(cost.quantize(Decimal("1e-9")), "f"), tiers])
    return out.getvalue()


def import_provider_report(
    collector_url: str, days: int, today: date, admin_headers: dict[str, str], read_headers: dict[str, str]
) -> str | None:
    """Build and import the report for the `days` before `today`; a line saying what was imported, or None.

    A refusal (tokens set but no admin token here) is reported, never fatal: the demo goes on."""
    if days < 2:
        return None
    first, last = today - timedelta(days=days), today - timedelta(days=1)
    try:
        spend = httpx.get(
            f"{collector_url}/api/v1/spend",
            params={"group_by": "day,card_model", "provider": PROVIDER, "start": first.isoformat(),
                    "end": last.isoformat()},
            headers=read_headers, timeout=30,
        )  # fmt: skip
        spend.raise_for_status()
        rows = spend.json()["rows"]
        picked = chosen_days(sorted({date.fromisoformat(str(r["day"])[:10]) for r in rows}))
        if picked is None:
            return None
        missing_day, price_day = picked
        response = httpx.post(
            f"{collector_url}/api/v1/reconciliation/import",
            params={"provider": PROVIDER, "source": "demo: built from the ledger"},
            content=report_csv(rows, missing_day, price_day).encode(),
            headers={"content-type": "text/csv", **admin_headers},
            timeout=60,
        )
        response.raise_for_status()
    except httpx.HTTPStatusError as exc:
        hint = " (set TOKENLEDGER_ADMIN_TOKEN)" if exc.response.status_code == 401 else ""
        return f"Reconciliation: the collector refused the demo's provider report ({exc.response.status_code}){hint}."
    except httpx.HTTPError as exc:
        return f"Reconciliation: cannot reach the collector ({type(exc).__name__}); no provider report."
    body = response.json()
    return (
        f"Reconciliation: imported an Anthropic usage report ({body['rows']} rows, {body['first_day']} to "
        f"{body['last_day']}): {missing_day} has missing spans, {price_day} a price mismatch (Reconciliation page)."
    )

"""Reconciliation: import a provider's daily usage file; the ledger per day and model beside the provider's report."""

from __future__ import annotations

from datetime import date
from typing import Annotated

import anyio
import pyarrow as pa
from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, Response

from ...deps import AdminAuth, NowDep, ReadAuth, StoreDep
from ...provider_reports import ReportFileError, check_provider, parse_usage_csv
from ...reconciliation import LEDGER_GROUPS, reconcile, report_providers
from ...store import CallFilter
from ..formats import respond
from ..params import OutputFormat, StrictQuery, bad, instant

router = APIRouter(tags=["reconciliation"], dependencies=[StrictQuery])
MAX_IMPORT_BYTES = 16 * 1024 * 1024
IMPORT_SOURCE = "csv import"

Day = Annotated[str | None, Query(description="ISO date (UTC); `end` is included whole")]


def _day(name: str, text: str | None) -> date | None:
    if text is None:
        return None
    if len(text.strip()) != 10:
        raise bad(f"{name} must be an ISO date (YYYY-MM-DD): reconciliation is per UTC day, got {text!r}")
    moment = instant(name, text, end=False)
    return None if moment is None else moment.date()


@router.get("/api/v1/reconciliation", dependencies=[ReadAuth])
def reconciliation(
    store: StoreDep,
    format: OutputFormat,
    provider: Annotated[
        str | None, Query(description="the provider (anthropic, x_ai); all with a report if unset")
    ] = None,
    start: Day = None,
    end: Day = None,
) -> Response:
    """Per UTC day and model: the ledger's calls, tokens and cost beside the provider's own figures, the
    difference (`delta_cost_usd` = ledger - provider, null when the provider's cost is not known) and its `cause`
    (ok, missing_spans, extra_spans, price_mismatch, ledger_only, provider_only; docs/reconciliation.md)."""
    first, last = _day("start", start), _day("end", end)
    if first is not None and last is not None and last < first:
        raise bad("end is before start")
    since, until = instant("start", start, end=False), instant("end", end, end=True)  # 400 past 9999-12-31
    after = None if until is None else until.date()
    try:
        wanted = None if provider is None else [check_provider(provider)]
    except ReportFileError as exc:
        raise bad(str(exc)) from None
    reports = store.provider_reports(wanted, first, after)
    providers = wanted or report_providers(reports)
    if providers:
        where = CallFilter(start=since, end=until, provider=tuple(providers))
        ledger = store.spend(LEDGER_GROUPS, where)
    else:  # no report at all and no provider named: nothing to reconcile against
        ledger = pa.table({})
    return respond(reconcile(ledger, reports, store.book), format)


@router.post("/api/v1/reconciliation/import", dependencies=[AdminAuth])
async def import_report(
    request: Request,
    store: StoreDep,
    now: NowDep,
    provider: Annotated[str, Query(description="whose figures these are: anthropic, x_ai, ...")],
    source: Annotated[str, Query(description="where the file comes from (kept with the rows)")] = IMPORT_SOURCE,
) -> JSONResponse:
    """Import a daily usage file (CSV: date,model,input_tokens,output_tokens,cache_read_tokens,cache_write_tokens,
    cost_usd; empty cells are figures not given). A row replaces the stored row of the same provider, day and
    model: importing a file twice changes nothing. A bad file is a 400 naming the line and column; nothing is
    stored then."""
    if len(source) > 100 or not source.isprintable():
        raise bad("source must be printable text of at most 100 characters")
    raw = await request.body()
    if len(raw) > MAX_IMPORT_BYTES:
        raise bad(f"the file is larger than {MAX_IMPORT_BYTES // (1024 * 1024)} MiB: import it in parts")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise bad("the file is not UTF-8 text") from None
    try:
        rows = await anyio.to_thread.run_sync(lambda: parse_usage_csv(provider, text))
    except ReportFileError as exc:
        raise bad(str(exc)) from None
    stored = [row.stored(source, now) for row in rows]
    replaced = await anyio.to_thread.run_sync(lambda: store.replace_provider_reports(stored))
    days = sorted({row.day for row in rows})
    return JSONResponse(
        {"provider": rows[0].provider, "rows": len(rows), "replaced": replaced, "added": len(rows) - replaced,
         "first_day": days[0].isoformat(), "last_day": days[-1].isoformat(), "source": source}
    )  # fmt: skip

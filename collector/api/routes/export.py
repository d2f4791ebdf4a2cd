"""The spend as a FOCUS cost-and-usage dataset (CSV or Parquet), for FinOps tools."""

import io
from typing import Annotated

import pyarrow.parquet as pq
from fastapi import APIRouter, Query
from fastapi.responses import Response

from ...deps import ReadAuth, StoreDep
from ...focus import FOCUS_VERSION, focus_rows, for_csv
from ..formats import csv_bytes
from ..params import StrictQuery, bad, instant

router = APIRouter(tags=["read"], dependencies=[ReadAuth, StrictQuery])

_MEDIA = {"csv": "text/csv; charset=utf-8", "parquet": "application/vnd.apache.parquet"}


@router.get("/api/v1/export/focus")
def focus(
    store: StoreDep,
    start: Annotated[str | None, Query(description="ISO date/datetime, inclusive (UTC); required")] = None,
    end: Annotated[str | None, Query(description="ISO datetime exclusive, or a date included whole; required")] = None,
    format: Annotated[str, Query(description="csv or parquet")] = "csv",
) -> Response:
    """FOCUS 1.2 rows for calls that started in [start, end): one per day, service, layer, environment, model,
    card, tier and charge component. `BilledCost` is priced cost only; estimates are in `x_EstimatedCost`."""
    if start is None or end is None:
        raise bad("start and end are required (ISO dates or datetimes)")
    begin, finish = instant("start", start, end=False), instant("end", end, end=True)
    if finish < begin:
        raise bad("end is before start")
    if format not in _MEDIA:
        raise bad(f"unknown format {format!r}: use csv or parquet")
    with store.snapshot() as view:  # the cards the rows name are those of the book the sums were read with
        table = focus_rows(view.focus_usage(begin, finish), view.book)
    if format == "parquet":
        sink = io.BytesIO()
        pq.write_table(table, sink)
        body = sink.getvalue()
    else:
        body = csv_bytes(for_csv(table))
    name = f"focus-{FOCUS_VERSION}-{begin.date().isoformat()}-{finish.date().isoformat()}.{format}"
    return Response(body, media_type=_MEDIA[format], headers={"Content-Disposition": f'attachment; filename="{name}"'})

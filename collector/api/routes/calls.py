"""`GET /api/v1/calls`: raw call rows, newest first, paged by `offset` or by a stable `cursor`."""

from __future__ import annotations

import base64
import binascii
import json
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import Response

from ...deps import ReadAuth, StoreDep
from ..formats import respond
from ..params import FilterWithPricing, OutputFormat, StrictQuery, bad

router = APIRouter(tags=["read"], dependencies=[ReadAuth, StrictQuery])
MAX_LIMIT = 100_000
MAX_OFFSET = 10**12
"""The largest `offset` (more rows than any ledger holds; DuckDB's OFFSET is a BIGINT)."""
NEXT_CURSOR_HEADER = "X-Next-Cursor"


@router.get("/api/v1/calls")
def calls(
    store: StoreDep,
    where: FilterWithPricing,
    format: OutputFormat,
    limit: Annotated[str, Query(description=f"rows per page, 0..{MAX_LIMIT}")] = "100",
    offset: Annotated[str, Query(description=f"rows to skip, 0..{MAX_OFFSET}")] = "0",
    cursor: Annotated[
        str | None, Query(description="`next_cursor` of the previous page: stable while ingest runs")
    ] = None,
) -> Response:
    """Raw call rows, newest first. With `cursor` the page starts after the previous page's last row, so rows
    ingested meanwhile never shift it (no row skipped or repeated); `next_cursor` (JSON, and the `X-Next-Cursor`
    header) is null on the last page."""
    page, skip = _natural("limit", limit), _natural("offset", offset)
    if page > MAX_LIMIT:
        raise bad(f"limit must be at most {MAX_LIMIT}, got {page}")
    if skip > MAX_OFFSET:
        raise bad(f"offset must be at most {MAX_OFFSET}, got {skip}")
    after = _decode_cursor(cursor) if cursor is not None else None
    table, total = store.calls(where, page, skip, after)
    following = _encode_cursor(table) if page and table.num_rows == page else None
    response = respond(table, format, extra={"total": total, "limit": page, "offset": skip, "next_cursor": following})
    if following:
        response.headers[NEXT_CURSOR_HEADER] = following
    return response


def _natural(name: str, text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise bad(f"{name} must be an integer, got {text!r}") from None
    if value < 0:
        raise bad(f"{name} must be >= 0, got {value}")
    return value


def _encode_cursor(table) -> str:
    last = table.slice(table.num_rows - 1).select(["start_time", "trace_id", "span_id"]).to_pylist()[0]
    raw = json.dumps([last["start_time"].isoformat(), last["trace_id"], last["span_id"]]).encode()
    return base64.urlsafe_b64encode(raw).decode("ascii")


def _decode_cursor(text: str) -> tuple[datetime, str, str]:
    try:
        start, trace_id, span_id = json.loads(base64.urlsafe_b64decode(text.encode("ascii")))
        moment = datetime.fromisoformat(start)
        if moment.tzinfo is None or not (isinstance(trace_id, str) and isinstance(span_id, str)):
            raise ValueError
    except (ValueError, TypeError, UnicodeEncodeError, binascii.Error, RecursionError):
        raise bad("cursor is not one this API gave (use next_cursor of the previous page)") from None
    return moment, trace_id, span_id

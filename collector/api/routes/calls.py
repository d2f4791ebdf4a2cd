from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import Response

from ...deps import ReadAuth, StoreDep
from ..formats import respond
from ..params import FilterWithPricing, OutputFormat, StrictQuery, bad

router = APIRouter(tags=["read"], dependencies=[ReadAuth, StrictQuery])
MAX_LIMIT = 100_000


@router.get("/api/v1/calls")
def calls(
    store: StoreDep,
    where: FilterWithPricing,
    format: OutputFormat,
    limit: Annotated[str, Query(description=f"rows per page, 0..{MAX_LIMIT}")] = "100",
    offset: Annotated[str, Query(description="rows to skip")] = "0",
) -> Response:
    """Raw call rows, newest first."""
    page, skip = _natural("limit", limit), _natural("offset", offset)
    if page > MAX_LIMIT:
        raise bad(f"limit must be at most {MAX_LIMIT}, got {page}")
    table, total = store.calls(where, page, skip)
    return respond(table, format, extra={"total": total, "limit": page, "offset": skip})


def _natural(name: str, text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise bad(f"{name} must be an integer, got {text!r}") from None
    if value < 0:
        raise bad(f"{name} must be >= 0, got {value}")
    return value

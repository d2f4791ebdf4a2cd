"""`GET /api/v1/forecast`: month-to-date and the month-end forecast with its range, per group."""

from fastapi import APIRouter
from fastapi.responses import Response

from ...deps import NowDep, ReadAuth, StoreDep
from ...projections import month_end_table
from ..formats import respond
from ..params import Filter, GroupBy, OutputFormat, StrictQuery, bad

router = APIRouter(tags=["read"], dependencies=[ReadAuth, StrictQuery])
_NOT_FORECAST = ("day", "month", "trace_id", "conversation")
"""Keys a month-end forecast is not made per: time itself, and units that do not recur over a month."""


@router.get("/api/v1/forecast")
def forecast(store: StoreDep, where: Filter, group_by: GroupBy, format: OutputFormat, now: NowDep) -> Response:
    """Per group: `month_to_date_usd`, `forecast_usd` (month end), `forecast_low_usd`, `forecast_high_usd`, `method`.

    Spend is priced plus estimated. The month is the current UTC month; the method is in docs/api.md.
    """
    if where.start is not None or where.end is not None:
        raise bad("start and end do not apply: the forecast covers the current UTC month")
    refused = [k for k in group_by if k in _NOT_FORECAST]
    if refused:
        raise bad(f"group_by {refused[0]} does not apply to a forecast: it is a month's, from daily spend")
    return respond(month_end_table(store, group_by, where, now), format)

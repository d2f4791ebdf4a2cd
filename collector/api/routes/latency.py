from fastapi import APIRouter
from fastapi.responses import Response

from ...deps import ReadAuth, StoreDep
from ..formats import respond
from ..params import FilterWithPricing, GroupBy, OutputFormat, StrictQuery

router = APIRouter(tags=["read"], dependencies=[ReadAuth, StrictQuery])


@router.get("/api/v1/latency")
def latency(store: StoreDep, where: FilterWithPricing, group_by: GroupBy, format: OutputFormat) -> Response:
    """Per group: calls, p50/p95/p99 duration (ms), error rate, and the mean time to first token of streams."""
    return respond(store.latency(group_by, where), format)

from fastapi import APIRouter
from fastapi.responses import Response

from ...deps import ReadAuth, StoreDep
from ..formats import respond
from ..params import FilterWithPricing, GroupBy, OutputFormat, StrictQuery

router = APIRouter(tags=["read"], dependencies=[ReadAuth, StrictQuery])


@router.get("/api/v1/spend")
def spend(store: StoreDep, where: FilterWithPricing, group_by: GroupBy, format: OutputFormat) -> Response:
    """Calls, tokens and cost per group: `cost_usd` = `priced_cost_usd` + `unpriced_cost_usd` (the estimate)."""
    return respond(store.spend(group_by, where), format)

from fastapi import APIRouter
from fastapi.responses import Response

from ...deps import ReadAuth, StoreDep
from ..formats import respond
from ..params import Filter, OutputFormat, StrictQuery

router = APIRouter(tags=["read"], dependencies=[ReadAuth, StrictQuery])


@router.get("/api/v1/substitutions")
def substitutions(store: StoreDep, where: Filter, format: OutputFormat) -> Response:
    """Calls where RESTRICT_MODELS replaced the requested model: what they cost, and what the requested model's
    card would have charged for the same tokens (`requested_cost_usd`, null when that model has no card)."""
    return respond(store.substitutions(where), format)

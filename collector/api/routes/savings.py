"""What it would have cost: on another model (what-if), on the model the policy replaced, and without the cache."""

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import Response

from ...deps import ReadAuth, StoreDep
from ...store import WHATIF_CAVEATS
from ..formats import respond
from ..params import FilterWithPricing, GroupBy, OutputFormat, StrictQuery, bad

router = APIRouter(tags=["read"], dependencies=[ReadAuth, StrictQuery])

Alternatives = Annotated[list[str] | None, Query(description="the model to price the history on; repeat for several")]


@router.get("/api/v1/whatif")
def whatif(
    store: StoreDep, where: FilterWithPricing, group_by: GroupBy, format: OutputFormat, alternative: Alternatives = None
) -> Response:
    """Per group and alternative model: the actual cost, and the same tokens priced with the alternative's card
    in force at each call's time. Calls the alternative has no card for are counted apart, never priced at $0;
    `caveats` lists what applies to a row (explained in the JSON body's `caveats`)."""
    if not alternative:
        raise bad("alternative is required: the model to price the history on (repeat it for several)")
    try:
        table = store.whatif(where, group_by, [a.strip() for a in dict.fromkeys(alternative)])
    except LookupError as exc:
        raise bad(str(exc)) from None
    return respond(table, format, extra={"caveats": WHATIF_CAVEATS})


@router.get("/api/v1/savings/policy")
def policy_savings(store: StoreDep, where: FilterWithPricing, group_by: GroupBy, format: OutputFormat) -> Response:
    """Calls where a policy (RESTRICT_MODELS) replaced the requested model: what they paid, what the same tokens
    cost on the requested model's card, and `saved_usd` (null when the requested model has no card)."""
    return respond(store.policy_savings(where, group_by), format)


@router.get("/api/v1/cache")
def cache(store: StoreDep, where: FilterWithPricing, group_by: GroupBy, format: OutputFormat) -> Response:
    """Input and cache tokens, hit rate (cache reads over input), and what caching saved on priced calls."""
    return respond(store.cache(where, group_by), format)

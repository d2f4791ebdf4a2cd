"""The values each filter can take: what a dashboard offers in its filter lists."""

from fastapi import APIRouter
from fastapi.responses import JSONResponse, Response

from ...deps import ReadAuth, StoreDep
from ..formats import respond
from ..params import FilterWithPricing, OutputFormat, StrictQuery, ValueKeys

router = APIRouter(tags=["read"], dependencies=[ReadAuth, StrictQuery])


@router.get("/api/v1/values")
def values(store: StoreDep, where: FilterWithPricing, keys: ValueKeys, format: OutputFormat) -> Response:
    """`{"values": {key: [value, ...]}}`: the distinct values of each key (every key asked for, sorted) among the
    calls the filters cover; a dimension's calls with no value read `unattributed`, as its filter matches them.
    Arrow and CSV: one (key, value) row each."""
    table = store.values(keys, where)
    if format != "json":
        return respond(table, format)
    out: dict[str, list[str]] = {key: [] for key in keys}
    for key, value in zip(table.column("key").to_pylist(), table.column("value").to_pylist(), strict=True):
        out[key].append(value)
    return JSONResponse({"values": out})

"""The unpriced-model review queue, with genai-prices' suggestion when it knows the model."""

import logging

import pyarrow as pa
from fastapi import APIRouter
from fastapi.responses import JSONResponse, Response

from ...deps import ReadAuth, StoreDep
from ..formats import card_json, json_rows, respond
from ..params import Filter, OutputFormat, StrictQuery

log = logging.getLogger("collector.review")
router = APIRouter(tags=["read"], dependencies=[ReadAuth, StrictQuery])
_SUGGESTED = ("input_usd_per_mtok", "output_usd_per_mtok", "cache_read_usd_per_mtok", "cache_write_usd_per_mtok")


def _suggest(model: str | None, provider: str | None) -> dict | None:
    if not model:
        return None
    try:
        import rates

        card = rates.suggest_card(model, provider=provider)
    except Exception:  # a suggestion is a convenience: never fail the queue for it
        log.exception("suggest_card failed for %s", model)
        return None
    return None if card is None else card_json(card)


@router.get("/api/v1/review")
def review(store: StoreDep, where: Filter, format: OutputFormat) -> Response:
    """`{"models": [...]}`: unpriced models, most expensive first, each with `suggested` (a card) or null."""
    table = store.review(where)
    suggestions = [_suggest(r["model"], r["provider"]) for r in table.select(["model", "provider"]).to_pylist()]
    if format == "json":
        rows = json_rows(table)
        for row, suggested in zip(rows, suggestions, strict=True):
            row["suggested"] = suggested
        return JSONResponse({"models": rows})
    for field in _SUGGESTED:  # flat columns for Arrow and CSV
        values = [s[field] if s else None for s in suggestions]
        table = table.append_column(f"suggested_{field}", pa.array(values, pa.string()))
    table = table.append_column(
        "suggested_source", pa.array([s["source"] if s else None for s in suggestions], pa.string())
    )
    return respond(table, format, key="models")

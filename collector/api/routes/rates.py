"""Rate cards: list them, add one (repricing history, audited), preview with `?dry_run=true`; the audit log."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from typing import Annotated

import anyio
import pyarrow as pa
from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, Response

from rates import CardFileError, card_from_mapping
from rates.types import card_id, decimal_text
from tokenledger.settings import BOOL_WORDS, strict_bool

from ...deps import AdminAuth, ReadAuth, StoreDep
from ...store import Repricing
from ..formats import card_json, respond
from ..params import OutputFormat, StrictQuery, bad

router = APIRouter(tags=["rates"])
_MAX_CARD_BYTES = 64 * 1024


def _card_ids(table: pa.Table) -> pa.Array:
    models, starts = table.column("model").to_pylist(), table.column("effective_from").to_pylist()
    return pa.array([card_id(model, start) for model, start in zip(models, starts, strict=True)], pa.string())


@router.get("/api/v1/rates", dependencies=[ReadAuth, StrictQuery])
def list_rates(store: StoreDep, format: OutputFormat) -> Response:
    """`{"cards": [...]}`: every stored card (all versions), with where it came from (`seed` or `api`)."""
    table = store.rate_cards()
    table = table.add_column(0, "card_id", _card_ids(table))
    return respond(table, format, key="cards")


@router.get("/api/v1/repricings", dependencies=[ReadAuth, StrictQuery])
def repricings(store: StoreDep, format: OutputFormat) -> Response:
    """`{"repricings": [...]}`: the audit log of applied cards, newest first."""
    return respond(store.repricings(), format, key="repricings")


def _summary(result: Repricing) -> dict:
    return {
        "rows": result.rows,
        "unpriced_rows": result.unpriced_rows,
        "old_cost_usd": decimal_text(result.old_cost_usd),
        "new_cost_usd": decimal_text(result.new_cost_usd),
        "delta_usd": decimal_text(result.delta_usd),
    }


@router.post("/api/v1/rates", dependencies=[AdminAuth, StrictQuery])
async def add_rate(
    request: Request,
    store: StoreDep,
    dry_run: Annotated[str, Query(description="true: only preview the repricing")] = "false",
) -> JSONResponse:
    """Add a card and reprice every stored call of its model from `effective_from`; `?dry_run=true` previews."""
    preview_only = strict_bool(dry_run)
    if preview_only is None:
        raise bad(f"dry_run must be one of {BOOL_WORDS}, got {dry_run!r}")
    raw = await request.body()
    if len(raw) > _MAX_CARD_BYTES:
        raise bad("card body is too large")
    try:
        body = json.loads(raw, parse_float=Decimal)
    except ValueError:
        raise bad("body must be a JSON object") from None
    if not isinstance(body, dict):
        raise bad("body must be a JSON object")
    note = body.get("note", "")
    if not isinstance(note, str):
        raise bad("note must be a string")
    if "effective_from" not in body:
        raise bad("effective_from is required (ISO date or datetime, UTC)")
    fields = {**body, "source": body.get("source") or f"POST /api/v1/rates at {datetime.now(UTC).isoformat()}"}
    try:
        card = card_from_mapping(fields, path="request body")
        result = await anyio.to_thread.run_sync(lambda: store.add_card(card, dry_run=preview_only, note=note))
    except CardFileError as exc:
        raise bad(str(exc)) from None
    payload = {"dry_run": preview_only, "card": card_json(card), **_summary(result)}
    if not preview_only:
        payload["repricing_id"] = result.id
    return JSONResponse(payload, status_code=200 if preview_only else 201)

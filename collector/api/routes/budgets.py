"""Budgets (create, list with status, delete) and their alerts (list; evaluate now)."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Annotated

import anyio
from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, Response

from ...budgets import BudgetError, budgets_from, parse_budget, scope_json, status
from ...deps import AdminAuth, NowDep, ReadAuth, StoreDep
from ..formats import respond
from ..params import OutputFormat, StrictQuery, bad

router = APIRouter(tags=["budgets"], dependencies=[StrictQuery])
_MAX_BODY_BYTES = 64 * 1024
MAX_ALERTS = 10_000


@router.post("/api/v1/budgets", dependencies=[AdminAuth], status_code=201)
async def create_budget(request: Request, store: StoreDep, now: NowDep) -> JSONResponse:
    """Create a budget: `{"name", "amount_usd", "period", "scope", "thresholds"}`; 201 with its `id`."""
    raw = await request.body()
    if len(raw) > _MAX_BODY_BYTES:
        raise bad("budget body is too large")
    try:
        body = json.loads(raw, parse_float=Decimal)
    except ValueError:
        raise bad("body must be a JSON object") from None
    try:
        budget = parse_budget(body)
    except BudgetError as exc:
        raise bad(str(exc)) from None

    def insert() -> int:
        return store.add_budget(
            name=budget.name, amount_usd=budget.amount_usd, period=budget.period,
            scope_json=scope_json(budget), thresholds=budget.thresholds, created_at=now,
        )  # fmt: skip

    budget_id = await anyio.to_thread.run_sync(insert)
    _nudge(request)
    return JSONResponse({**budget.definition(), "id": budget_id, "created_at": now.isoformat()}, status_code=201)


@router.get("/api/v1/budgets", dependencies=[ReadAuth])
def list_budgets(store: StoreDep, now: NowDep) -> JSONResponse:
    """`{"budgets": [...]}`: each definition with its period, spend (priced and estimated), forecast and status."""
    return JSONResponse({"budgets": [status(store, b, now) for b in budgets_from(store.budgets())]})


@router.delete("/api/v1/budgets/{budget_id}", dependencies=[AdminAuth])
def delete_budget(budget_id: str, store: StoreDep) -> JSONResponse:
    """Delete a budget (its alerts stay in the history); 404 when there is none with that id."""
    if not budget_id.isdigit() or len(budget_id) > 18:
        raise bad(f"budget id must be a positive integer, got {budget_id!r}")
    if not store.delete_budget(int(budget_id)):
        return JSONResponse({"detail": f"no budget {budget_id}"}, status_code=404)
    return JSONResponse({"deleted": int(budget_id)})


@router.get("/api/v1/alerts", dependencies=[ReadAuth])
def alerts(
    store: StoreDep,
    format: OutputFormat,
    limit: Annotated[str, Query(description=f"newest first, at most {MAX_ALERTS}")] = "100",
) -> Response:
    """`{"alerts": [...]}`, newest first: what crossed, the spend and forecast then, and the webhook's state."""
    if not limit.isdigit() or not 0 <= int(limit) <= MAX_ALERTS:
        raise bad(f"limit must be an integer from 0 to {MAX_ALERTS}, got {limit!r}")
    return respond(store.alerts(int(limit)), format, key="alerts")


@router.post("/api/v1/alerts/evaluate", dependencies=[AdminAuth])
async def evaluate_now(request: Request) -> JSONResponse:
    """Evaluate every budget now and deliver pending webhooks (the background task does this every minute)."""
    new = await request.app.state.evaluator.run_once()
    return JSONResponse({"new_alerts": new})


def _nudge(request: Request) -> None:
    evaluator = getattr(request.app.state, "evaluator", None)
    if evaluator is not None:
        evaluator.nudge()

"""Budgets: an amount per UTC day, week (Monday to Monday) or month over a scope (any read filter).

Spend counts priced calls and the estimates of unpriced ones, so a missing price never makes a budget look safe.
A budget is `over` when its spend has reached the amount, `forecast_over` when the period's forecast passes it,
else `ok`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

import pyarrow as pa

from rates.money import fits_money, money
from rates.types import decimal_text

from .forecast import Forecast, month_bounds
from .projections import period_forecast
from .store import VALUE_FILTERS, CallFilter, StoreProtocol

PERIODS = ("day", "week", "month")
DEFAULT_THRESHOLDS = (Decimal("0.5"), Decimal("0.8"), Decimal("1"))
MAX_THRESHOLDS = 10
MAX_THRESHOLD = Decimal(10)
MAX_NAME = 200
_FIELDS = ("name", "amount_usd", "period", "scope", "thresholds")


class BudgetError(ValueError):
    """A budget definition the collector refuses; the message names the field."""


@dataclass(frozen=True)
class Budget:
    """A budget's definition as stored."""

    name: str
    amount_usd: Decimal
    period: str
    scope: dict[str, tuple[str, ...]]
    """Read filters (`{"layer": ("analysis",)}`); empty means every call."""
    thresholds: tuple[Decimal, ...]
    """Fractions of the amount that raise an alert when spend crosses them (1 = the whole amount)."""
    id: int | None = None
    created_at: datetime | None = None

    def where(self) -> CallFilter:
        return CallFilter(**self.scope)  # type: ignore[arg-type]

    def definition(self) -> dict[str, Any]:
        """The JSON shape of the definition (money and thresholds as decimal strings)."""
        return {
            "id": self.id,
            "name": self.name,
            "amount_usd": _text(self.amount_usd),
            "period": self.period,
            "scope": {k: list(v) for k, v in self.scope.items()},
            "thresholds": [_text(t) for t in self.thresholds],
            "created_at": self.created_at.isoformat() if self.created_at else None,
        }


def parse_budget(body: Any) -> Budget:
    """A budget from a request body (JSON object); BudgetError naming the field when it is not acceptable."""
    if not isinstance(body, dict):
        raise BudgetError("body must be a JSON object")
    unknown = [k for k in body if k not in _FIELDS]
    if unknown:
        raise BudgetError(f"unknown field {unknown[0]!r}: a budget takes {', '.join(_FIELDS)}")
    name = body.get("name")
    if not isinstance(name, str) or not name.strip() or len(name) > MAX_NAME:
        raise BudgetError(f"name must be a non-empty string of at most {MAX_NAME} characters")
    if "amount_usd" not in body:
        raise BudgetError('amount_usd is required (a decimal string such as "500")')
    amount = _decimal("amount_usd", body["amount_usd"])
    if amount <= 0 or not fits_money(amount) or amount != money(amount):
        raise BudgetError("amount_usd must be above 0, below 1e26 and have at most 12 decimals")
    period = body.get("period")
    if period not in PERIODS:
        raise BudgetError(f"period must be one of {', '.join(PERIODS)}, got {period!r}")
    return Budget(
        name=name.strip(),
        amount_usd=amount,
        period=period,
        scope=_scope(body.get("scope")),
        thresholds=_thresholds(body.get("thresholds")),
    )


def _decimal(name: str, value: Any) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, str | int | float | Decimal):
        raise BudgetError(f"{name} must be a number or a decimal string")
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        raise BudgetError(f"{name} is not a number: {value!r}") from None
    if not number.is_finite():
        raise BudgetError(f"{name} must be finite")
    return number


def _scope(scope: Any) -> dict[str, tuple[str, ...]]:
    if scope is None:
        return {}
    if not isinstance(scope, dict):
        raise BudgetError('scope must be an object of read filters, e.g. {"layer": "analysis"}')
    out = {}
    for key, value in scope.items():
        if key not in VALUE_FILTERS:
            raise BudgetError(f"scope.{key} is not a filter: use {', '.join(VALUE_FILTERS)}")
        values = [value] if isinstance(value, str) else value
        if not isinstance(values, list) or not values or not all(isinstance(v, str) and v.strip() for v in values):
            raise BudgetError(f"scope.{key} must be a non-empty string or a non-empty list of them")
        out[key] = tuple(dict.fromkeys(v.strip() for v in values))
    return out


def _thresholds(thresholds: Any) -> tuple[Decimal, ...]:
    if thresholds is None:
        return DEFAULT_THRESHOLDS
    if not isinstance(thresholds, list) or not thresholds or len(thresholds) > MAX_THRESHOLDS:
        raise BudgetError(f"thresholds must be a list of 1 to {MAX_THRESHOLDS} fractions, e.g. [0.5, 0.8, 1.0]")
    values = sorted({_decimal("thresholds", t) for t in thresholds})
    if values[0] <= 0 or values[-1] > MAX_THRESHOLD or any(v != v.quantize(Decimal("1e-6")) for v in values):
        raise BudgetError(f"thresholds must be above 0 and at most {MAX_THRESHOLD}, with at most 6 decimals")
    return tuple(v.normalize() for v in values)


def period_bounds(period: str, now: datetime) -> tuple[datetime, datetime]:
    """[start, end) of the UTC day, week (from Monday) or month that contains `now`."""
    now = now.astimezone(UTC)
    day = datetime(now.year, now.month, now.day, tzinfo=UTC)
    if period == "day":
        return day, day + timedelta(days=1)
    if period == "week":
        monday = day - timedelta(days=day.weekday())
        return monday, monday + timedelta(days=7)
    return month_bounds(now)


def budgets_from(table: pa.Table) -> list[Budget]:
    """Budgets from the store's rows."""
    return [
        Budget(
            id=row["id"],
            name=row["name"],
            amount_usd=row["amount_usd"],
            period=row["period"],
            scope={k: tuple(v) for k, v in json.loads(row["scope"]).items()},
            thresholds=tuple(t.normalize() for t in row["thresholds"]),
            created_at=row["created_at"],
        )
        for row in table.to_pylist()
    ]


def scope_json(budget: Budget) -> str:
    return json.dumps({k: list(v) for k, v in budget.scope.items()}, sort_keys=True)


@dataclass(frozen=True)
class Measure:
    """Where a budget stands now."""

    period_start: datetime
    period_end: datetime
    totals: dict[str, Any]
    """The spend route's total row for the period so far (`cost_usd`, `priced_cost_usd`, `unpriced_cost_usd`...)."""
    forecast: Forecast

    @property
    def spent_usd(self) -> Decimal:
        return self.totals["cost_usd"]


def measure(store: StoreProtocol, budget: Budget, now: datetime) -> Measure:
    """The budget's current period, its spend so far and the period's forecast."""
    start, end = period_bounds(budget.period, now)
    where = budget.where()
    with store.snapshot() as view:  # the spend so far and the forecast's history from the same rows
        totals = view.spend([], replace(where, start=start, end=now)).to_pylist()[0]
        return Measure(start, end, totals, period_forecast(view, where, now, start, end))


def status(store: StoreProtocol, budget: Budget, now: datetime) -> dict[str, Any]:
    """The budget's definition with its current period, spend (priced and estimated apart), forecast and status."""
    m = measure(store, budget, now)
    start, end, totals, projected, spent = m.period_start, m.period_end, m.totals, m.forecast, m.spent_usd
    state = "over" if spent >= budget.amount_usd else "ok"
    if state == "ok" and projected.forecast_usd > budget.amount_usd:
        state = "forecast_over"
    return {
        **budget.definition(),
        "period_start": start.isoformat(),
        "period_end": end.isoformat(),
        "spent_usd": _text(spent),
        "priced_usd": _text(totals["priced_cost_usd"]),
        "estimated_usd": _text(totals["unpriced_cost_usd"]),
        "unpriced_calls": totals["unpriced_calls"],
        "forecast_usd": _text(money(projected.forecast_usd)),
        "forecast_low_usd": _text(money(projected.low_usd)),
        "forecast_high_usd": _text(money(projected.high_usd)),
        "forecast_method": projected.method,
        "used_fraction": _text((spent / budget.amount_usd).quantize(Decimal("1e-6"))),
        "status": state,
    }


def _text(value: Decimal) -> str:
    return decimal_text(value)

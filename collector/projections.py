"""Forecasts read from the store: month-end per group (the forecast route) and a budget's period (budgets)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import pyarrow as pa

from rates.money import money

from .forecast import Forecast, forecast, history_start, month_bounds
from .store import MONEY_TYPE, CallFilter, ReadView, StoreProtocol

FORECAST_MONEY = ("month_to_date_usd", "forecast_usd", "forecast_low_usd", "forecast_high_usd")


def daily_spend(
    store: StoreProtocol | ReadView, group_by: Sequence[str], where: CallFilter, start: datetime, now: datetime
) -> dict[tuple[Any, ...], dict[date, Decimal]]:
    """Spend (priced plus estimated) per group and UTC day, from `start` until `now` (exclusive)."""
    table = store.spend([*group_by, "day"], replace(where, start=start, end=now))
    out: dict[tuple[Any, ...], dict[date, Decimal]] = {}
    for row in table.to_pylist():
        key = tuple(row[k] for k in group_by)
        out.setdefault(key, {})[row["day"]] = row["cost_usd"]
    return out


def period_forecast(
    store: StoreProtocol | ReadView, where: CallFilter, now: datetime, start: datetime, end: datetime
) -> Forecast:
    """The forecast of [start, end) for the calls `where` selects (its own start/end are replaced)."""
    series = daily_spend(store, [], where, history_start(now, start), now)
    return forecast(series.get((), {}), now, start, end)


def month_end_table(store: StoreProtocol, group_by: Sequence[str], where: CallFilter, now: datetime) -> pa.Table:
    """One row per group: month-to-date, the month-end forecast and its range, and the method used."""
    start, end = month_bounds(now)
    series = daily_spend(store, group_by, where, history_start(now, start), now)
    rows = []
    for key in sorted(series, key=lambda k: tuple((v is None, str(v)) for v in k)):
        result = forecast(series[key], now, start, end)
        rows.append(
            {
                **dict(zip(group_by, key, strict=True)),
                "month_start": start.date(),
                "month_to_date_usd": money(result.spent_usd),
                "forecast_usd": money(result.forecast_usd),
                "forecast_low_usd": money(result.low_usd),
                "forecast_high_usd": money(result.high_usd),
                "method": result.method,
            }
        )
    keys = store.spend(list(group_by), CallFilter(start=now, end=now)).schema  # the group keys' Arrow types
    fields = [keys.field(k) for k in group_by]
    fields += [pa.field("month_start", pa.date32())]
    fields += [pa.field(name, MONEY_TYPE) for name in FORECAST_MONEY] + [pa.field("method", pa.string())]
    return pa.Table.from_pylist(rows, schema=pa.schema(fields))

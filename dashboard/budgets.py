"""Budgets, alerts and the month-end forecast, shaped for the Overview and Budgets pages (plain polars)."""

from __future__ import annotations

import calendar
from collections.abc import Mapping, Sequence
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

import polars as pl

from .money import MONEY, as_money, format_usd

BUDGET_MONEY = (
    "amount_usd", "spent_usd", "priced_usd", "estimated_usd", "forecast_usd", "forecast_low_usd", "forecast_high_usd",
)  # fmt: skip
ALERT_MONEY = ("amount_usd", "spent_usd", "forecast_usd")
FORECAST_MONEY = ("month_to_date_usd", "forecast_usd", "forecast_low_usd", "forecast_high_usd")
STATUS_LABELS = {"ok": "On track", "forecast_over": "Forecast over budget", "over": "Over budget"}
PERIODS = ("month", "week", "day")
_PROJECTION = ("forecast_usd", "low_usd", "high_usd")
_BUDGET_COLUMNS = {
    "id": pl.Int64, "name": pl.String, "period": pl.String, "status": pl.String, "period_start": pl.String,
    "period_end": pl.String, "scope": pl.Object, "thresholds": pl.List(pl.String), "forecast_method": pl.String,
    **{c: pl.String for c in BUDGET_MONEY},
}  # fmt: skip


def budgets_frame(budgets: Sequence[Mapping[str, Any]]) -> pl.DataFrame:
    """`GET /api/v1/budgets` as a frame: money as Decimal, plus `used` (spent / amount) and `scope_text`."""
    rows = [{k: b.get(k) for k in _BUDGET_COLUMNS} for b in budgets]
    frame = pl.DataFrame(rows, schema=_BUDGET_COLUMNS) if rows else pl.DataFrame(schema=_BUDGET_COLUMNS)
    frame = as_money(frame, BUDGET_MONEY)
    return frame.with_columns(
        pl.Series("scope_text", [scope_text(s) for s in frame.get_column("scope").to_list()], dtype=pl.String),
        pl.Series("used", [used(b["spent_usd"], b["amount_usd"]) for b in frame.iter_rows(named=True)], pl.Float64),
        pl.col("status").replace_strict(STATUS_LABELS, default=pl.col("status")).alias("status_text"),
    ).drop("scope")


def used(spent: Decimal | None, amount: Decimal | None) -> float:
    """Spent as a fraction of the amount (a float for a progress bar; > 1 when over)."""
    if not amount or spent is None:
        return 0.0
    return float(Decimal(spent) / Decimal(amount))


def scope_text(scope: Mapping[str, Sequence[str]] | None) -> str:
    """`layer: analysis; service: a, b`, or `all calls`."""
    if not scope:
        return "all calls"
    return "; ".join(f"{k}: {', '.join(v)}" for k, v in sorted(scope.items()))


def progress_text(row: Mapping[str, Any]) -> str:
    """`$412.50 of $500.00 (83%) · forecast $610.00 ($540.00 to $680.00)`."""
    share = f"{row['used'] * 100:.0f}%"
    forecast = format_usd(row["forecast_usd"])
    band = f"{format_usd(row['forecast_low_usd'])} to {format_usd(row['forecast_high_usd'])}"
    return f"{format_usd(row['spent_usd'])} of {format_usd(row['amount_usd'])} ({share}) · forecast {forecast} ({band})"


def alerts_frame(alerts: Sequence[Mapping[str, Any]]) -> pl.DataFrame:
    """`GET /api/v1/alerts` for a table: when, budget, what crossed, spend and forecast then, webhook state."""
    columns = {
        "created_at": pl.String, "budget_name": pl.String, "kind": pl.String, "threshold": pl.String,
        "period_start": pl.String, "spent_usd": pl.String, "amount_usd": pl.String, "forecast_usd": pl.String,
        "webhook": pl.String,
    }  # fmt: skip
    rows = [{k: a.get(k) for k in columns} for a in alerts]
    frame = pl.DataFrame(rows, schema=columns) if rows else pl.DataFrame(schema=columns)
    crossed = [
        "forecast over 100%" if r["kind"] == "forecast" else f"spend reached {percent(r['threshold'])}"
        for r in frame.iter_rows(named=True)
    ]
    return as_money(frame, ALERT_MONEY).with_columns(
        pl.Series("crossed", crossed, dtype=pl.String),
        pl.col("created_at").str.slice(0, 16).str.replace("T", " "),
        pl.col("period_start").str.slice(0, 10),
    )


def percent(threshold: str | None) -> str:
    return "?" if threshold is None else f"{(Decimal(threshold) * 100).normalize():f}%"


def budget_request(
    name: str, amount: str, period: str, scope: Mapping[str, Sequence[str]], thresholds: str
) -> dict[str, Any]:
    """The `POST /api/v1/budgets` body from the form's fields; ValueError with a message for the user."""
    if not name.strip():
        raise ValueError("Give the budget a name.")
    try:
        value = Decimal(amount.strip().replace(",", "").lstrip("$"))
    except InvalidOperation:
        raise ValueError(f"The amount {amount!r} is not a number of dollars.") from None
    if not value.is_finite() or value <= 0:
        raise ValueError("The amount must be above $0.")
    try:
        fractions = [Decimal(t.strip().rstrip("%")) / (100 if t.strip().endswith("%") else 1)
                     for t in thresholds.split(",") if t.strip()]  # fmt: skip
    except InvalidOperation:
        raise ValueError(f"Thresholds {thresholds!r}: use fractions such as 0.5, 0.8, 1 (or 50%, 80%, 100%).") from None
    body: dict[str, Any] = {"name": name.strip(), "amount_usd": str(value), "period": period}
    if fractions:
        body["thresholds"] = [str(f.normalize()) for f in fractions]
    chosen = {k: list(v) for k, v in scope.items() if v}
    if chosen:
        body["scope"] = chosen
    return body


def month_chart_data(
    daily: pl.DataFrame, forecast: Mapping[str, Any] | None, today: date
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(actual, projection) for the cumulative-spend chart of `today`'s month.

    actual: `day`, `cumulative_usd` (priced plus estimated, summed day by day through today). projection: from
    today to the month's last day, `forecast_usd`, `low_usd`, `high_usd`, straight from month-to-date to the
    forecast's month-end figures (the band widens towards month end).
    """
    first = today.replace(day=1)
    last = today.replace(day=calendar.monthrange(today.year, today.month)[1])
    days = pl.DataFrame({"day": pl.date_range(first, today, "1d", eager=True)})
    spent = (
        daily.select(pl.col("day"), pl.col("cost_usd").cast(MONEY))
        if not daily.is_empty()
        else pl.DataFrame(schema={"day": pl.Date, "cost_usd": MONEY})
    )
    actual = (
        days.join(spent, on="day", how="left")
        .with_columns(pl.col("cost_usd").fill_null(Decimal(0)).cast(MONEY))
        .sort("day")
        .select("day", pl.col("cost_usd").cum_sum().alias("cumulative_usd"))
    )
    if forecast is None:
        return actual, pl.DataFrame(schema={"day": pl.Date, **{c: MONEY for c in _PROJECTION}})
    start = Decimal(forecast["month_to_date_usd"])
    ends = {
        "forecast_usd": Decimal(forecast["forecast_usd"]),
        "low_usd": Decimal(forecast["forecast_low_usd"]),
        "high_usd": Decimal(forecast["forecast_high_usd"]),
    }
    span = (last - today).days or 1
    rows = []
    for i in range((last - today).days + 1):
        share = Decimal(i) / Decimal(span)
        rows.append({"day": today + timedelta(days=i), **{k: start + (v - start) * share for k, v in ends.items()}})
    projection = pl.DataFrame(rows, schema={"day": pl.Date, **{k: MONEY for k in ends}})
    return actual, projection

"""Budgets and alerts: their SQL. What a budget means (periods, status) is `collector/budgets.py`; when an alert
fires and how it is delivered is `collector/alerts.py`."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

import duckdb

from rates.money import MONEY_SQL as MONEY

THRESHOLD = "DECIMAL(12, 6)"

BUDGETS_SQL = "SELECT id, name, amount_usd, period, scope, thresholds, created_at FROM budgets ORDER BY id"

ALERT_COLUMNS = (
    "id, budget_id, budget_name, kind, threshold, period, period_start, period_end, amount_usd, spent_usd, "
    "forecast_usd, created_at, webhook, attempts, delivered_at, last_error"
)
ALERTS_SQL = f"SELECT {ALERT_COLUMNS} FROM alerts ORDER BY id DESC LIMIT ?"
PENDING_SQL = f"SELECT {ALERT_COLUMNS} FROM alerts WHERE webhook = 'pending' ORDER BY id"
"""Alerts whose webhook has not been delivered yet (nor given up on)."""


def insert_budget(
    con: duckdb.DuckDBPyConnection,
    *,
    name: str,
    amount_usd: Decimal,
    period: str,
    scope_json: str,
    thresholds: Sequence[Decimal],
    created_at: datetime,
) -> int:
    con.execute(
        f"INSERT INTO budgets (name, amount_usd, period, scope, thresholds, created_at) "
        f"VALUES (?, CAST(? AS {MONEY}), ?, ?, CAST(? AS {THRESHOLD}[]), ?) RETURNING id",
        [name, str(amount_usd), period, scope_json, [str(t) for t in thresholds], created_at],
    )
    (budget_id,) = con.fetchone()  # type: ignore[misc]
    return int(budget_id)


def delete_budget(con: duckdb.DuckDBPyConnection, budget_id: int) -> bool:
    con.execute("DELETE FROM budgets WHERE id = ? RETURNING id", [budget_id])
    return con.fetchone() is not None


def insert_alert(con: duckdb.DuckDBPyConnection, alert: Mapping[str, Any]) -> int | None:
    """Record an alert; None when one with the same (budget, kind, threshold, period) exists already."""
    con.execute(
        f"""
        INSERT INTO alerts (budget_id, budget_name, kind, threshold, period, period_start, period_end, amount_usd,
                            spent_usd, forecast_usd, created_at, webhook, attempts)
        VALUES (?, ?, ?, CAST(? AS {THRESHOLD}), ?, ?, ?, CAST(? AS {MONEY}), CAST(? AS {MONEY}), CAST(? AS {MONEY}),
                ?, ?, 0)
        ON CONFLICT DO NOTHING RETURNING id
        """,
        [
            alert["budget_id"], alert["budget_name"], alert["kind"], str(alert["threshold"]), alert["period"],
            alert["period_start"], alert["period_end"], str(alert["amount_usd"]), str(alert["spent_usd"]),
            str(alert["forecast_usd"]), alert["created_at"], alert["webhook"],
        ],
    )  # fmt: skip
    row = con.fetchone()
    return None if row is None else int(row[0])


def record_delivery(
    con: duckdb.DuckDBPyConnection, alert_id: int, *, attempts: int, state: str, at: datetime, error: str | None
) -> None:
    """After a delivery attempt: `state` is `delivered`, `pending` (retry later) or `failed` (given up)."""
    con.execute(
        "UPDATE alerts SET attempts = attempts + ?, webhook = ?, last_error = ?, "
        "delivered_at = CASE WHEN ? = 'delivered' THEN ? ELSE delivered_at END WHERE id = ?",
        [attempts, state, error, state, at, alert_id],
    )

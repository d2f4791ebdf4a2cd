"""Budgets and alerts on ClickHouse: the same rows as `_budgets` (DuckDB), with ClickHouse's ways for what DuckDB
does with sequences, UNIQUE, DELETE and UPDATE.

- Ids: milliseconds and three random digits (unique across replicas, newest largest); no sequence.
- A budget deleted is a new version of its row marked `deleted`; reads skip it.
- An alert's key is (budget, kind, threshold, period start), the table's ReplacingMergeTree key. Two replicas
  evaluating one budget at once may both insert its alert: the first stored wins (`_version` falls with time), and
  each then reads the key back and records the alert as its own only if its id is the winner's, so one webhook is
  sent (on one server; on a cluster read-after-write needs `insert_quorum` and `select_sequential_consistency`).
- A delivery outcome is a new version of the alert row (revision + 1 in the version's high bits).
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from ._budgets import ALERT_COLUMNS
from ._clickhouse_con import Client
from ._clickhouse_schema import MONEY, TIME, _on, engine

_REVISION = 1 << 48
_FIRST = _REVISION - 1


def new_id() -> int:
    """Milliseconds and three random digits: 16 digits, exact in a JSON number (below 2**53)."""
    return time.time_ns() // 1_000_000 * 1000 + secrets.randbelow(1000)


def _first_wins() -> int:
    """Revision 0, earlier larger (milliseconds, 8,900 years of them)."""
    return _FIRST - time.time_ns() // 1_000_000


def create(run: Callable[[str], None], cluster: str) -> None:
    """The two tables (idempotent; a migration of `_clickhouse_schema`)."""
    run(
        f"""
        CREATE TABLE IF NOT EXISTS budgets{_on(cluster)} (
            id Int64, name String, amount_usd {MONEY}, period LowCardinality(String), scope String,
            thresholds Array(Decimal(12, 6)), created_at {TIME}, deleted Bool DEFAULT false, _version UInt64
        ) ENGINE = {engine("Replacing", "_version", cluster)}
        ORDER BY id
        """
    )
    run(
        f"""
        CREATE TABLE IF NOT EXISTS alerts{_on(cluster)} (
            id Int64, budget_id Int64, budget_name String, kind LowCardinality(String), threshold Decimal(12, 6),
            period LowCardinality(String), period_start {TIME}, period_end {TIME}, amount_usd {MONEY},
            spent_usd {MONEY}, forecast_usd {MONEY}, created_at {TIME}, webhook LowCardinality(String),
            attempts Int32, delivered_at Nullable({TIME}), last_error Nullable(String), _version UInt64
        ) ENGINE = {engine("Replacing", "_version", cluster)}
        ORDER BY (budget_id, kind, threshold, period_start)
        """
    )


BUDGETS_SQL = (
    "SELECT id, name, amount_usd, period, scope, thresholds, created_at FROM budgets WHERE NOT deleted ORDER BY id"
)
ALERTS_SQL = f"SELECT {ALERT_COLUMNS} FROM alerts ORDER BY id DESC LIMIT ?"
PENDING_SQL = f"SELECT {ALERT_COLUMNS} FROM alerts WHERE webhook = 'pending' ORDER BY id"
_BUDGET_COLUMNS = ["id", "name", "amount_usd", "period", "scope", "thresholds", "created_at", "deleted", "_version"]
_ALERT_INSERT = [c.strip() for c in ALERT_COLUMNS.split(",")] + ["_version"]


def insert_budget(
    client: Client,
    *,
    name: str,
    amount_usd: Decimal,
    period: str,
    scope_json: str,
    thresholds: Sequence[Decimal],
    created_at: datetime,
) -> int:
    budget_id = new_id()
    row = [budget_id, name, Decimal(amount_usd), period, scope_json, [Decimal(t) for t in thresholds], created_at,
           False, time.time_ns() // 1000]  # fmt: skip
    client.insert_rows("budgets", _BUDGET_COLUMNS, [row])
    return budget_id


def delete_budget(client: Client, budget_id: int) -> bool:
    if not client.rows("SELECT id FROM budgets WHERE id = ? AND NOT deleted", [budget_id]):
        return False
    client.command(
        f"INSERT INTO budgets ({', '.join(_BUDGET_COLUMNS)}) SELECT id, name, amount_usd, period, scope, thresholds, "
        "created_at, true, _version + 1 FROM budgets FINAL WHERE id = {id:Int64}",
        {"id": budget_id},
    )
    return True


def insert_alert(client: Client, alert: Mapping[str, Any]) -> int | None:
    """Record an alert; None when one with the same (budget, kind, threshold, period) exists (or won a race)."""
    key = [alert["budget_id"], alert["kind"], Decimal(alert["threshold"]), alert["period_start"]]
    where = "budget_id = ? AND kind = ? AND threshold = CAST(? AS DECIMAL(12, 6)) AND period_start = ?"
    if client.rows(f"SELECT id FROM alerts WHERE {where}", key):
        return None
    alert_id = new_id()
    row = [
        alert_id, alert["budget_id"], alert["budget_name"], alert["kind"], Decimal(alert["threshold"]),
        alert["period"], alert["period_start"], alert["period_end"], Decimal(alert["amount_usd"]),
        Decimal(alert["spent_usd"]), Decimal(alert["forecast_usd"]), alert["created_at"], alert["webhook"], 0, None,
        None, _first_wins(),
    ]  # fmt: skip
    client.insert_rows("alerts", _ALERT_INSERT, [row])
    winner = client.rows(f"SELECT id FROM alerts WHERE {where}", key)
    return alert_id if winner and winner[0][0] == alert_id else None


def record_delivery(
    client: Client, alert_id: int, *, attempts: int, state: str, at: datetime, error: str | None
) -> None:
    """After a delivery attempt: `state` is `delivered`, `pending` (retry later) or `failed` (given up)."""
    columns = _ALERT_INSERT
    changed = {
        "attempts": "attempts + {attempts:Int32}",
        "webhook": "{state:String}",
        "last_error": "{error:Nullable(String)}",
        "delivered_at": f"if({{state:String}} = 'delivered', {{at:{TIME}}}, delivered_at)",
        "_version": f"_version + {_REVISION}",
    }
    select = ", ".join(changed.get(c, c) for c in columns)
    client.command(
        f"INSERT INTO alerts ({', '.join(columns)}) SELECT {select} FROM alerts FINAL WHERE id = {{id:Int64}}",
        {"attempts": attempts, "state": state, "error": error, "at": at, "id": alert_id},
    )

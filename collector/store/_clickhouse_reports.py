"""Provider reports (reconciliation) on ClickHouse: the rows `_reconciliation` stores on DuckDB.

One row per (provider, day, model), the table's ReplacingMergeTree key; storing a report writes a new version of each
of its rows (`_version`: microseconds of the write, so the later import wins on every replica) and reads say
`FINAL`, so an import or a fetch repeated replaces, never adds, merged or not. The read is `_reconciliation.reports_sql`
itself, translated (`_clickhouse_sql`).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import Any

from ._clickhouse_con import Client
from ._clickhouse_schema import MONEY, TIME, _on, engine
from ._reconciliation import COLUMNS


def create(run: Callable[[str], None], cluster: str) -> None:
    """The table (idempotent; a migration of `_clickhouse_schema`). A figure the provider did not give is NULL."""
    run(
        f"""
        CREATE TABLE IF NOT EXISTS provider_reports{_on(cluster)} (
            provider LowCardinality(String), day Date32, model String,
            input_tokens Nullable(Int64), output_tokens Nullable(Int64),
            cache_read_tokens Nullable(Int64), cache_write_tokens Nullable(Int64),
            cost_usd Nullable({MONEY}), service_tiers Nullable(String), source String, imported_at {TIME},
            _version UInt64
        ) ENGINE = {engine("Replacing", "_version", cluster)}
        ORDER BY (provider, day, model)
        """
    )


def replace_reports(client: Client, rows: Sequence[Sequence[Any]]) -> int:
    """Store `rows` (`COLUMNS` order, cost as a decimal string or None), each replacing the stored row of its
    (provider, day, model); returns how many stored rows they replace."""
    if not rows:
        return 0
    keys = {(row[0], row[1], row[2]) for row in rows}
    providers = sorted({provider for provider, _, _ in keys})
    days = [day for _, day, _ in keys]
    stored = client.native_rows(
        "SELECT provider, day, model FROM provider_reports FINAL WHERE provider IN {providers:Array(String)} "
        "AND day BETWEEN {first:Date32} AND {last:Date32}",
        {"providers": providers, "first": min(days), "last": max(days)},
    )
    replaced = len(keys & {(p, d, m) for p, d, m in stored})
    version = time.time_ns() // 1000
    cost = COLUMNS.index("cost_usd")
    values = [[*(Decimal(v) if i == cost and v is not None else v for i, v in enumerate(row)), version] for row in rows]
    client.insert_rows("provider_reports", [*COLUMNS, "_version"], values)
    return replaced

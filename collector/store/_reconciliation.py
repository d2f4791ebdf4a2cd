"""Provider reports (issue 16): their SQL, kept to plain standard statements so that another store ports them.

A report row is one provider's figures for one UTC day and model. Storing a report replaces the rows with the same
(provider, day, model), in one transaction: an import or a fetch repeated changes nothing. What the figures mean
and how they are matched with the ledger is `collector/reconciliation.py`.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

import duckdb

from rates.money import MONEY_SQL as MONEY

COLUMNS = (
    "provider", "day", "model", "input_tokens", "output_tokens", "cache_read_tokens", "cache_write_tokens",
    "cost_usd", "service_tiers", "source", "imported_at",
)  # fmt: skip


def replace_reports(con: duckdb.DuckDBPyConnection, rows: Sequence[Sequence[Any]]) -> int:
    """Store `rows` (values in `COLUMNS` order, cost as a decimal string or None); the rows they replaced."""
    replaced = 0
    for row in rows:
        con.execute(
            "DELETE FROM provider_reports WHERE provider = ? AND day = ? AND model = ? RETURNING provider",
            [row[0], row[1], row[2]],
        )
        replaced += len(con.fetchall())
        con.execute(
            f"INSERT INTO provider_reports ({', '.join(COLUMNS)}) "
            f"VALUES (?, ?, ?, ?, ?, ?, ?, CAST(? AS {MONEY}), ?, ?, ?)",
            list(row),
        )
    return replaced


def reports_sql(providers: Sequence[str] | None, start: date | None, end: date | None) -> tuple[str, list[Any]]:
    """The stored rows of `providers` (all when None) for the days in [start, end), by day and model."""
    clauses, params = [], []
    if providers is not None:
        clauses.append(f"provider IN ({', '.join('?' * len(providers))})")
        params.extend(providers)
    if start is not None:
        clauses.append("day >= ?")
        params.append(start)
    if end is not None:
        clauses.append("day < ?")
        params.append(end)
    where = ("WHERE " + " AND ".join(clauses)) if clauses else ""
    return f"SELECT {', '.join(COLUMNS)} FROM provider_reports {where} ORDER BY provider, day, model", params


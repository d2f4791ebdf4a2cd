"""Provider reports (issue 16): their SQL, kept to plain standard statements so that another store ports them
(row-value `IN`, `CAST`, `INSERT ... SELECT`; DuckDB reads the incoming rows from a registered Arrow table).

A report row is one provider's figures for one UTC day and model. Storing a report replaces the rows with the same
(provider, day, model), in one transaction: an import or a fetch repeated changes nothing. What the figures mean
and how they are matched with the ledger is `collector/reconciliation.py`.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

import duckdb
import pyarrow as pa

from rates.money import MONEY_SQL as MONEY

COLUMNS = (
    "provider", "day", "model", "input_tokens", "output_tokens", "cache_read_tokens", "cache_write_tokens",
    "cost_usd", "service_tiers", "source", "imported_at",
)  # fmt: skip


_INCOMING = pa.schema(
    [("provider", pa.string()), ("day", pa.date32()), ("model", pa.string()), ("input_tokens", pa.int64()),
     ("output_tokens", pa.int64()), ("cache_read_tokens", pa.int64()), ("cache_write_tokens", pa.int64()),
     ("cost_usd", pa.string()), ("service_tiers", pa.string()), ("source", pa.string()),
     ("imported_at", pa.timestamp("us", tz="UTC"))]
)  # fmt: skip
_KEYS = "(provider, day, model)"


def replace_reports(con: duckdb.DuckDBPyConnection, rows: Sequence[Sequence[Any]]) -> int:
    """Store `rows` (values in `COLUMNS` order, cost as a decimal string or None) in the caller's transaction,
    replacing the stored rows of the same keys; returns how many were replaced. The rows arrive as one Arrow table
    (`_reports`): three set statements, not three per row (a row at a time took 27 s for a year of 20 models)."""
    incoming = pa.Table.from_pylist([dict(zip(COLUMNS, row, strict=True)) for row in rows], schema=_INCOMING)
    con.register("_reports", incoming)
    try:
        (replaced,) = con.execute(
            f"SELECT count(*) FROM provider_reports WHERE {_KEYS} IN (SELECT provider, day, model FROM _reports)"
        ).fetchone()  # type: ignore[misc]
        con.execute(f"DELETE FROM provider_reports WHERE {_KEYS} IN (SELECT provider, day, model FROM _reports)")
        values = ", ".join(f"CAST(cost_usd AS {MONEY})" if c == "cost_usd" else c for c in COLUMNS)
        con.execute(f"INSERT INTO provider_reports ({', '.join(COLUMNS)}) SELECT {values} FROM _reports")
        return int(replaced)
    finally:
        try:
            con.unregister("_reports")
        except duckdb.Error:
            pass  # in a failed transaction: the next write registers the name afresh


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

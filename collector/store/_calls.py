"""The `calls` table's columns as Arrow types, and the bulk upsert that applies the dedupe rule."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

import duckdb
import pyarrow as pa

MONEY_TYPE = pa.decimal128(38, 12)
_QUANTUM = Decimal("1e-12")
_TS = pa.timestamp("us", tz="UTC")

CALL_SCHEMA = pa.schema(
    [
        ("trace_id", pa.string()),
        ("span_id", pa.string()),
        ("response_id", pa.string()),
        ("start_time", _TS),
        ("end_time", _TS),
        ("duration_ms", pa.float64()),
        ("service", pa.string()),
        ("environment", pa.string()),
        ("layer", pa.string()),
        ("provider", pa.string()),
        ("request_model", pa.string()),
        ("model", pa.string()),
        ("input_tokens", pa.int64()),
        ("output_tokens", pa.int64()),
        ("cache_read_tokens", pa.int64()),
        ("cache_write_tokens", pa.int64()),
        ("reasoning_tokens", pa.int64()),
        ("cost_usd", MONEY_TYPE),
        ("pricing_unknown", pa.bool_()),
        ("card_id", pa.string()),
        ("reported_cost_usd", MONEY_TYPE),
        ("reported_cost_source", pa.string()),
        ("status", pa.string()),
        ("error_type", pa.string()),
        ("streaming", pa.bool_()),
        ("ttft_ms", pa.float64()),
        ("requested_model", pa.string()),
        ("operation", pa.string()),
        ("span_name", pa.string()),
        ("scope_name", pa.string()),
        ("scope_version", pa.string()),
        ("attribution_score", pa.int32()),
        ("ingested_at", _TS),
    ]
)
CALL_COLUMNS = tuple(CALL_SCHEMA.names)
_MONEY_COLUMNS = {"cost_usd", "reported_cost_usd"}


def money(value: Decimal | None) -> Decimal | None:
    """A USD amount rounded to the stored precision (1e-12 USD)."""
    return None if value is None else value.quantize(_QUANTUM)


def dedupe_batch(rows: Iterable[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """One row per (trace_id, span_id) and per response id within a batch: the richest, else the first."""
    by_key: dict[tuple[str, str], Mapping[str, Any]] = {}
    for row in rows:
        by_key.setdefault((row["trace_id"], row["span_id"]), row)
    best: dict[str, Mapping[str, Any]] = {}
    plain = []
    for row in by_key.values():
        rid = row["response_id"]
        if rid is None:
            plain.append(row)
        elif rid not in best or row["attribution_score"] > best[rid]["attribution_score"]:
            best[rid] = row
    return plain + list(best.values())


def to_batch(rows: list[Mapping[str, Any]]) -> pa.Table:
    """An Arrow table of `rows` with the `calls` schema (money quantized, never float)."""
    columns = {}
    for name in CALL_COLUMNS:
        values = [row[name] for row in rows]
        if name in _MONEY_COLUMNS:
            values = [money(v) for v in values]
        columns[name] = values
    return pa.table(columns, schema=CALL_SCHEMA)


_COLUMN_LIST = ", ".join(CALL_COLUMNS)

# A row sharing a response id with a stored row is the same provider call: the richer attribution wins, and on a
# tie the row already stored keeps its place (exporters retry; order of arrival must not flip the answer).
_DELETE_POORER = """
DELETE FROM calls WHERE response_id IN (SELECT response_id FROM _batch WHERE response_id IS NOT NULL)
AND EXISTS (
    SELECT 1 FROM _batch b
    WHERE b.response_id = calls.response_id
      AND b.attribution_score > calls.attribution_score
      AND NOT (b.trace_id = calls.trace_id AND b.span_id = calls.span_id)
)
"""
_INSERT_NEW = f"""
INSERT INTO calls ({_COLUMN_LIST})
SELECT {_COLUMN_LIST} FROM _batch b
WHERE b.response_id IS NULL OR NOT EXISTS (
    SELECT 1 FROM calls c
    WHERE c.response_id = b.response_id AND NOT (c.trace_id = b.trace_id AND c.span_id = b.span_id)
)
ON CONFLICT DO NOTHING
"""


def upsert_batch(con: duckdb.DuckDBPyConnection, batch: pa.Table) -> int:
    """Insert the batch in the caller's transaction; returns the number of rows added (replays add none)."""
    con.register("_batch", batch)
    try:
        con.execute(_DELETE_POORER)
        con.execute(_INSERT_NEW)
        (inserted,) = con.fetchone() or (0,)
        return int(inserted)
    finally:
        con.unregister("_batch")

"""The `calls` table's columns as Arrow types, and the bulk upsert that applies the dedupe rule."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import fields
from datetime import datetime, timedelta
from decimal import Decimal
from operator import attrgetter
from typing import Any, get_args, get_type_hints

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from rates.money import MONEY_PRECISION, MONEY_SCALE, money

from ..row import CallRow

MONEY_TYPE = pa.decimal128(MONEY_PRECISION, MONEY_SCALE)
_TS = pa.timestamp("us", tz="UTC")
_ARROW_TYPES: dict[type, pa.DataType] = {
    str: pa.string(),
    int: pa.int64(),
    float: pa.float64(),
    bool: pa.bool_(),
    Decimal: MONEY_TYPE,
    datetime: _TS,
}


def _arrow_type(hint: Any, metadata: Mapping[str, Any]) -> pa.DataType:
    kinds = [kind for kind in get_args(hint) or (hint,) if kind is not type(None)]
    (kind,) = kinds  # one type per column, optionally None
    if kind is int and metadata.get("bits") == 32:
        return pa.int32()
    return _ARROW_TYPES[kind]


def _schema_of(row_type: type) -> pa.Schema:
    hints = get_type_hints(row_type)
    return pa.schema([(f.name, _arrow_type(hints[f.name], f.metadata)) for f in fields(row_type)])


CALL_SCHEMA = _schema_of(CallRow)
"""The `calls` table as Arrow, derived from `CallRow` (tests/test_store_schema.py checks it against the table)."""
CALL_COLUMNS = tuple(CALL_SCHEMA.names)
_ROW_VALUES = attrgetter(*CALL_COLUMNS)
_MONEY_COLUMNS = {name for name in CALL_COLUMNS if CALL_SCHEMA.field(name).type == MONEY_TYPE}


def dedupe_batch(rows: Iterable[CallRow]) -> list[CallRow]:
    """One row per (trace_id, span_id) and per response id within a batch: the richest, else the first."""
    by_key: dict[tuple[str, str], CallRow] = {}
    for row in rows:
        by_key.setdefault((row.trace_id, row.span_id), row)
    best: dict[str, CallRow] = {}
    plain = []
    for row in by_key.values():
        rid = row.response_id
        if rid is None:
            plain.append(row)
        elif rid not in best or row.attribution_score > best[rid].attribution_score:
            best[rid] = row
    return plain + list(best.values())


def to_batch(rows: list[CallRow]) -> pa.Table:
    """An Arrow table of `rows` with the `calls` schema (money quantized, never float)."""
    if not rows:
        return CALL_SCHEMA.empty_table()
    # One attrgetter call per row and a transpose: half the time of a getattr per row and column.
    columns = dict(zip(CALL_COLUMNS, zip(*map(_ROW_VALUES, rows), strict=True), strict=True))
    for name in _MONEY_COLUMNS:
        columns[name] = [None if v is None else money(v) for v in columns[name]]
    return pa.table(columns, schema=CALL_SCHEMA)


_COLUMN_LIST = ", ".join(CALL_COLUMNS)

# Copies of one call start within moments of each other: the search for a stored copy is limited to a window around
# the batch's start times, so DuckDB's min/max zone maps skip the rest of the table (no full scan as it grows).
DEDUPE_WINDOW = timedelta(days=1)
_STORED = """
SELECT c.response_id, c.trace_id, c.span_id, c.attribution_score FROM calls c
WHERE c.start_time BETWEEN ? AND ?
  AND (c.response_id IN (SELECT response_id FROM _batch WHERE response_id IS NOT NULL)
       OR (c.trace_id, c.span_id) IN (SELECT trace_id, span_id FROM _batch))
"""
_DELETE_KEYS = "DELETE FROM calls WHERE (trace_id, span_id) IN (SELECT trace_id, span_id FROM _gone)"
_INSERT = f"INSERT INTO calls ({_COLUMN_LIST}) SELECT {_COLUMN_LIST} FROM _batch"
# DuckDB's ON CONFLICT is ~50x slower than a plain insert; it is only the fallback if the window check missed a key.
_INSERT_OR_IGNORE = _INSERT + " ON CONFLICT DO NOTHING"


def _resolve(con: duckdb.DuckDBPyConnection, batch: pa.Table, window: list) -> tuple[pa.Table, list]:
    """Compare the batch with stored rows: (batch rows to insert, stored keys to delete).

    A stored row with the same (trace_id, span_id) is a replay: the batch row is dropped. A row sharing a response
    id with a stored row is the same provider call: the richer attribution wins, and on a tie the stored row keeps
    its place (exporters retry; order of arrival must not flip the answer).
    """
    stored_keys: set[tuple[str, str]] = set()
    copies_of: dict[str, list[tuple[str, str, int]]] = {}
    for response_id, trace_id, span_id, score in con.execute(_STORED, window).fetchall():
        stored_keys.add((trace_id, span_id))
        if response_id is not None:
            copies_of.setdefault(response_id, []).append((trace_id, span_id, score))
    if not stored_keys:
        return batch, []
    keep, gone = [], []
    for index, row in enumerate(batch.select(["trace_id", "span_id", "response_id", "attribution_score"]).to_pylist()):
        key = (row["trace_id"], row["span_id"])
        if key in stored_keys:
            continue
        copies = [c for c in copies_of.get(row["response_id"], ()) if (c[0], c[1]) != key]
        if not copies:
            keep.append(index)
        elif row["attribution_score"] > max(score for _, _, score in copies):
            keep.append(index)
            gone += [(trace_id, span_id) for trace_id, span_id, _ in copies]
    return batch.take(pa.array(keep, pa.int64())), gone


def upsert_batch(con: duckdb.DuckDBPyConnection, batch: pa.Table, *, or_ignore: bool = False) -> int:
    """Insert the batch in the caller's transaction; returns the number of rows added (replays add none).

    `or_ignore` inserts with ON CONFLICT DO NOTHING (slow; the retry after a ConstraintException). The views this
    registers are left for the caller to drop with `drop_views` (DuckDB refuses to drop them in a failed transaction).
    """
    starts = batch.column("start_time")
    window = [pc.min(starts).as_py() - DEDUPE_WINDOW, pc.max(starts).as_py() + DEDUPE_WINDOW]
    con.register("_batch", batch)
    batch, gone = _resolve(con, batch, window)
    if gone:
        con.register("_gone", pa.table({"trace_id": [k[0] for k in gone], "span_id": [k[1] for k in gone]}))
        con.execute(_DELETE_KEYS)
    if batch.num_rows == 0:
        return 0
    con.register("_batch", batch)
    con.execute(_INSERT_OR_IGNORE if or_ignore else _INSERT)
    (inserted,) = con.fetchone() or (0,)
    return int(inserted)


VIEWS = ("_batch", "_gone")
"""Arrow tables registered as views during a write."""


def drop_views(con: duckdb.DuckDBPyConnection) -> None:
    """Unregister the write's views (after commit or rollback); a view that is not there is fine."""
    for name in VIEWS:
        try:
            con.unregister(name)
        except duckdb.Error:
            pass

"""The ClickHouse connection: one `clickhouse-connect` client (HTTP to a server, or chdb in-process), the settings
every query runs with, results as Arrow shaped like DuckDB's, and `Con`: a DuckDB-like connection for the rules
shared with DuckDB (`_cards.seed_cards`, `_repricing`), whose few writes it maps to ClickHouse's way.

chdb runs in this process and allows one session per process: its queries are serialised here (a lock on the
client, not on any multi-statement rule; a server client needs none).
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from ._clickhouse_schema import REVISION_MAX
from ._clickhouse_sql import split_top, translate
from ._url import ClickHouseTarget

SETTINGS = {
    "output_format_arrow_string_as_string": 1,
    "output_format_arrow_low_cardinality_as_dictionary": 0,
    "aggregate_functions_null_for_empty": 1,  # sum() over no row is NULL, as in DuckDB (and standard SQL)
    "session_timezone": "UTC",
    "cast_keep_nullable": 1,  # CAST(NULL AS DECIMAL(38, 12)) is NULL, as in DuckDB
    "prefer_column_name_to_alias": 1,  # `sum(cost_usd) AS cost_usd`: later `cost_usd` is the column, as in DuckDB
}


def connect(target: ClickHouseTarget) -> Any:
    """A client on `target`'s database, created if missing."""
    import clickhouse_connect

    if target.embedded:
        client = clickhouse_connect.get_client(dsn=f"chdb://{target.path}")
    else:
        client = clickhouse_connect.get_client(
            host=target.host,
            port=target.port,
            username=target.user,
            password=target.password,
            secure=target.scheme == "clickhouses",
            autogenerate_session_id=False,  # requests run concurrently; a session would serialise (and refuse) them
        )
    client.command(f"CREATE DATABASE IF NOT EXISTS {target.database}")  # a checked identifier (`_url._database`)
    client.database = target.database
    return client


def _arrow(table: pa.Table) -> pa.Table:
    """Arrow as DuckDB gives it: plain strings, signed integers, 128-bit decimals, every field nullable."""
    fields, columns = [], []
    for field, column in zip(table.schema, table.columns, strict=True):
        kind = field.type
        if pa.types.is_dictionary(kind):
            column = pa.chunked_array([c.dictionary_decode() for c in column.chunks], kind.value_type)
            kind = kind.value_type
        if pa.types.is_binary(kind) or pa.types.is_large_binary(kind) or pa.types.is_large_string(kind):
            kind = pa.string()
        elif pa.types.is_unsigned_integer(kind):
            kind = pa.int64()
        elif pa.types.is_decimal256(kind):
            kind = pa.decimal128(38, min(kind.scale, 12))
        if kind != column.type:
            column = pc.cast(column, kind)
        fields.append(pa.field(field.name, kind))
        columns.append(column)
    return pa.Table.from_arrays(columns, schema=pa.schema(fields))


def _utc(value: Any) -> Any:
    if isinstance(value, datetime) and value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value


class Client:
    """The store's access to ClickHouse. Errors are left to the caller (`_clickhouse` maps them)."""

    def __init__(self, client: Any, embedded: bool) -> None:
        self._client = client
        self._lock = threading.Lock() if embedded else None

    def _run(self, work):
        if self._lock is None:
            return work()
        with self._lock:
            return work()

    def arrow(self, sql: str, params: Sequence[Any] = ()) -> pa.Table:
        """A read in this package's SQL (`_clickhouse_sql.translate`); Arrow shaped as DuckDB's."""
        text, named = translate(sql, params)
        return _arrow(self._run(lambda: self._client.query_arrow(text, parameters=named, settings=SETTINGS)))

    def rows(self, sql: str, params: Sequence[Any] = ()) -> list[tuple]:
        text, named = translate(sql, params)
        result = self._run(lambda: self._client.query(text, parameters=named, settings=SETTINGS))
        return [tuple(_utc(v) for v in row) for row in result.result_rows]

    def command(self, sql: str, params: dict[str, Any] | None = None) -> None:
        """A statement in ClickHouse SQL (DDL, INSERT ... SELECT) with named parameters."""
        self._run(lambda: self._client.command(sql, parameters=params or None, settings=SETTINGS))

    def native_rows(self, sql: str, params: dict[str, Any] | None = None) -> list[tuple]:
        result = self._run(lambda: self._client.query(sql, parameters=params or None, settings=SETTINGS))
        return [tuple(_utc(v) for v in row) for row in result.result_rows]

    def insert_arrow(self, table: str, data: pa.Table) -> None:
        self._run(lambda: self._client.insert_arrow(table, data))

    def insert_rows(self, table: str, columns: Sequence[str], rows: list[list[Any]]) -> None:
        """Rows of Python values in the Native format (decimals and times exact), one INSERT."""
        self._run(lambda: self._client.insert(table, rows, column_names=list(columns)))

    def close(self) -> None:
        self._run(self._client.close)


def audit_id(card_id: str, note: str, seeded: bool) -> int:
    """A repricing audit id, below 2**53 (exact in JSON). Seeding replicas racing write the same audit: its id comes
    from the card and the note, so they collapse into one row (the first kept). Others: `_clickhouse_budgets.new_id`
    (milliseconds and 3 random digits, newest largest)."""
    if seeded:
        return int.from_bytes(hashlib.sha256(f"{card_id}\n{note}".encode()).digest()[:6], "big")
    from ._clickhouse_budgets import new_id

    return new_id()


class Con:
    """What `_cards` and `_repricing` need of a DuckDB connection, on ClickHouse.

    Reads are translated. The writes those modules make are mapped: `UPDATE calls SET ...` (repricing) inserts a new
    version of each row (`_version` + 1, so it wins at merge and in `FINAL`); `INSERT INTO rate_cards` adds the
    card; `DELETE FROM rate_cards` (before the same card is inserted again) is not needed: the new row replaces the
    old one (same key, newer version); `INSERT INTO repricings ... RETURNING id` writes the audit row. There are no
    transactions: `begin`/`commit`/`rollback` do nothing; why each rule is still safe is said where it is used.
    """

    def __init__(self, client: Client, call_columns: Sequence[str]) -> None:
        self._client = client
        self._columns = list(call_columns)
        self._rows: list[tuple] = []
        self._cards: tuple[list[str], list[list[Any]]] | None = None

    def begin(self) -> None: ...

    def commit(self) -> None:
        self._flush()

    def rollback(self) -> None:
        self._cards = None

    def _flush(self) -> None:
        """Cards are inserted in one INSERT (seeding adds dozens), before the next statement reads anything."""
        if self._cards is not None:
            columns, rows = self._cards
            self._cards = None
            self._client.insert_rows("rate_cards", columns, rows)

    def fetchall(self) -> list[tuple]:
        return self._rows

    def fetchone(self) -> tuple | None:
        return self._rows[0] if self._rows else None

    def execute(self, sql: str, params: Sequence[Any] = ()) -> Con:
        text = " ".join(sql.split())
        self._rows = []
        if text.startswith("INSERT INTO rate_cards ("):
            columns = [c.strip() for c in text.removeprefix("INSERT INTO rate_cards (").partition(")")[0].split(",")]
            version = time.time_ns() // 1000
            pending = self._cards or ([*columns, "_version"], [])
            pending[1].append([*params, version])
            self._cards = pending
            return self
        self._flush()
        if text.startswith("SELECT"):
            self._rows = self._client.rows(text, params)
        elif text.startswith("UPDATE calls SET "):
            self._reprice(text, list(params))
        elif text.startswith("DELETE FROM rate_cards "):
            pass  # the card is inserted again next, with a newer _version: it replaces this one
        elif text.startswith("INSERT INTO repricings ("):
            values = list(params)
            card_id, note = values[2], values[7]
            new_id = audit_id(card_id, note, note.startswith("seeded"))
            first_wins = (1 << 63) - time.time_ns() // 1000
            self._insert_values(text.replace(" RETURNING id", ""), [*values, new_id, first_wins], "id, _version")
            self._rows = [(new_id,)]
        else:
            raise NotImplementedError(f"no ClickHouse form for: {text[:60]}")
        return self

    def _insert_values(self, text: str, values: list[Any], extra: str) -> None:
        """`INSERT INTO t (cols) VALUES (?, ...)` as `INSERT INTO t (cols, extra) SELECT {p0:T}, ...`."""
        head, _, tail = text.partition(") VALUES (")
        marks = split_top(tail.rstrip().removesuffix(")"))
        extra_marks = ", ".join("?" for _ in extra.split(","))
        sql, named = translate(f"SELECT {', '.join(marks)}, {extra_marks}", values)
        self._client.command(f"{head}, {extra}) {sql}", named)

    def _reprice(self, text: str, params: list[Any]) -> None:
        """`UPDATE calls SET a = x, ... WHERE clause` as a new version of each row it covers (read FINAL)."""
        assignments, _, clause = text.removeprefix("UPDATE calls SET ").partition(" WHERE ")
        changes: dict[str, tuple[str, list[Any]]] = {}
        used = 0
        for part in split_top(assignments):  # each expression's own parameters (no `?` inside a literal here)
            column, _, expr = part.partition(" = ")
            count = expr.count("?")
            changes[column.strip()] = (expr, params[used : used + count])
            used += count
        select, ordered = [], []
        for column in self._columns:
            if column in changes:
                expr, expr_params = changes[column]
                select.append(f"{expr} AS {column}")
                ordered += expr_params
            elif column == "_version":  # the repricing revision; at its 12-bit limit it stays (ties: last wins)
                select.append(f"if(bitAnd(_version, {REVISION_MAX}) < {REVISION_MAX}, _version + 1, _version)")
            else:
                select.append(column)
        sql, named = translate(
            f"INSERT INTO calls ({', '.join(self._columns)}) SELECT {', '.join(select)} FROM calls WHERE {clause}",
            [*ordered, *params[used:]],
        )
        self._client.command(sql, named)

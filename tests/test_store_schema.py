"""The `calls` table has one definition in Python: `CallRow`, from which the Arrow schema is derived.

The DDL of the migrations is history and is not derived; this test holds the three together.
"""

from __future__ import annotations

import dataclasses
import uuid

import pyarrow as pa
import pytest

from collector.row import CallRow
from collector.store import CALL_SCHEMA, MONEY_TYPE, Store
from collector.store._migrations import MONEY as SHIPPED_MONEY
from rates.money import MONEY_PRECISION, MONEY_SCALE, MONEY_SQL


def test_the_arrow_schema_is_the_call_row_and_the_stored_table(tmp_path):
    assert CALL_SCHEMA.names == [f.name for f in dataclasses.fields(CallRow)]
    store = Store.open(tmp_path / "schema.duckdb")
    try:
        stored = store.query("SELECT * FROM calls LIMIT 0").schema
    finally:
        store.close()
    assert stored.names == CALL_SCHEMA.names  # same columns, same order
    for field in CALL_SCHEMA:
        got = stored.field(field.name).type
        if pa.types.is_large_string(got):  # DuckDB may hand VARCHAR out as large_string
            got = pa.string()
        assert got == field.type, field.name
    assert MONEY_TYPE == pa.decimal128(MONEY_PRECISION, MONEY_SCALE) == stored.field("cost_usd").type
    assert MONEY_SQL == SHIPPED_MONEY  # the migrations spell the type out; today's code names the same one


def test_the_clickhouse_calls_table_is_the_call_row_plus_its_dedupe_key_and_version():
    pytest.importorskip("clickhouse_connect", reason="the ClickHouse store needs the clickhouse extra")
    from helpers.collector import _chdb_dir

    from collector.store import open_store

    store = open_store(f"chdb://{_chdb_dir()}?database=schema_{uuid.uuid4().hex[:8]}")
    try:
        stored = store.query("SELECT * FROM calls LIMIT 0").schema
        columns = store.query("SELECT name, type FROM system.columns WHERE database = currentDatabase() AND table = ?",
                              ["calls"])  # fmt: skip
        kinds = {row["name"]: row["type"] for row in columns.to_pylist()}
    finally:
        store.close()
    assert stored.names == ["call_key", *CALL_SCHEMA.names, "_version"]
    for field in CALL_SCHEMA:
        got = stored.field(field.name).type
        if field.name == "attribution_score":
            assert got == pa.int32()
            continue
        assert got == field.type, field.name
    assert kinds["cost_usd"] == "Decimal(38, 12)" and kinds["start_time"] == "DateTime64(6, 'UTC')"
    assert kinds["model"] == "LowCardinality(Nullable(String))"

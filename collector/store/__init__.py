"""Storage: every database access of the collector. `StoreProtocol` is what the rest of the collector uses;
`Store` (DuckDB, `_duckdb`) and `ClickHouseStore` (`_clickhouse*`, server or embedded chdb) implement it, and
`open_store` picks one from the `--db` value (`_url`)."""

from __future__ import annotations

from pathlib import Path

from ._calls import CALL_SCHEMA, MONEY_TYPE
from ._duckdb import Store, StoreError
from ._protocol import StoreProtocol, Unsupported
from ._reads import GROUP_KEYS, VALUE_FILTERS, VALUE_KEYS, CallFilter
from ._repricing import Repricing
from ._url import parse_db, redact
from ._view import ReadView
from ._whatif import CAVEATS as WHATIF_CAVEATS


def open_store(target: str | Path) -> StoreProtocol:
    """Open (creating and migrating) the store `target` names: a DuckDB path, or a ClickHouse URL (`_url`)."""
    where = parse_db(target)
    if isinstance(where, Path):
        return Store.open(where)
    from ._clickhouse import ClickHouseStore  # needs the clickhouse extra

    return ClickHouseStore.open(where)


__all__ = [
    "CALL_SCHEMA",
    "GROUP_KEYS",
    "VALUE_FILTERS",
    "VALUE_KEYS",
    "MONEY_TYPE",
    "CallFilter",
    "ReadView",
    "Repricing",
    "Store",
    "StoreError",
    "StoreProtocol",
    "Unsupported",
    "WHATIF_CAVEATS",
    "open_store",
    "redact",
]

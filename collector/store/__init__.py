"""Storage: every DuckDB access of the collector. A second backend would be a sibling of `_duckdb`."""

from ._calls import CALL_SCHEMA, MONEY_TYPE
from ._duckdb import Store, StoreError
from ._reads import GROUP_KEYS, VALUE_FILTERS, CallFilter
from ._repricing import Repricing
from ._view import ReadView
from ._whatif import CAVEATS as WHATIF_CAVEATS

__all__ = [
    "CALL_SCHEMA",
    "GROUP_KEYS",
    "VALUE_FILTERS",
    "MONEY_TYPE",
    "CallFilter",
    "ReadView",
    "Repricing",
    "Store",
    "StoreError",
    "WHATIF_CAVEATS",
]

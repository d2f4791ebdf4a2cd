"""Storage: every DuckDB access of the collector. A second backend would be a sibling of `_duckdb`."""

from ._calls import CALL_COLUMNS, CALL_SCHEMA, MONEY_LIMIT, MONEY_TYPE, fits_money, money
from ._cards import card_json
from ._duckdb import Store, StoreError
from ._reads import GROUP_KEYS, VALUE_FILTERS, CallFilter
from ._repricing import Repricing
from ._whatif import CAVEATS as WHATIF_CAVEATS

__all__ = [
    "CALL_COLUMNS",
    "CALL_SCHEMA",
    "GROUP_KEYS",
    "VALUE_FILTERS",
    "WHATIF_CAVEATS",
    "MONEY_LIMIT",
    "MONEY_TYPE",
    "CallFilter",
    "Repricing",
    "Store",
    "StoreError",
    "card_json",
    "fits_money",
    "money",
]

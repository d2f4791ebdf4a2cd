"""`ReadView`: one consistent read. Every query of an answer made of several (a total and its page, what-if's
sums per card window, policy and cache savings, a budget's spend and forecast) runs on one cursor inside one
transaction, so they all see the same committed calls (DuckDB's MVCC snapshot) while ingest goes on, and they all
use the one rate book read when the view opened.

On ClickHouse there is no snapshot across queries: each query of a view sees the rows committed when it ran (see
`_clickhouse`); the rate book is still the one read when the view opened."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

import duckdb
import pyarrow as pa

from rates import RateBook

from . import _focus, _policy, _reads, _whatif

STORE_FAILURES = (duckdb.IOException, duckdb.ConnectionException, duckdb.OutOfMemoryException)
"""DuckDB errors that mean the store cannot answer now (raised as `StoreError`), not a bad query."""


class ReadView:
    """Reads on one snapshot (`Store.snapshot()` opens it): the same methods as `Store` has for them."""

    def __init__(self, query: Callable[[str, Sequence[Any]], pa.Table], book: RateBook) -> None:
        self._query = query
        self.book = book
        """The rate book every figure of this view is priced with."""

    @classmethod
    def on_cursor(cls, cursor: duckdb.DuckDBPyConnection, book: RateBook, error: type[Exception]) -> ReadView:
        """A view whose queries run on a DuckDB cursor (in its transaction); store failures raised as `error`."""

        def query(sql: str, params: Sequence[Any] = ()) -> pa.Table:
            try:
                return cursor.sql(sql, params=list(params)).to_arrow_table()
            except STORE_FAILURES as exc:
                raise error(str(exc)) from exc

        return cls(query, book)

    def query(self, sql: str, params: Sequence[Any] = ()) -> pa.Table:
        """Run a read query in the view (its transaction, on DuckDB); the result as an Arrow table."""
        return self._query(sql, params)

    def spend(self, group_by: Sequence[str], where: _reads.CallFilter) -> pa.Table:
        """Calls, tokens and cost (priced and estimated apart) per group."""
        return self.query(*_reads.spend_sql(group_by, where))

    def calls(
        self, where: _reads.CallFilter, limit: int, offset: int, after: tuple[datetime, str, str] | None = None
    ) -> tuple[pa.Table, int]:
        """One page of raw call rows, newest first (after the cursor row `after`), and how many match in all."""
        total = self.query(*_reads.count_sql(where)).column("n")[0].as_py()
        return self.query(*_reads.calls_sql(where, limit, offset, after)), int(total)

    def substitutions(self, where: _reads.CallFilter) -> pa.Table:
        """Policy-substituted calls per requested/used model, layer, service, environment: cost and requested cost."""
        return _policy.substitutions(self.query, self.book, where)

    def policy_savings(self, where: _reads.CallFilter, group_by: Sequence[str]) -> pa.Table:
        """What the guardrail saved on priced calls: their cost beside the requested model's cost, per group."""
        return _policy.saved(self.query, self.book, where, list(group_by))

    def whatif(self, where: _reads.CallFilter, group_by: Sequence[str], alternatives: Sequence[str]) -> pa.Table:
        """The same calls priced on each alternative model's cards (raises `LookupError` for a model with none)."""
        return _whatif.whatif(self.query, self.book, where, group_by, alternatives)

    def cache(self, where: _reads.CallFilter, group_by: Sequence[str]) -> pa.Table:
        """Cache tokens, hit rate and what caching saved, per group."""
        return _whatif.cache(self.query, self.book, where, group_by)

    def focus_usage(self, start: datetime, end: datetime) -> pa.Table:
        """Token sums and stored cost per day, service, layer, environment, model, card and tier (FOCUS export)."""
        return _focus.usage(self.query, self.book, start, end)

"""`SharedReads`: the reads every store answers alike, written once over the two things a store gives: `query`
(one read in this package's SQL) and `snapshot()` (a `ReadView` for an answer made of several queries)."""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractContextManager
from datetime import date, datetime
from typing import Any

import pyarrow as pa

from . import _reads, _reconciliation
from ._view import ReadView


class SharedReads:
    """Mixed into `Store` (DuckDB) and `ClickHouseStore`; their SQL differences live below `query`."""

    def query(self, sql: str, params: Sequence[Any] = ()) -> pa.Table:
        raise NotImplementedError

    def snapshot(self) -> AbstractContextManager[ReadView]:
        raise NotImplementedError

    def spend(self, group_by: Sequence[str], where: _reads.CallFilter) -> pa.Table:
        """Calls, tokens and cost (priced and estimated apart) per group."""
        return self.query(*_reads.spend_sql(group_by, where))

    def values(self, keys: Sequence[str], where: _reads.CallFilter) -> pa.Table:
        """(key, value): the distinct values of each key among the calls `where` covers."""
        return self.query(*_reads.values_sql(keys, where))

    def latency(self, group_by: Sequence[str], where: _reads.CallFilter) -> pa.Table:
        """Duration percentiles, error rate and mean time to first token per group."""
        return self.query(*_reads.latency_sql(group_by, where))

    def calls(
        self, where: _reads.CallFilter, limit: int, offset: int, after: tuple[datetime, str, str] | None = None
    ) -> tuple[pa.Table, int]:
        """One page of raw call rows, newest first (after the cursor row `after`), and how many match in all."""
        with self.snapshot() as view:
            return view.calls(where, limit, offset, after)

    def substitutions(self, where: _reads.CallFilter) -> pa.Table:
        """Policy-substituted calls per requested/used model, layer, service, environment: cost and requested cost."""
        with self.snapshot() as view:
            return view.substitutions(where)

    def policy_savings(self, where: _reads.CallFilter, group_by: Sequence[str]) -> pa.Table:
        """What the guardrail saved on priced calls: their cost beside the requested model's cost, per group."""
        with self.snapshot() as view:
            return view.policy_savings(where, group_by)

    def whatif(self, where: _reads.CallFilter, group_by: Sequence[str], alternatives: Sequence[str]) -> pa.Table:
        """The same calls priced on each alternative model's cards (raises `LookupError` for a model with none)."""
        with self.snapshot() as view:
            return view.whatif(where, group_by, alternatives)

    def cache(self, where: _reads.CallFilter, group_by: Sequence[str]) -> pa.Table:
        """Cache tokens, hit rate and what caching saved, per group."""
        with self.snapshot() as view:
            return view.cache(where, group_by)

    def review(self, where: _reads.CallFilter) -> pa.Table:
        """The unpriced models, most expensive first."""
        return self.query(*_reads.review_sql(where))

    def rate_cards(self) -> pa.Table:
        return self.query(_reads.RATES_SQL)

    def provider_reports(self, providers: Sequence[str] | None, start: date | None, end: date | None) -> pa.Table:
        """The stored report rows of `providers` (all when None) for the days in [start, end)."""
        return self.query(*_reconciliation.reports_sql(providers, start, end))

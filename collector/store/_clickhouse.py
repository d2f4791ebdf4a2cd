"""`ClickHouseStore`: the store on ClickHouse (a server over HTTP, or chdb in-process), behind `StoreProtocol`.

Several collector replicas may share one database; no correctness depends on one process:
- Dedupe is on read: every read says `FINAL` (ReplacingMergeTree on `call_key`, see `_clickhouse_schema`), so a
  replay or a second copy of a response id counts once in every figure, merged or not, whichever replica stored it.
  Before inserting, a batch is compared with the stored versions of its keys, only to skip rows that would lose
  anyway and to count the rows added; correctness does not depend on that check.
- Repricing writes a new version of each row it covers (`_version` + 1: an INSERT ... SELECT ... FINAL, one
  statement, exact to the stored digit with the same `cost_sql` as DuckDB) and the audit row.
- Cards: a card added through one replica is seen by another at its first request (ingest, read, or the load
  balancer's health check) more than `CARD_REFRESH_S` after its last look. Rows it priced meanwhile with the old
  book are then repriced by it ("sweep": the card's calls not priced by the card), so no row keeps a stale price.
- Seeding and migrations are idempotent under concurrent start (see `_clickhouse_schema`, `_clickhouse_con`).

No transactions: a read made of several queries (`snapshot()`) may see rows ingested between its queries.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import pyarrow as pa

from rates import RateBook, RateCard

from ..row import CallRow
from . import _cards, _repricing
from . import _clickhouse_budgets as _chbudgets
from . import _clickhouse_reports as _chreports
from ._calls import CALL_COLUMNS, dedupe_batch, to_batch
from ._clickhouse_cards import SIGNATURE_SQL, sweep
from ._clickhouse_con import Client, Con, connect
from ._clickhouse_schema import call_version, migrate
from ._duckdb import StoreError
from ._shared_reads import SharedReads
from ._url import ClickHouseTarget, redact
from ._view import ReadView

log = logging.getLogger("collector.store")
CARD_REFRESH_S = 5.0
"""The longest a replica goes on using its rate book before it looks for cards other replicas added."""
STORED_COLUMNS = ("call_key", *CALL_COLUMNS, "_version")
REPRICINGS_SQL = """
SELECT id, repriced_at, model, card_id, effective_from, rows, old_cost_usd, new_cost_usd,
       (new_cost_usd - old_cost_usd)::DECIMAL(38, 12) AS delta_usd, note
FROM repricings ORDER BY repriced_at DESC, id DESC
"""
_KEYS_PER_LOOKUP = 1000


def _failures() -> tuple[type[Exception], ...]:
    from clickhouse_connect.driver.exceptions import OperationalError

    return (OperationalError,)


class ClickHouseStore(SharedReads):
    """ClickHouse storage for calls, rate cards and the repricing audit."""

    def __init__(self, client: Client, target: ClickHouseTarget) -> None:
        self._client = client
        self.path = redact(target)
        self._failures = _failures()
        self._write_lock = threading.RLock()  # this process's own ordering of book changes and its inserts
        self._closed = False
        self._book = RateBook(_cards.load_stored_cards(self._con()))
        self._signature = self._client.rows(SIGNATURE_SQL)[0]
        self._looked = time.monotonic()

    @classmethod
    def open(cls, target: ClickHouseTarget) -> ClickHouseStore:
        """Connect (creating the database), apply pending migrations, seed the shipped cards."""
        try:
            raw = connect(target)
            client = Client(raw, target.embedded)
            applied = migrate(client.command, lambda sql: client.native_rows(sql), target.cluster)
            seeded = _cards.seed_cards(Con(client, STORED_COLUMNS))
            store = cls(client, target)
        except Exception as exc:
            if isinstance(exc, ImportError):
                extra = "the ClickHouse store needs the clickhouse extra: pip install tokenledger[clickhouse]"
                raise StoreError(extra) from exc
            raise StoreError(f"cannot open {redact(target)}: {type(exc).__name__}: {exc}") from exc
        if applied:
            log.info("migrated %s: %s", redact(target), ", ".join(applied))
        if seeded:
            log.info("seeded %d rate cards", seeded)
        return store

    def close(self) -> None:
        with self._write_lock:
            if self._closed:
                return
            self._closed = True
            try:
                self._client.close()
            except Exception as exc:  # the process is stopping anyway
                log.warning("close failed: %s", exc)

    def _con(self) -> Con:
        return Con(self._client, STORED_COLUMNS)

    def _guard(self, work: Callable[[], Any]) -> Any:
        if self._closed:
            raise StoreError("the store is closed")
        try:
            return work()
        except self._failures as exc:
            raise StoreError(str(exc)) from exc

    # Rate cards seen by other replicas.

    @property
    def book(self) -> RateBook:
        """The rate book, at most `CARD_REFRESH_S` behind the cards stored by any replica."""
        self._refresh(wait=False)
        return self._book

    def _refresh(self, force: bool = False, wait: bool = True) -> None:
        """Look for cards other replicas stored, when due. Reads (`wait=False`) skip the look while this process
        writes: it looks again at its next request, and a health check never waits for the writer."""
        if not force and time.monotonic() - self._looked < CARD_REFRESH_S:
            return
        if not self._write_lock.acquire(blocking=wait):
            return
        try:
            signature = self._guard(lambda: self._client.rows(SIGNATURE_SQL)[0])
            self._looked = time.monotonic()
            if signature == self._signature:
                return
            con = self._con()
            book = RateBook(self._guard(lambda: _cards.load_stored_cards(con)))
            known = {c.card_id for c in self._book.cards}
            self._book, self._signature = book, signature
            for card in book.cards:
                if card.card_id not in known:
                    self._guard(lambda card=card: sweep(con, book, card))
        finally:
            self._write_lock.release()

    def ping(self) -> None:
        """Raise StoreError unless the database answers; looks for new cards when due (health checks do)."""
        self._guard(lambda: self._client.rows("SELECT 1"))
        self._refresh(wait=False)

    def insert_calls(
        self,
        rows: Sequence[CallRow],
        *,
        priced_with: RateBook | None = None,
        reprice: Callable[[RateBook, CallRow], Any] | None = None,
    ) -> int:
        """Insert call rows (dedupe rule applied); returns the rows added (a replay, or a copy of a stored response
        id that is not richer, adds none)."""
        if not rows:
            return 0
        with self._write_lock:
            self._refresh()
            if reprice is not None and priced_with is not self._book:
                for row in rows:
                    reprice(self._book, row)
            batch = to_batch(dedupe_batch(rows))
            return self._guard(lambda: self._insert(batch))

    def _insert(self, batch: pa.Table) -> int:
        trace, span, response = (batch.column(c).to_pylist() for c in ("trace_id", "span_id", "response_id"))
        keys = [f"r:{r}" if r is not None else f"s:{t}:{s}" for t, s, r in zip(trace, span, response, strict=True)]
        scores, ingested = batch.column("attribution_score").to_pylist(), batch.column("ingested_at").to_pylist()
        versions = [call_version(s, at or datetime.now(UTC)) for s, at in zip(scores, ingested, strict=True)]
        stored: dict[str, int] = {}
        for start in range(0, len(keys), _KEYS_PER_LOOKUP):  # parameters travel in the URL: bounded
            stored.update(
                self._client.native_rows(
                    "SELECT call_key, max(_version) FROM calls WHERE call_key IN {keys:Array(String)} "
                    "GROUP BY call_key",
                    {"keys": keys[start : start + _KEYS_PER_LOOKUP]},
                )
            )
        keep = [i for i, (k, v) in enumerate(zip(keys, versions, strict=True)) if k not in stored or v > stored[k]]
        if not keep:
            return 0
        table = batch.append_column("call_key", pa.array(keys, pa.string()))
        table = table.append_column("_version", pa.array(versions, pa.uint64()))
        table = table.take(pa.array(keep, pa.int64())).select(list(STORED_COLUMNS))
        self._client.insert_arrow("calls", table)
        return len(keep)

    # Reads.

    def query(self, sql: str, params: Sequence[Any] = ()) -> pa.Table:
        """Run one read (this package's SQL, translated); the result as an Arrow table."""
        return self._guard(lambda: self._client.arrow(sql, params))

    @contextmanager
    def snapshot(self) -> Iterator[ReadView]:
        """A read view with one rate book. Not a snapshot of the rows: see the module docstring."""
        yield ReadView(self.query, self.book)

    def repricings(self) -> pa.Table:
        """The repricing audit log, newest first."""
        return self.query(REPRICINGS_SQL)

    def add_card(self, card: RateCard, *, dry_run: bool, note: str = "") -> _repricing.Repricing:
        """Preview (dry_run) or apply a new card: store it, reprice the calls it covers, write the audit row."""
        with self._write_lock:
            self._refresh(force=True)  # check against every card stored by any replica
            before = self._book
            book = RateBook([*before.cards, card])
            con = self._con()
            if dry_run:
                return self._guard(lambda: _repricing.preview_card(con, before, book, card))

            def work() -> _repricing.Repricing:
                _cards.insert_card(con, card, "api")
                return _repricing.apply_card(con, before, book, card, note, audit_empty=True)

            result = self._guard(work)
            self._book = book
            self._signature = self._guard(lambda: self._client.rows(SIGNATURE_SQL)[0])
            return result

    # Budgets and alerts (their SQL: _clickhouse_budgets.py).

    def budgets(self) -> pa.Table:
        return self.query(_chbudgets.BUDGETS_SQL)

    def add_budget(self, **fields: Any) -> int:
        """Store a budget (`_budgets.insert_budget`'s fields); its id."""
        return self._guard(lambda: _chbudgets.insert_budget(self._client, **fields))

    def delete_budget(self, budget_id: int) -> bool:
        return self._guard(lambda: _chbudgets.delete_budget(self._client, budget_id))

    def record_alert(self, alert: dict[str, Any]) -> int | None:
        """Store an alert; None when its (budget, kind, threshold, period) is stored already (by any replica)."""
        return self._guard(lambda: _chbudgets.insert_alert(self._client, alert))

    def alerts(self, limit: int) -> pa.Table:
        return self.query(_chbudgets.ALERTS_SQL, [limit])

    def pending_alerts(self) -> pa.Table:
        return self.query(_chbudgets.PENDING_SQL)

    def record_delivery(self, alert_id: int, **outcome: Any) -> None:
        self._guard(lambda: _chbudgets.record_delivery(self._client, alert_id, **outcome))

    # Provider reports for reconciliation (their SQL: _clickhouse_reports.py; the read: _reconciliation.reports_sql).

    def replace_provider_reports(self, rows: Sequence[Sequence[Any]]) -> int:
        """Store report rows, each replacing the row of the same (provider, day, model); how many it replaced."""
        return self._guard(lambda: _chreports.replace_reports(self._client, rows))

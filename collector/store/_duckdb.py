"""`Store`: the one DuckDB connection the collector owns. All SQL lives in this package.

Writes are serialised by a lock (one DuckDB connection must not be used by two writers at once); reads use their
own cursor each, so they run beside a write; a read of several queries runs them in one transaction
(`snapshot()`), so that rows committed meanwhile cannot enter some of its figures and not others. Every DuckDB
failure is raised as `StoreError`.

Closing waits for the reads in flight: DuckDB refuses to close a connection while one of its cursors runs a query
("connection is busy with another call"), and a read that started before shutdown (a budget evaluation in its
thread, a request being answered) should finish rather than fail. A read begun after `close()` is a `StoreError`.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from rates import RateBook, RateCard

from ..row import CallRow
from . import _budgets, _cards, _reads, _reconciliation, _repricing
from ._calls import dedupe_batch, drop_views, to_batch, upsert_batch
from ._migrations import migrate
from ._shared_reads import SharedReads
from ._view import STORE_FAILURES, ReadView

log = logging.getLogger("collector.store")
CLOSE_WAIT_S = 30.0
"""How long `close()` waits for reads in flight before it closes anyway."""


class StoreError(Exception):
    """The store cannot read or write right now (I/O error, closed, out of memory). Clients should retry."""


class _Retry(Exception):
    """The transaction was rolled back for an error the caller handles by trying another way."""


class Store(SharedReads):
    """DuckDB storage for calls, rate cards and the repricing audit."""

    def __init__(self, con: duckdb.DuckDBPyConnection, path: str) -> None:
        self._con = con
        self.path = path
        self._write_lock = threading.Lock()
        self._closed = False
        self._readers = 0
        self._idle = threading.Condition()
        self._book = RateBook(_cards.load_stored_cards(con))

    @classmethod
    def open(cls, path: str | Path) -> Store:
        """Open (creating) the file, apply pending migrations and seed the shipped rate cards."""
        target = str(path)
        if target != ":memory:":
            Path(target).parent.mkdir(parents=True, exist_ok=True)
        try:
            con = duckdb.connect(target)
            con.execute("SET GLOBAL TimeZone = 'UTC'")
            applied = migrate(con)
            seeded = _cards.seed_cards(con)
        except duckdb.Error as exc:
            raise StoreError(f"cannot open {target}: {exc}") from exc
        if applied:
            log.info("migrated %s: %s", target, ", ".join(applied))
        if seeded:
            log.info("seeded %d rate cards", seeded)
        return cls(con, target)

    def close(self) -> None:
        """Refuse new reads, wait for those in flight, checkpoint, then close: after a clean stop the .duckdb file
        holds everything and no WAL is left. Closing twice is harmless."""
        with self._idle:  # not under the write lock: a read may end with a write (a budget's alert)
            if self._closed:
                return
            self._closed = True
            if not self._idle.wait_for(lambda: self._readers == 0, timeout=CLOSE_WAIT_S):
                log.warning("closing with %d reads still running after %.0f s", self._readers, CLOSE_WAIT_S)
        with self._write_lock:
            try:
                self._con.execute("CHECKPOINT")
            except duckdb.Error as exc:  # the WAL still holds every committed row; it is replayed at next start
                log.warning("checkpoint at close failed: %s", exc)
            try:
                self._con.close()
            except duckdb.Error as exc:  # only when the wait ran out; the process is stopping anyway
                log.warning("close failed: %s", exc)

    @property
    def book(self) -> RateBook:
        """The rate book built from the stored cards (rebuilt when a card is added)."""
        return self._book

    def ping(self) -> None:
        """Raise StoreError unless the database answers a query."""
        self.query("SELECT 1")

    def insert_calls(
        self,
        rows: Sequence[CallRow],
        *,
        priced_with: RateBook | None = None,
        reprice: Callable[[RateBook, CallRow], Any] | None = None,
    ) -> int:
        """Insert call rows in one transaction (dedupe rule applied); returns the rows added.

        Rows priced with `priced_with` are priced again with `reprice` if a card arrived meanwhile, so that no row
        misses a repricing that ran between its pricing and its insert.
        """
        if not rows:
            return 0
        # Built before taking the lock: another request's insert (DuckDB releases the GIL) runs meanwhile.
        batch = to_batch(dedupe_batch(rows))
        with self._write_lock:
            if reprice is not None and priced_with is not self._book:  # rare: a card arrived since pricing
                for row in rows:
                    reprice(self._book, row)
                batch = to_batch(dedupe_batch(rows))
            try:
                return self._transaction(lambda con: upsert_batch(con, batch), quiet=(duckdb.ConstraintException,))
            except _Retry:
                log.warning("a stored key escaped the dedupe window; retrying the batch with ON CONFLICT DO NOTHING")
                return self._transaction(lambda con: upsert_batch(con, batch, or_ignore=True))

    def query(self, sql: str, params: Sequence[Any] = ()) -> pa.Table:
        """Run one read query on a fresh cursor; the result as an Arrow table. A read of several queries uses
        `snapshot()` instead, so that they all see the same rows."""
        with self._reading() as cur:
            try:
                return cur.sql(sql, params=list(params)).to_arrow_table()
            except STORE_FAILURES as exc:
                raise StoreError(str(exc)) from exc

    @contextmanager
    def snapshot(self) -> Iterator[ReadView]:
        """A read view on one transaction: its queries see the calls committed when its first query ran, none
        ingested later, and the rate book as it was when the view opened. Nothing is written; it is rolled back."""
        book = self._book
        with self._reading() as cur:
            try:
                try:
                    cur.begin()
                except duckdb.Error as exc:
                    raise StoreError(str(exc)) from exc
                yield ReadView.on_cursor(cur, book, StoreError)
            finally:
                _rollback(cur)

    def repricings(self) -> pa.Table:
        """The repricing audit log, newest first."""
        return self.query(_reads.REPRICINGS_SQL)

    def add_card(self, card: RateCard, *, dry_run: bool, note: str = "") -> _repricing.Repricing:
        """Preview (dry_run) or apply a new card: store it, reprice the calls it covers, write the audit row.

        Raises `rates.CardFileError` when the card clashes with a stored one (same date, alias claimed twice).
        """
        before = self._book
        book = RateBook([*before.cards, card])
        if dry_run:
            with self._reading() as cur:
                try:
                    return _repricing.preview_card(cur, before, book, card)
                except STORE_FAILURES as exc:
                    raise StoreError(str(exc)) from exc
        with self._write_lock:
            before = self._book
            book = RateBook([*before.cards, card])  # re-check against cards added meanwhile

            def work(con: duckdb.DuckDBPyConnection) -> _repricing.Repricing:
                _cards.insert_card(con, card, "api")
                return _repricing.apply_card(con, before, book, card, note, audit_empty=True)

            result = self._transaction(work)
            self._book = book
            return result

    # Budgets and alerts (their SQL: _budgets.py).

    def budgets(self) -> pa.Table:
        return self.query(_budgets.BUDGETS_SQL)

    def add_budget(self, **fields: Any) -> int:
        """Store a budget (`_budgets.insert_budget`'s fields); its id."""
        return self._locked(lambda con: _budgets.insert_budget(con, **fields))

    def delete_budget(self, budget_id: int) -> bool:
        """False when there is no such budget."""
        return self._locked(lambda con: _budgets.delete_budget(con, budget_id))

    def record_alert(self, alert: dict[str, Any]) -> int | None:
        """Store an alert; None when its (budget, kind, threshold, period) is stored already."""
        return self._locked(lambda con: _budgets.insert_alert(con, alert))

    def alerts(self, limit: int) -> pa.Table:
        """The newest `limit` alerts, newest first."""
        return self.query(_budgets.ALERTS_SQL, [limit])

    def pending_alerts(self) -> pa.Table:
        """Alerts whose webhook is still to be delivered."""
        return self.query(_budgets.PENDING_SQL)

    def record_delivery(self, alert_id: int, **outcome: Any) -> None:
        """After a webhook attempt (`_budgets.record_delivery`'s fields)."""
        self._locked(lambda con: _budgets.record_delivery(con, alert_id, **outcome))

    # Provider reports for reconciliation (their SQL: _reconciliation.py; the matching: collector/reconciliation.py).

    def replace_provider_reports(self, rows: Sequence[Sequence[Any]]) -> int:
        """Store report rows (`_reconciliation.COLUMNS` order) in one transaction, each replacing the row of the
        same (provider, day, model); returns how many stored rows were replaced."""
        return self._locked(lambda con: _reconciliation.replace_reports(con, rows))

    def _locked(self, work: Callable[[duckdb.DuckDBPyConnection], Any]) -> Any:
        with self._write_lock:
            return self._transaction(work)

    @contextmanager
    def _reading(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A cursor of its own for one read, counted so that `close()` waits for it."""
        with self._idle:
            if self._closed:
                raise StoreError("the store is closed")
            self._readers += 1
        try:
            try:
                cur = self._con.cursor()
            except duckdb.Error as exc:
                raise StoreError(str(exc)) from exc
            try:
                yield cur
            finally:
                cur.close()
        finally:
            with self._idle:
                self._readers -= 1
                self._idle.notify_all()

    def _transaction(self, work, quiet: tuple[type[Exception], ...] = ()):
        """Run `work(con)` in one transaction; `quiet` DuckDB errors roll back and raise `_Retry`."""
        con = self._con
        try:
            con.begin()
        except duckdb.Error as exc:
            raise StoreError(str(exc)) from exc
        try:
            result = work(con)
            con.commit()
            return result
        except duckdb.Error as exc:
            _rollback(con)
            if isinstance(exc, quiet):
                raise _Retry from exc
            log.exception("store write failed")
            raise StoreError(f"write failed: {type(exc).__name__}") from exc
        except BaseException:
            _rollback(con)
            raise
        finally:
            drop_views(con)


def _rollback(con: duckdb.DuckDBPyConnection) -> None:
    try:
        con.rollback()
    except duckdb.Error:
        pass  # nothing to roll back, or the connection is gone: the caller reports the first error

"""The collector's daily fetch of Anthropic's usage and cost reports (off by default: TOKENLEDGER_RECONCILE_DAILY).

Once soon after start and then every `INTERVAL_S`, it fetches the `LOOKBACK_DAYS` whole UTC days before today and
stores them (a day and model fetched again replaces what was stored: the provider revises recent days, so they
are fetched several times). The usage and cost analytics API starts on 2026-01-01; earlier days are not asked for.
A failed fetch is logged (without the key) and tried again at the next run; it never stops the collector.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import date, timedelta

import anyio

from . import anthropic_reports
from .background import cancel
from .config import Settings
from .store import StoreError, StoreProtocol

log = logging.getLogger("collector.reconciliation")
LOOKBACK_DAYS = 7
INTERVAL_S = 24 * 3600
API_FIRST_DAY = date(2026, 1, 1)


def fetch_and_store(store: StoreProtocol, settings: Settings, today: date, client: object | None = None) -> int:
    """Fetch the days before `today` and store them; the rows stored (blocking: run it in a thread)."""
    end = today - timedelta(days=1)
    start = max(API_FIRST_DAY, today - timedelta(days=LOOKBACK_DAYS))
    if end < start:
        return 0
    fetched = anthropic_reports.fetch(
        start, end, client=client, admin_key=settings.anthropic_admin_key, base_url=settings.anthropic_admin_base_url
    )
    now = settings.clock()
    store.replace_provider_reports([row.stored(anthropic_reports.SOURCE, now) for row in fetched.rows])
    return len(fetched.rows)


class DailyReconcile:
    """The background task; does nothing unless `settings.reconcile_daily`."""

    def __init__(self, store: StoreProtocol, settings: Settings) -> None:
        self.store = store
        self.settings = settings
        self._task: asyncio.Task | None = None

    def start(self) -> None:
        if self.settings.reconcile_daily:
            self._task = asyncio.create_task(self._loop(), name="reconcile-daily")
            log.info("reconciliation: Anthropic's usage and cost reports are fetched daily")

    async def stop(self) -> None:
        await cancel(self._task)
        self._task = None

    async def _loop(self) -> None:
        await asyncio.sleep(self.settings.reconcile_first_delay_s)  # let the collector take requests first
        while True:
            try:
                await self.run_once()
            except Exception:  # a bug must stay visible, and must not end the task: the next day may work
                log.exception("reconciliation: the daily fetch failed")
            await asyncio.sleep(INTERVAL_S)

    async def run_once(self) -> int:
        """One fetch and store; the rows stored (0 when it failed: the reason is logged)."""
        today = self.settings.clock().date()
        try:
            rows = await anyio.to_thread.run_sync(lambda: fetch_and_store(self.store, self.settings, today))
        except (anthropic_reports.ReportFetchError, StoreError) as exc:
            log.warning("reconciliation: fetching Anthropic's reports failed: %s", exc)
            return 0
        log.info("reconciliation: stored %d Anthropic report rows (days before %s)", rows, today)
        return rows

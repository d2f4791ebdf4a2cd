"""Budget alerts: evaluated in the background, recorded once, delivered to a webhook with retries.

When a budget's spend crosses one of its thresholds, or its period's forecast passes the amount, an alert row is
written. Its key (budget, kind, threshold, period start) is unique in the store, so an alert is recorded once per
budget, threshold and period, whatever the number of evaluations or restarts. With TOKENLEDGER_ALERT_WEBHOOK_URL
set, each new alert is POSTed there (JSON with a `text` field, as Slack and Teams incoming webhooks read it);
a failed delivery is retried with a doubling delay, `ATTEMPTS_PER_PASS` times per evaluation and at most
`MAX_ATTEMPTS` times in all, then marked `failed`. Delivery is at least once: a crash between the webhook's 200
and the row's update repeats that one alert at the next start.

The evaluator runs in the collector's event loop, never in an ingest request: ingest only `nudge()`s it. Worst
case, an alert is recorded `NUDGE_DELAY_S` plus one evaluation after the ingest that crossed the threshold, and a
forecast crossing that no ingest triggers within `alert_interval_s` (default 60 s).
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime
from decimal import Decimal
from typing import Any
from urllib.parse import urlsplit

import anyio
import httpx

from rates.money import money
from rates.types import decimal_text

from .background import cancel
from .budgets import Budget, budgets_from, measure
from .config import Settings
from .store import StoreError, StoreProtocol

log = logging.getLogger("collector.alerts")
NUDGE_DELAY_S = 1.0
"""After an ingest, wait this long so that a burst of requests makes one evaluation."""
ATTEMPTS_PER_PASS = 3
MAX_ATTEMPTS = 9
WEBHOOK_TIMEOUT_S = 10.0


def crossings(budget: Budget, spent_usd: Decimal, forecast_usd: Decimal) -> list[tuple[str, Decimal]]:
    """(kind, threshold) pairs the budget has reached: every spend threshold crossed, and the forecast's 100 %
    (only while the spend itself is under the amount: past it, the forecast says nothing new)."""
    out = [("threshold", t) for t in budget.thresholds if spent_usd >= budget.amount_usd * t]
    if forecast_usd > budget.amount_usd > spent_usd:
        out.append(("forecast", Decimal(1)))
    return out


def evaluate(store: StoreProtocol, now: datetime, *, webhook: bool) -> list[int]:
    """Record the alerts due now that are not recorded yet; their ids (blocking: run it in a thread)."""
    new: list[int] = []
    for budget in budgets_from(store.budgets()):
        m = measure(store, budget, now)
        for kind, threshold in crossings(budget, m.spent_usd, m.forecast.forecast_usd):
            alert = {
                "budget_id": budget.id, "budget_name": budget.name, "kind": kind, "threshold": threshold,
                "period": budget.period, "period_start": m.period_start, "period_end": m.period_end,
                "amount_usd": budget.amount_usd, "spent_usd": money(m.spent_usd),
                "forecast_usd": money(m.forecast.forecast_usd), "created_at": now,
                "webhook": "pending" if webhook else "not_configured",
            }  # fmt: skip
            alert_id = store.record_alert(alert)
            if alert_id is not None:
                new.append(alert_id)
                log.info("budget %r: %s alert at %s", budget.name, kind, threshold)
    return new


def message(alert: dict[str, Any]) -> dict[str, Any]:
    """The webhook body: a readable `text` plus the structured fields (money as decimal strings)."""
    amount, spent, forecast = alert["amount_usd"], alert["spent_usd"], alert["forecast_usd"]
    share = f"{(spent / amount * 100).quantize(Decimal('1'))}%" if amount else "?"
    period = f"{alert['period']} from {alert['period_start'].date().isoformat()}"
    if alert["kind"] == "forecast":
        text = (
            f"tokenledger: budget '{alert['budget_name']}' is forecast to end its {period} at "
            f"${_usd(forecast)}, over its ${_usd(amount)} (spent so far ${_usd(spent)}, {share})."
        )
    else:
        text = (
            f"tokenledger: budget '{alert['budget_name']}' has spent ${_usd(spent)} of ${_usd(amount)} ({share}) "
            f"in its {period}, crossing {(alert['threshold'] * 100).normalize():f}%. Forecast: ${_usd(forecast)}."
        )
    fields = {
        k: (decimal_text(v) if isinstance(v, Decimal) else v.isoformat() if isinstance(v, datetime) else v)
        for k, v in alert.items()
        if k not in ("webhook", "attempts", "delivered_at", "last_error")
    }
    fields["alert_id"] = fields.pop("id")
    return {"text": text, **fields}


def _usd(value: Decimal) -> str:
    return f"{value.quantize(Decimal('0.01')):,}"


class Evaluator:
    """The background task: evaluates every `alert_interval_s` and soon after a nudge, then delivers webhooks."""

    def __init__(self, store: StoreProtocol, settings: Settings, http_client: httpx.AsyncClient | None = None) -> None:
        self.store = store
        self.settings = settings
        self._http = http_client
        self._wake = asyncio.Event()
        self._lock = asyncio.Lock()
        self._task: asyncio.Task | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._loop(), name="budget-alerts")

    async def stop(self) -> None:
        await cancel(self._task)
        self._task = None
        if self._http is not None:
            await self._http.aclose()

    def nudge(self) -> None:
        """Ask for an evaluation soon (from the event loop; returns at once)."""
        self._wake.set()

    async def _loop(self) -> None:
        while True:
            try:
                await self.run_once()
            except Exception:  # a failing evaluation must not end the task: the next one may work
                log.exception("budget evaluation failed")
            try:
                await asyncio.wait_for(self._wake.wait(), timeout=self.settings.alert_interval_s)
                await asyncio.sleep(NUDGE_DELAY_S)
            except TimeoutError:
                pass
            self._wake.clear()

    async def run_once(self) -> list[int]:
        """Evaluate every budget now, then deliver pending webhooks; the new alerts' ids."""
        async with self._lock:
            now = self.settings.clock()
            webhook = self.settings.alert_webhook_url is not None
            try:
                new = await anyio.to_thread.run_sync(lambda: evaluate(self.store, now, webhook=webhook))
            except StoreError as exc:
                log.warning("budget evaluation skipped, store unavailable: %s", exc)
                return []
            if webhook:
                await self._deliver_pending()
            return new

    async def _deliver_pending(self) -> None:
        pending = (await anyio.to_thread.run_sync(self.store.pending_alerts)).to_pylist()
        for alert in pending:
            await self._deliver(alert)

    async def _deliver(self, alert: dict[str, Any]) -> None:
        url = self.settings.alert_webhook_url
        assert url is not None
        host = urlsplit(url).hostname  # the path of a Slack/Teams URL is a secret: log the host only
        body, error, tried = message(alert), None, 0
        delay = self.settings.alert_retry_base_s
        for attempt in range(ATTEMPTS_PER_PASS):
            if alert["attempts"] + attempt >= MAX_ATTEMPTS:
                break
            if attempt:
                await asyncio.sleep(delay)
                delay *= 2
            tried += 1
            try:
                response = await self._client().post(url, json=body)
                if response.is_success:
                    error = None
                    break
                error = f"webhook answered {response.status_code}"
            except httpx.HTTPError as exc:
                error = f"webhook unreachable: {type(exc).__name__}"
            log.warning("alert %s: attempt %d to %s failed: %s", alert["id"], alert["attempts"] + tried, host, error)
        state = "delivered" if error is None else ("failed" if alert["attempts"] + tried >= MAX_ATTEMPTS else "pending")
        if error:
            log.warning("alert %s to %s not delivered yet: %s (%s)", alert["id"], host, error, state)
        await anyio.to_thread.run_sync(
            lambda: self.store.record_delivery(
                alert["id"], attempts=tried, state=state, at=self.settings.clock(), error=error
            )
        )

    def _client(self) -> httpx.AsyncClient:
        if self._http is None:  # made on first use, inside the running loop; never follows redirects
            self._http = httpx.AsyncClient(timeout=WEBHOOK_TIMEOUT_S)
        return self._http

"""Where a period's spend will end: a weekday/weekend run rate learned from the trailing weeks, with a range.

The method (written for finance in docs/api.md, "Forecast"):

- History is the complete UTC days before today, up to `HISTORY_DAYS` back, from the first day with any spend
  (a day with no call inside that span counts as $0). Today is a partial day: what it has spent so far is in
  month-to-date, and only the rest of today (the fraction of the day not yet elapsed) is forecast.
- With at least `MIN_PATTERN_DAYS` complete days and both weekdays and weekend days among them, the expected spend
  of a day is the median of the history's days of the same kind (Monday-Friday or Saturday-Sunday). The median,
  not the mean, so that one spike does not move the forecast (it widens the range instead).
- With fewer days, it is a plain run rate: the mean of the complete days, or, with none, today's spend so far
  divided by the fraction of today elapsed. The method says `run_rate` and how many days it saw.
- forecast = spent so far + the expected spend of each day left (today's rest included).
- The range: residuals are each history day's actual minus its expected spend; their standard deviation `s`,
  over `n` remaining days, gives forecast ± 1.645 · s · √n (a 90 % band if days are independent). The low end never
  goes below what is already spent. With fewer than two history days there is no spread to measure: the band is
  then ±50 % of the remaining projection.

Money is Decimal throughout. Plain Python: a few dozen daily values per group need no library (a seasonal model
from statsmodels would add a heavy dependency and hide the arithmetic finance wants to read).
"""

from __future__ import annotations

import statistics
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

HISTORY_DAYS = 28
"""Complete days before today that the pattern is learned from (four weeks: four of each weekday)."""
MIN_PATTERN_DAYS = 7
"""Complete days needed to learn the weekday/weekend pattern; fewer falls back to a plain run rate."""
Z_90 = Decimal("1.645")
"""Two-sided 90 % normal quantile."""
SHORT_BAND = Decimal("0.5")
"""With under two history days, the band is the remaining projection ± this fraction."""
_ZERO = Decimal(0)
_DAY = timedelta(days=1)


@dataclass(frozen=True)
class Forecast:
    """One period's forecast. Amounts in USD (priced plus estimated)."""

    spent_usd: Decimal
    """Spent from the period's start until now (today's partial day included)."""
    forecast_usd: Decimal
    """Expected spend at the period's end."""
    low_usd: Decimal
    high_usd: Decimal
    method: str
    """`weekday_weekend` or `run_rate`, with the days of history seen, e.g. `run_rate (3 days of history)`."""


def month_bounds(now: datetime) -> tuple[datetime, datetime]:
    """[first instant of `now`'s UTC month, first instant of the next month)."""
    start = datetime(now.year, now.month, 1, tzinfo=UTC)
    end = datetime(now.year + (now.month == 12), now.month % 12 + 1, 1, tzinfo=UTC)
    return start, end


def history_start(now: datetime, period_start: datetime) -> datetime:
    """The earliest instant whose spend a forecast reads: the trailing weeks or the period's start."""
    today = _midnight(now)
    return min(today - HISTORY_DAYS * _DAY, period_start)


def forecast(
    daily_usd: Mapping[date, Decimal], now: datetime, period_start: datetime, period_end: datetime
) -> Forecast:
    """Forecast the spend of [period_start, period_end) from `daily_usd` (UTC day -> spend) as of `now`.

    `daily_usd` should cover `history_start(now, period_start)` to now; missing days are $0.
    """
    now = now.astimezone(UTC)
    today = _midnight(now)
    period_end = max(period_end, period_start)
    spent = sum((v for d, v in daily_usd.items() if period_start.date() <= d and _at(d) < min(now, period_end)), _ZERO)
    if now >= period_end:
        return Forecast(spent, spent, spent, spent, "closed")
    history = _history(daily_usd, today)
    expected, method = _expectation(history, daily_usd.get(today.date(), _ZERO), now - today)
    elapsed = max(now, period_start)
    remaining_days: list[tuple[date, Decimal]] = []  # (day, fraction of it still to come)
    day = _midnight(elapsed)
    while day < period_end:
        begin, finish = max(day, elapsed), min(day + _DAY, period_end)
        fraction = Decimal((finish - begin).total_seconds()) / Decimal(86_400)
        if fraction > 0:
            remaining_days.append((day.date(), fraction))
        day += _DAY
    projected = sum((expected(d) * f for d, f in remaining_days), _ZERO)
    total = spent + projected
    n = sum((f for _, f in remaining_days), _ZERO)
    if len(history) >= 2:
        residuals = [v - expected(d) for d, v in history.items()]
        half = Z_90 * statistics.pstdev(residuals) * n.sqrt()
    else:
        half = projected * SHORT_BAND
    low = max(spent, total - half)
    return Forecast(spent, total, low, total + half, method)


def _expectation(history: dict[date, Decimal], today_usd: Decimal, elapsed: timedelta):
    """(day -> expected spend, method name) from the complete days of history."""
    days = len(history)
    weekdays = [v for d, v in history.items() if d.weekday() < 5]
    weekend = [v for d, v in history.items() if d.weekday() >= 5]
    if days >= MIN_PATTERN_DAYS and weekdays and weekend:
        on_weekday, on_weekend = statistics.median(weekdays), statistics.median(weekend)
        return (lambda d: on_weekday if d.weekday() < 5 else on_weekend), f"weekday_weekend ({days} days of history)"
    if days:
        rate = sum(history.values(), _ZERO) / days
    elif elapsed.total_seconds() > 0:
        rate = today_usd * Decimal(86_400) / Decimal(elapsed.total_seconds())
    else:
        rate = _ZERO
    return (lambda d: rate), f"run_rate ({days} day{'s' if days != 1 else ''} of history)"


def _history(daily_usd: Mapping[date, Decimal], today: datetime) -> dict[date, Decimal]:
    """Complete days before today, from the first with spend (within HISTORY_DAYS); gaps are $0."""
    window_start = (today - HISTORY_DAYS * _DAY).date()
    seen = [d for d, v in daily_usd.items() if window_start <= d < today.date() and v != 0]
    if not seen:
        return {}
    first, history = min(seen), {}
    day = first
    while day < today.date():
        history[day] = daily_usd.get(day, _ZERO)
        day += _DAY
    return history


def _midnight(moment: datetime) -> datetime:
    return datetime(moment.year, moment.month, moment.day, tzinfo=UTC)


def _at(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC)

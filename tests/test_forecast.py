"""The month-end forecast on synthetic daily histories with known answers (collector/forecast.py)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from collector.forecast import forecast, history_start, month_bounds

pytestmark = pytest.mark.conformance  # runs on every store (tests/plugins/collector.py)

D = Decimal


def _history(start: date, end: date, spend) -> dict[date, Decimal]:
    """Day -> spend(day) for start <= day <= end."""
    out, day = {}, start
    while day <= end:
        out[day] = D(spend(day))
        day += timedelta(days=1)
    return out


def test_constant_daily_spend_forecasts_month_to_date_plus_days_left():
    now = datetime(2026, 11, 16, tzinfo=UTC)  # midnight: 15 complete November days, 15 left (16th..30th)
    start, end = month_bounds(now)
    daily = _history(date(2026, 10, 1), date(2026, 11, 15), lambda d: "10")
    got = forecast(daily, now, start, end)
    assert got.spent_usd == D(150)
    assert got.forecast_usd == D(150) + D(10) * 15
    assert got.low_usd == got.high_usd == got.forecast_usd  # no spread in a constant history
    assert got.method.startswith("weekday_weekend")


def test_today_is_a_partial_day():
    now = datetime(2026, 11, 16, 12, tzinfo=UTC)  # half of the 16th has passed and spent half its usual 10
    start, end = month_bounds(now)
    daily = _history(date(2026, 10, 1), date(2026, 11, 15), lambda d: "10")
    daily[date(2026, 11, 16)] = D(5)
    got = forecast(daily, now, start, end)
    assert got.spent_usd == D(155)
    assert got.forecast_usd == D(300)


def test_weekday_weekend_pattern_is_learned():
    # 20 USD on weekdays, 2 USD at weekends. Now: Monday 2026-11-16 00:00; the rest of November has
    # 11 weekdays (16-20, 23-27, 30) and 4 weekend days (21, 22, 28, 29).
    now = datetime(2026, 11, 16, tzinfo=UTC)
    start, end = month_bounds(now)
    daily = _history(date(2026, 10, 12), date(2026, 11, 15), lambda d: "20" if d.weekday() < 5 else "2")
    got = forecast(daily, now, start, end)
    month_to_date = sum(v for d, v in daily.items() if d.month == 11)
    assert got.spent_usd == month_to_date == D(10 * 20 + 5 * 2)  # Nov 2-6, 9-13 weekdays; 1, 7, 8, 14, 15 weekend
    assert got.forecast_usd == month_to_date + 11 * D(20) + 4 * D(2)
    assert got.low_usd == got.high_usd == got.forecast_usd


def test_a_spike_moves_the_range_not_the_forecast():
    now = datetime(2026, 11, 16, tzinfo=UTC)
    start, end = month_bounds(now)
    daily = _history(date(2026, 10, 1), date(2026, 11, 15), lambda d: "10")
    daily[date(2026, 11, 10)] = D(500)  # one runaway day
    got = forecast(daily, now, start, end)
    assert got.spent_usd == D(640)
    assert got.forecast_usd == D(640) + D(10) * 15  # medians ignore the spike
    assert got.low_usd < got.forecast_usd < got.high_usd
    assert got.low_usd >= got.spent_usd  # never below what is already spent


def test_one_day_of_history_is_a_plain_run_rate_and_says_so():
    now = datetime(2026, 11, 2, tzinfo=UTC)  # only November 1st is complete
    start, end = month_bounds(now)
    got = forecast({date(2026, 11, 1): D(12)}, now, start, end)
    assert got.method == "run_rate (1 day of history)"
    assert got.forecast_usd == D(12) * 30
    assert got.low_usd == D(12) + D(12) * 29 * D("0.5")
    assert got.high_usd == D(12) + D(12) * 29 * D("1.5")


def test_only_todays_partial_day_extrapolates_it():
    now = datetime(2026, 11, 1, 6, tzinfo=UTC)  # a quarter of the first day: 3 USD so far
    start, end = month_bounds(now)
    got = forecast({date(2026, 11, 1): D(3)}, now, start, end)
    assert got.method == "run_rate (0 days of history)"
    assert got.forecast_usd == D(12) * 30


def test_nothing_spent_forecasts_zero():
    now = datetime(2026, 11, 16, tzinfo=UTC)
    start, end = month_bounds(now)
    got = forecast({}, now, start, end)
    assert (got.spent_usd, got.forecast_usd, got.low_usd, got.high_usd) == (0, 0, 0, 0)


def test_a_day_period_and_history_window():
    now = datetime(2026, 11, 16, 18, tzinfo=UTC)
    day_start = datetime(2026, 11, 16, tzinfo=UTC)
    daily = _history(date(2026, 10, 1), date(2026, 11, 15), lambda d: "8")
    daily[date(2026, 11, 16)] = D(6)
    got = forecast(daily, now, day_start, day_start + timedelta(days=1))
    assert got.spent_usd == D(6) and got.forecast_usd == D(8)
    assert history_start(now, day_start) == datetime(2026, 10, 19, tzinfo=UTC)
    assert month_bounds(datetime(2026, 12, 5, tzinfo=UTC))[1] == datetime(2027, 1, 1, tzinfo=UTC)

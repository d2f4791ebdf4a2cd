"""The demo's simulated traffic: deterministic, shaped per layer, and valid as GenAI usage."""

from datetime import date, timedelta

from tokenledger.demo.traffic import CALL_SITES, UNPRICED, calls_for_day, history

MONDAY = date(2026, 11, 16)


def test_same_day_gives_same_calls_and_ids():
    site = CALL_SITES[0]
    assert calls_for_day(site, MONDAY) == calls_for_day(site, MONDAY)
    assert calls_for_day(site, MONDAY) != calls_for_day(site, MONDAY + timedelta(days=1))


def test_a_week_covers_every_layer_environment_and_the_unpriced_model():
    calls = [c for _, day_calls in history(7, MONDAY + timedelta(days=7)) for c in day_calls]
    assert {c.site.layer for c in calls} == {"chat", "analysis", "drafts", "agents"}
    assert {c.site.environment for c in calls} == {"production", "staging"}
    assert any(c.site.model == UNPRICED for c in calls)
    substituted = [c for c in calls if c.site.model != c.site.used_model]
    assert substituted and all(c.site.environment == "staging" for c in substituted)
    assert len({(c.trace_id, c.span_id) for c in calls}) == len(calls)


def test_weekly_rhythm_weekends_are_quieter():
    chat = next(s for s in CALL_SITES if s.name == "chat")
    weekday = len(calls_for_day(chat, MONDAY + timedelta(days=1)))
    sunday = len(calls_for_day(chat, MONDAY + timedelta(days=6)))
    assert sunday < weekday / 2


def test_usage_is_valid_genai_usage():
    for _, calls in history(3, MONDAY):
        for c in calls:
            assert c.cache_read_tokens + c.cache_write_tokens <= c.input_tokens
            assert c.reasoning_tokens <= c.output_tokens
            assert (c.ttft_ms is not None) == (c.site.path == "stream" and c.error_type is None)
            assert c.start.date() < MONDAY


def test_agents_share_a_trace_across_steps():
    agents = next(s for s in CALL_SITES if s.path == "agent")
    calls = calls_for_day(agents, MONDAY)
    per_trace = {}
    for c in calls:
        per_trace.setdefault(c.trace_id, []).append(c)
    assert per_trace and all(len(steps) == agents.steps for steps in per_trace.values())


def test_each_day_holds_exactly_the_calls_that_start_on_it():
    # Agent runs that start late spill past midnight; the collector counts a call on the day it starts, and the
    # demo compares those counts to decide what to backfill, so history must group calls the same way.
    days = list(history(40, date(2026, 11, 26)))
    assert [d for d, _ in days] == [date(2026, 11, 26) - timedelta(days=n) for n in range(40, 0, -1)]
    assert all(c.start.date() == day for day, calls in days for c in calls)
    spilled = [c for day, calls in days for c in calls if c.start.date() != (c.start - timedelta(minutes=30)).date()]
    assert spilled  # the window does hold calls just after midnight, so the rule above is exercised


def test_failed_calls_carry_no_usage_in_the_backfill():
    from tokenledger.demo.backfill import to_record

    calls = [c for _, day_calls in history(7, MONDAY) for c in day_calls]
    failed = [to_record(c) for c in calls if c.error_type]
    assert failed and all(r.input_tokens is None and r.output_tokens is None for r in failed)
    assert {r.error_type for r in failed} <= {"529", "503", "connection_error", "500", "timeout"}


def test_default_backfill_covers_the_previous_month_and_this_month_to_date():
    # The dashboard opens on month to date against the previous month: both must hold data on any day.
    from tokenledger.demo.traffic import default_backfill_days

    for today, first in (
        (date(2026, 3, 1), date(2026, 2, 1)),  # the 1st: the whole previous month, nothing of this month yet
        (date(2026, 3, 31), date(2026, 2, 1)),
        (date(2026, 1, 15), date(2025, 12, 1)),  # across a year boundary
        (date(2024, 3, 10), date(2024, 2, 1)),  # February of a leap year
    ):
        days = default_backfill_days(today)
        assert today - timedelta(days=days) == first, today
        covered = [d for d, _ in history(days, today)]
        assert (covered[0], covered[-1]) == (first, today - timedelta(days=1))
    assert default_backfill_days(date(2026, 3, 1)) == 28
    assert default_backfill_days(date(2026, 3, 31)) == 58
    assert default_backfill_days(date(2026, 1, 15)) == 45


def test_demo_cli_defaults_to_the_month_range_and_keeps_days_as_override():
    from tokenledger.cli import build_parser

    assert build_parser().parse_args(["demo"]).days is None  # None: the runner computes the month range for today
    assert build_parser().parse_args(["demo", "--days", "7"]).days == 7


def test_customers_are_fixed_by_the_request_and_follow_their_shares():
    from collections import Counter

    from tokenledger.demo.traffic import CUSTOMERS, customer_for

    assert customer_for(12345) == customer_for(12345)
    counts = Counter(customer_for(i) for i in range(20_000))
    for name, share in CUSTOMERS:
        assert abs(counts[name] / 20_000 - share / 100) < 0.02, name

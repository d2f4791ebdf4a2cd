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

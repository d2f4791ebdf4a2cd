"""Live demo traffic follows the backfill's model: the fake providers play out the same latency and failures."""

from __future__ import annotations

import random
import statistics
from datetime import date

import pytest

from tokenledger.demo.live import plan_call, site_plan_policy
from tokenledger.demo.traffic import CALL_SITES, CLIENT_TIMEOUT_MS, draw_outcome, draw_usage, history

DRAWS = 4000


@pytest.fixture(scope="module")
def backfilled():
    return [c for _, calls in history(28, date(2026, 11, 16)) for c in calls]


def _planned_ms(plan) -> float:
    return (plan.latency_s + plan.stream_s) * 1000


@pytest.mark.parametrize("site", CALL_SITES, ids=lambda s: s.name)
def test_a_live_plan_is_the_backfill_models_draw(site):
    # Same seed, same draws: plan_call is draw_usage then draw_outcome, the functions the backfill records.
    for seed in range(300):
        plan = plan_call(site, random.Random(seed), step=1)
        rng = random.Random(seed)
        usage = draw_usage(site, rng, step=1)
        outcome = draw_outcome(site, rng, usage.output_tokens)
        assert (plan.usage.input_tokens, plan.usage.output_tokens) == (usage.input_tokens, usage.output_tokens)
        if outcome.error_type == "timeout":
            assert plan.failure is None and _planned_ms(plan) > CLIENT_TIMEOUT_MS  # the client gives up first
        elif outcome.error_type is not None:
            expected = {"529": "overloaded", "503": "overloaded", "500": "http_500"}.get(outcome.error_type)
            assert plan.failure == (expected or "disconnect")
            assert _planned_ms(plan) == pytest.approx(outcome.duration_ms)
        else:
            assert plan.failure is None
            assert _planned_ms(plan) == pytest.approx(outcome.duration_ms)
            if outcome.ttft_ms is not None:  # a stream's first frame comes at the time to first token
                assert plan.latency_s * 1000 == pytest.approx(outcome.ttft_ms)


@pytest.mark.parametrize("site", CALL_SITES, ids=lambda s: s.name)
def test_live_latency_and_errors_match_the_history(site, backfilled):
    # What the dashboard charts: live calls must sit on the backfilled history, not at ~0.5 s and 0% errors.
    rng = random.Random(f"live/{site.name}")
    plans = [plan_call(site, rng) for _ in range(DRAWS)]
    backfilled = [c for c in backfilled if c.site == site]
    live_ok = [_planned_ms(p) for p in plans if p.failure is None and _planned_ms(p) <= CLIENT_TIMEOUT_MS]
    history_ok = [c.duration_ms for c in backfilled if c.error_type is None]
    assert statistics.median(live_ok) == pytest.approx(statistics.median(history_ok), rel=0.15)
    assert statistics.median(live_ok) > 1000  # seconds, like the history; the old fakes answered in 0.3-0.6 s
    live_failed = sum(p.failure is not None or _planned_ms(p) > CLIENT_TIMEOUT_MS for p in plans) / DRAWS
    assert live_failed == pytest.approx(site.error_rate, abs=0.01)
    history_failed = sum(c.error_type is not None for c in backfilled) / len(backfilled)
    assert live_failed == pytest.approx(history_failed, abs=0.015)


def test_the_policy_finds_the_call_site_and_the_agent_step():
    sites = {s.name: s for s in CALL_SITES}
    agents = sites["agents"]
    body = {
        "system": "You are the agents step of a demo product. [site:agents]",
        "messages": [{"role": "user", "content": "a"}, {"role": "assistant", "content": "b"}],
    }
    plan = site_plan_policy(sites, random.Random(3))(body)
    assert plan == plan_call(agents, random.Random(3), step=1)

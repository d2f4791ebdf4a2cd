"""One router per file."""

from . import calls, docs, health, latency, policy, rates, review, spend, traces

ROUTERS = [
    health.router,
    traces.router,
    spend.router,
    latency.router,
    policy.router,
    calls.router,
    review.router,
    rates.router,
    docs.router,
]

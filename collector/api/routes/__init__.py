"""One router per file."""

from . import budgets, calls, docs, forecast, health, latency, policy, rates, review, spend, traces

ROUTERS = [
    health.router,
    traces.router,
    spend.router,
    latency.router,
    policy.router,
    calls.router,
    review.router,
    rates.router,
    forecast.router,
    budgets.router,
    docs.router,
]

"""One router per file."""

from . import budgets, calls, docs, export, forecast, health, latency, policy, rates, review, savings, spend, traces
from . import values as values_route
from .reconciliation import router as reconciliation_router

ROUTERS = [
    health.router,
    traces.router,
    spend.router,
    latency.router,
    values_route.router,
    policy.router,
    savings.router,
    export.router,
    calls.router,
    review.router,
    rates.router,
    forecast.router,
    budgets.router,
    reconciliation_router,
    docs.router,
]

"""One router per file."""

from . import (
    budgets,
    calls,
    docs,
    export,
    forecast,
    health,
    latency,
    policy,
    rates,
    reconciliation,
    review,
    savings,
    spend,
    traces,
)  # fmt: skip

ROUTERS = [
    health.router,
    traces.router,
    spend.router,
    latency.router,
    policy.router,
    savings.router,
    export.router,
    calls.router,
    review.router,
    rates.router,
    forecast.router,
    budgets.router,
    reconciliation.router,
    docs.router,
]

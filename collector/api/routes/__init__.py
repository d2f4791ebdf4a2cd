"""One router per file."""

from . import calls, docs, health, latency, rates, review, spend, traces

ROUTERS = [
    health.router, traces.router, spend.router, latency.router, calls.router, review.router, rates.router, docs.router,
]  # fmt: skip

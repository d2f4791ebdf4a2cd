"""The reconciliation data set: a small ledger (one call per entry) and the provider's file beside it, one row per
cause (tests/test_reconciliation.py, tests/test_dashboard_reconciliation.py)."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import rates

from .otlp import otlp_json_request, otlp_json_span

HAIKU, SONNET = "claude-haiku-4-5", "claude-sonnet-4-5"
HEADER = "date,model,input_tokens,output_tokens,cache_read_tokens,cache_write_tokens,cost_usd"
LEDGER = [  # (day of November 2025, model, input tokens, output tokens, cache reads): one call each
    (3, HAIKU, 10_000, 1_000, 4_000),
    (3, SONNET, 1_000, 100, 0),
    (3, SONNET, 1_000, 100, 0),
    (4, HAIKU, 10_000, 1_000, 0),
    (5, HAIKU, 10_000, 1_000, 0),
    (5, HAIKU, 10_000, 1_000, 0),
    (6, SONNET, 100_000, 10_000, 0),
    (7, HAIKU, 5_000, 500, 0),
    (9, HAIKU, 10_000, 1_000, 0),
]


def at(day: int) -> datetime:
    return datetime(2025, 11, day, 12, tzinfo=UTC)


def cost(day: int, model: str) -> Decimal:
    """The ledger's cost of the day and model: the same engine and cards as the collector."""
    book = rates.default_book()
    return sum(
        (rates.price_call(book, m, rates.Usage(i, o, cache_read_tokens=c), at=at(d)).cost_usd
         for d, m, i, o, c in LEDGER if (d, m) == (day, model)),
        Decimal(0),
    )  # fmt: skip


def report() -> str:
    """The provider's file: one row per cause (and a name variant, an empty cost)."""
    lines = [
        HEADER,
        f"2025-11-03,claude-haiku-4-5-20251001,10000,1000,4000,0,{cost(3, HAIKU)}",  # ok, the dated name
        f"2025-11-03,{SONNET},2000,200,,,{cost(3, SONNET) + Decimal('0.005')}",  # ok: half a cent off
        f"2025-11-04,{HAIKU},12000,1200,,,{cost(4, HAIKU) * Decimal('1.2')}",  # missing_spans
        f"2025-11-05,{HAIKU},10000,1000,,,{cost(4, HAIKU)}",  # extra_spans: the ledger has two calls
        f"2025-11-06,anthropic/{SONNET},100000,10000,0,0,{cost(6, SONNET) * 2}",  # price_mismatch
        "2025-11-08,claude-opus-4-5-20251101,3000,300,,,0.0225",  # provider_only
        f"2025-11-09,{HAIKU},10000,1000,,,",  # ok, cost not given: delta unknown
    ]  # 2025-11-07: ledger_only
    return "\n".join(lines) + "\n"


def ledger_request() -> dict:
    """The LEDGER calls as one OTLP JSON export request (our client's attributes)."""
    spans = [
        otlp_json_span(
            f"d{index:015x}",
            {"gen_ai.operation.name": "chat", "gen_ai.provider.name": "anthropic", "gen_ai.request.model": m,
             "gen_ai.usage.input_tokens": i, "gen_ai.usage.output_tokens": o,
             "gen_ai.usage.cache_read.input_tokens": c},
            start_ns=int(at(d).timestamp()) * 10**9,
        )
        for index, (d, m, i, o, c) in enumerate(LEDGER)
    ]  # fmt: skip
    return otlp_json_request(spans)

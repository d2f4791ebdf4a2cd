"""One LLM call as the collector stores it: the typed row `map_span` builds, pricing completes and the store writes.

The `calls` table's Arrow schema is derived from this class (collector/store/_calls.py) and tests/test_store_schema.py
checks both against the table the migrations create. No heavy imports: the mapping and the store both use it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

INT32 = {"bits": 32}
"""Field metadata for an int stored as a 32-bit INTEGER (every other int is a BIGINT)."""


@dataclass(slots=True, kw_only=True)
class CallRow:
    """One provider call. Token counts follow the GenAI convention (input includes cache, output reasoning)."""

    trace_id: str
    span_id: str
    response_id: str | None
    start_time: datetime
    end_time: datetime
    duration_ms: float
    service: str | None
    environment: str | None
    layer: str | None
    """Our `tokenledger.layer`, else the service name."""
    provider: str | None
    request_model: str | None
    model: str | None
    """The model that answered (response model, else request model): the model priced."""
    input_tokens: int
    output_tokens: int
    cache_read_tokens: int
    cache_write_tokens: int
    reasoning_tokens: int
    cost_usd: Decimal | None = None
    """The server's price, or the estimate when `pricing_unknown`; None until `collector.pricing` fills it."""
    pricing_unknown: bool | None = None
    card_id: str | None = None
    """The card that priced the row; None for an estimate."""
    reported_cost_usd: Decimal | None
    reported_cost_source: str | None
    status: str
    error_type: str | None
    streaming: bool
    ttft_ms: float | None
    requested_model: str | None
    operation: str | None
    span_name: str | None
    scope_name: str | None
    scope_version: str | None
    attribution_score: int = field(metadata=INT32)
    """Which copy of one call wins the dedupe: 2 for our layer, +1 for a reported cost."""
    ingested_at: datetime | None = None
    """Set by the ingest when the batch is written."""
    team: str | None = None
    """Who the call is charged to (docs/ingest.md, "Attribution"); None reads `unattributed`."""
    cost_center: str | None = None
    customer: str | None = None
    feature: str | None = None
    conversation_id: str | None = None
    """`gen_ai.conversation.id`."""
    cache_write_1h_tokens: int = 0
    """The part of `cache_write_tokens` written to the cache for one hour (the rest: 5 minutes)."""
    card_model: str | None = None
    """The model of the card that priced the row, when `model` (the name as sent) is an alias or a variant of it
    (`anthropic/claude-sonnet-4-6`, a Bedrock id, ...): spend by model groups by it. None for an estimate."""
    service_tier: str | None = None
    """`standard`, `batch`, `priority`, `flex` or `fast` (rates.SERVICE_TIERS) when the span says; None: standard."""
    estimate_source: str | None = None
    """For an estimate (`pricing_unknown`), where its rates came from: the genai-prices snapshot, else the default."""
    web_search_requests: int = 0
    """Server-side web searches the call ran (`tokenledger.usage.web_search_requests`), billed per search."""
    web_search_cost_usd: Decimal | None = None
    """Their part of `cost_usd`: 0 without searches; None when the card does not price them (not $0: unknown)."""

"""Price one call with a rate book. Money stays `Decimal`; nothing is rounded here."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from functools import cache, lru_cache

from ._cards import RateBook, load_cards, to_utc
from .types import Price, RateCard, Rates, Usage

DEFAULT_MODEL = "claude-haiku-4-5-20251001"
"""The model whose rates estimate the cost of a model with no card (the cost-safe default)."""

FALLBACK_RATES = Rates(
    input_usd_per_mtok=Decimal("1"),
    output_usd_per_mtok=Decimal("5"),
    cache_read_usd_per_mtok=Decimal("0.1"),
    cache_write_usd_per_mtok=Decimal("1.25"),
    cache_write_1h_usd_per_mtok=Decimal("2"),
)
"""Used for the estimate only when the book has no card for DEFAULT_MODEL either."""

_PER_MTOK = Decimal(1_000_000)


def cost_with(rates: Rates, usage: Usage) -> Decimal:
    """USD for one call at `rates` (reasoning tokens are part of the output count)."""
    total = (
        usage.uncached_input_tokens * rates.input_usd_per_mtok
        + usage.cache_read_tokens * rates.cache_read_usd_per_mtok
        + usage.cache_write_5m_tokens * rates.cache_write_usd_per_mtok
        + usage.cache_write_1h_tokens * rates.cache_write_1h_usd_per_mtok
        + usage.output_tokens * rates.output_usd_per_mtok
    )
    return total / _PER_MTOK


def price_call(
    book: RateBook, model: str, usage: Usage, *, at: datetime | None = None, service_tier: str | None = None
) -> Price:
    """Price one call with `book`: the card in force at `at`, else an estimate at the default model's rates.

    `service_tier` (`rates.SERVICE_TIERS`) multiplies the token rates by the card's multiplier for it; a tier the
    card does not price, and every estimate, is billed at the standard rates (an estimate errs high, not low).
    """
    if not isinstance(usage, Usage):
        raise TypeError(f"usage must be a rates.Usage, got {type(usage).__name__}")
    when = at if at is not None else datetime.now(UTC)
    card = book.find(model, when)
    if card is not None:
        tokens = cost_with(card.rates_for(usage.input_tokens, service_tier), usage)
        searches = web_search_cost(card, usage)
        return Price(tokens + (searches or 0), False, card, web_search_cost_usd=searches)
    # An estimate: the public price when the shipped snapshot knows the model (a low estimate is the worst kind for
    # a budget: the default's rates were 2x low for gpt-4o, 5-15x for Opus-class names), else the default model's.
    card = snapshot_estimate(model, to_utc(when))
    if card is not None:
        source = f"{card.source.split(',')[0]} (model {card.model})"
    else:
        card = book.find(DEFAULT_MODEL, when)
        source = f"default: {DEFAULT_MODEL} rates" if card is not None else "default: fallback rates"
    rates = card.rates_for(usage.input_tokens) if card is not None else FALLBACK_RATES
    searches = web_search_cost(card, usage)
    return Price(cost_with(rates, usage) + (searches or 0), True, card, source, searches)


def web_search_cost(card: RateCard | None, usage: Usage) -> Decimal | None:
    """USD for the call's web searches at the card's per-1,000 price (0 without searches; None: not priced)."""
    if not usage.web_search_requests:
        return Decimal(0)
    if card is None or card.web_search_usd_per_kcount is None:
        return None
    return usage.web_search_requests * card.web_search_usd_per_kcount / 1000


def snapshot_estimate(model: str, at: datetime) -> RateCard | None:
    """The genai-prices snapshot's card in force at `at` for a model no card covers; None when it does not know it."""
    in_force = [c for c in _snapshot_versions(model.strip().lower()) if c.effective_from <= at]
    return in_force[-1] if in_force else None


@lru_cache(maxsize=4096)
def _snapshot_versions(model: str) -> tuple[RateCard, ...]:
    # genai-prices is imported here, for an unknown name only (~140 ms once); a bounded cache per name sent.
    from ._snapshot import snapshot_cards

    try:
        return tuple(snapshot_cards(model))
    except (LookupError, ValueError):
        return ()


@cache
def default_book() -> RateBook:
    """The book built from the shipped card file, loaded once."""
    return RateBook(load_cards())


def compute_cost_usd(
    model: str,
    input_tokens: int,
    output_tokens: int,
    *,
    cache_read_tokens: int = 0,
    cache_write_tokens: int = 0,
    cache_write_1h_tokens: int = 0,
    web_search_requests: int = 0,
    at: datetime | None = None,
    service_tier: str | None = None,
) -> tuple[Decimal, bool]:
    """Return `(cost_usd, pricing_unknown)` for one call, priced with the shipped cards.

    `input_tokens` counts all input tokens, cache reads and writes included (the OpenTelemetry GenAI
    convention); the uncached part is priced at the input rate. `cache_write_1h_tokens` is the part of the cache
    writes written for one hour (priced at the card's 1-hour rate). A model with no card in force at `at`
    (default: now) is estimated at the default model's rates and flagged `pricing_unknown=True`. `service_tier`
    applies the card's multiplier for that tier (batch, fast, ...). `web_search_requests` are priced per search at
    the card's `web_search_usd_per_kcount` (not at all when the card has none).
    """
    usage = Usage(
        input_tokens,
        output_tokens,
        cache_read_tokens=cache_read_tokens,
        cache_write_tokens=cache_write_tokens,
        cache_write_1h_tokens=cache_write_1h_tokens,
        web_search_requests=web_search_requests,
    )
    price = price_call(default_book(), model, usage, at=at, service_tier=service_tier)
    return price.cost_usd, price.pricing_unknown

"""Price one call with a rate book. Money stays `Decimal`; nothing is rounded here."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from functools import cache

from ._cards import RateBook, load_cards
from .types import Price, Rates

DEFAULT_MODEL = "claude-haiku-4-5-20251001"
"""The model whose rates estimate the cost of a model with no card (the cost-safe default)."""

FALLBACK_RATES = Rates(
    input_usd_per_mtok=Decimal("1"),
    output_usd_per_mtok=Decimal("5"),
    cache_read_usd_per_mtok=Decimal("0.1"),
    cache_write_usd_per_mtok=Decimal("1.25"),
)
"""Used for the estimate only when the book has no card for DEFAULT_MODEL either."""

_PER_MTOK = Decimal(1_000_000)


def _check_count(name: str, value: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be an int, got {type(value).__name__}")
    if value < 0:
        raise ValueError(f"{name} must be >= 0, got {value}")
    return value


def cost_with(rates: Rates, input_tokens: int, output_tokens: int, cache_read_tokens: int, cache_write_tokens: int):
    """USD for one call at `rates`; `input_tokens` includes the cache reads and writes."""
    uncached = input_tokens - cache_read_tokens - cache_write_tokens
    total = (
        uncached * rates.input_usd_per_mtok
        + cache_read_tokens * rates.cache_read_usd_per_mtok
        + cache_write_tokens * rates.cache_write_usd_per_mtok
        + output_tokens * rates.output_usd_per_mtok
    )
    return total / _PER_MTOK


def price_call(
    book: RateBook,
    model: str,
    input_tokens: int,
    output_tokens: int,
    *,
    cache_read_tokens: int = 0,
    cache_write_tokens: int = 0,
    at: datetime | None = None,
) -> Price:
    """Price one call with `book`: the card in force at `at`, else an estimate at the default model's rates."""
    counts = (input_tokens, output_tokens, cache_read_tokens, cache_write_tokens)
    names = ("input_tokens", "output_tokens", "cache_read_tokens", "cache_write_tokens")
    for name, value in zip(names, counts, strict=True):
        _check_count(name, value)
    if cache_read_tokens + cache_write_tokens > input_tokens:
        raise ValueError(
            f"input_tokens ({input_tokens}) must include cache_read_tokens ({cache_read_tokens}) "
            f"and cache_write_tokens ({cache_write_tokens})"
        )
    when = at if at is not None else datetime.now(UTC)
    card = book.find(model, when)
    unknown = card is None
    if unknown:
        card = book.find(DEFAULT_MODEL, when)
    rates = card.rates_for(input_tokens) if card is not None else FALLBACK_RATES
    return Price(cost_with(rates, *counts), unknown, card)


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
    at: datetime | None = None,
) -> tuple[Decimal, bool]:
    """Return `(cost_usd, pricing_unknown)` for one call, priced with the shipped cards.

    `input_tokens` counts all input tokens, cache reads and writes included (the OpenTelemetry GenAI
    convention); the uncached part is priced at the input rate. A model with no card in force at `at`
    (default: now) is estimated at the default model's rates and flagged `pricing_unknown=True`.
    """
    price = price_call(
        default_book(),
        model,
        input_tokens,
        output_tokens,
        cache_read_tokens=cache_read_tokens,
        cache_write_tokens=cache_write_tokens,
        at=at,
    )
    return price.cost_usd, price.pricing_unknown

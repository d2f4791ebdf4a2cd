"""Rate-card data types. Money is `Decimal` USD; rates are USD per million tokens."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from functools import cached_property

PRICE_FIELDS = (
    "input_usd_per_mtok",
    "output_usd_per_mtok",
    "cache_read_usd_per_mtok",
    "cache_write_usd_per_mtok",
    "cache_write_1h_usd_per_mtok",
)


@dataclass(frozen=True)
class Usage:
    """The token counts of one call, in the OpenTelemetry GenAI convention.

    `input_tokens` includes the cache reads and writes; `output_tokens` includes the reasoning tokens;
    `cache_write_tokens` includes the 1-hour writes `cache_write_1h_tokens` (the rest are 5-minute writes). Named
    fields instead of loose ints, which are easy to swap. Raises `TypeError` for a count that is not an int and
    `ValueError` for a negative count, cache counts above the input count or 1-hour writes above all writes.
    """

    input_tokens: int
    output_tokens: int
    cache_read_tokens: int = 0
    cache_write_tokens: int = 0
    reasoning_tokens: int = 0
    cache_write_1h_tokens: int = 0
    web_search_requests: int = 0
    """Server-side web searches the call ran (Anthropic's `server_tool_use.web_search_requests`), billed per search."""

    def __post_init__(self) -> None:
        for name in USAGE_FIELDS:
            count = getattr(self, name)
            if isinstance(count, bool) or not isinstance(count, int):
                raise TypeError(f"{name} must be an int, got {type(count).__name__}")
            if count < 0:
                raise ValueError(f"{name} must be >= 0, got {count}")
        if self.cache_read_tokens + self.cache_write_tokens > self.input_tokens:
            raise ValueError(
                f"input_tokens ({self.input_tokens}) must include cache_read_tokens ({self.cache_read_tokens}) "
                f"and cache_write_tokens ({self.cache_write_tokens})"
            )
        if self.cache_write_1h_tokens > self.cache_write_tokens:
            raise ValueError(
                f"cache_write_tokens ({self.cache_write_tokens}) must include cache_write_1h_tokens "
                f"({self.cache_write_1h_tokens})"
            )

    @property
    def uncached_input_tokens(self) -> int:
        """Input tokens neither read from nor written to the prompt cache (priced at the input rate)."""
        return self.input_tokens - self.cache_read_tokens - self.cache_write_tokens

    @property
    def cache_write_5m_tokens(self) -> int:
        """Cache writes that are not 1-hour writes (Anthropic's default 5-minute TTL)."""
        return self.cache_write_tokens - self.cache_write_1h_tokens


USAGE_FIELDS = (
    "input_tokens",
    "output_tokens",
    "cache_read_tokens",
    "cache_write_tokens",
    "reasoning_tokens",
    "cache_write_1h_tokens",
    "web_search_requests",
)


@dataclass(frozen=True)
class Rates:
    """One set of rates, USD per million tokens."""

    input_usd_per_mtok: Decimal
    """USD per million uncached input tokens."""
    output_usd_per_mtok: Decimal
    """USD per million output tokens (reasoning tokens included)."""
    cache_read_usd_per_mtok: Decimal
    """USD per million input tokens read from the prompt cache."""
    cache_write_usd_per_mtok: Decimal
    """USD per million input tokens written to the prompt cache (5-minute writes: Anthropic's default TTL)."""
    cache_write_1h_usd_per_mtok: Decimal
    """USD per million input tokens written to the prompt cache for one hour (defaults to the cache-write rate)."""

    def scaled(self, factor: Decimal) -> Rates:
        """Every rate times `factor` (a service tier's multiplier)."""
        if factor == 1:
            return self
        return Rates(*(getattr(self, name) * factor for name in PRICE_FIELDS))


_ONE = Decimal(1)

SERVICE_TIERS = ("standard", "batch", "priority", "flex", "fast")
"""Values of `tokenledger.service_tier`: the provider's processing tier, or `fast` for a fast-speed call (genai-prices'
`speed: fast` variant). A card's `service_tiers` gives a multiplier of its token rates for any but `standard`."""


@dataclass(frozen=True)
class LongContextTier:
    """Other rates for every token of a call whose input exceeds `above_input_tokens` (Anthropic's >200k pricing)."""

    above_input_tokens: int
    rates: Rates


@dataclass(frozen=True)
class RateCard:
    """The prices of one model from `effective_from` until the model's next card."""

    model: str
    rates: Rates
    effective_from: datetime
    """UTC instant from which this card is in force."""
    source: str
    """Where the figures came from, with its date."""
    provider: str | None = None
    aliases: tuple[str, ...] = ()
    long_context: LongContextTier | None = None
    note: str = ""
    service_tiers: tuple[tuple[str, Decimal], ...] = ()
    """(tier, multiplier of every token rate), sorted by tier; a tier left out is billed at the standard rates."""
    web_search_usd_per_kcount: Decimal | None = None
    """USD per 1,000 server-side web searches (not scaled by the service tier); None: not priced by this card."""

    @cached_property
    def card_id(self) -> str:
        """Stable identifier: `model@effective_from` (ISO date or instant)."""
        # Cached: every priced row names its card, and formatting the instant is most of pricing a known model.
        return card_id(self.model, self.effective_from)

    def tier_multiplier(self, service_tier: str | None) -> Decimal:
        """The multiplier of the token rates for `service_tier` (1 for standard, None or a tier the card omits)."""
        wanted = service_tier or "standard"
        for tier, factor in self.service_tiers:
            if tier == wanted:
                return factor
        return _ONE

    def rates_for(self, input_tokens: int, service_tier: str | None = None) -> Rates:
        """The rates that apply to a call with this many input tokens (cache included) in `service_tier`."""
        if self.long_context is not None and input_tokens > self.long_context.above_input_tokens:
            return self.long_context.rates.scaled(self.tier_multiplier(service_tier))
        return self.rates.scaled(self.tier_multiplier(service_tier))


@dataclass(frozen=True)
class Price:
    """The outcome of pricing one call."""

    cost_usd: Decimal
    pricing_unknown: bool
    """True when no card covers the model at the call's time: `cost_usd` is then an estimate."""
    card: RateCard | None = None
    """The card that priced the call (for an estimate: the snapshot's card or the default model's card), if any."""
    estimate_source: str | None = None
    """For an estimate, what its rates are: the genai-prices snapshot's price of the model, else the default's."""
    web_search_cost_usd: Decimal | None = Decimal(0)
    """The web searches' part of `cost_usd`; None when the call ran searches the card does not price."""

    @property
    def card_id(self) -> str | None:
        return self.card.card_id if self.card is not None else None


@dataclass(frozen=True)
class CardDiff:
    """A difference between a shipped card and the genai-prices snapshot."""

    model: str
    field: str
    ours: str
    snapshot: str


def card_id(model: str, effective_from: datetime) -> str:
    """A card's stable identifier: `model@2026-01-01` at midnight UTC, else `model@` and the UTC instant."""
    stamp = effective_from.astimezone(UTC) if effective_from.tzinfo is not None else effective_from
    text = stamp.date().isoformat() if stamp.time() == stamp.min.time() else stamp.isoformat()
    return f"{model}@{text}"


def decimal_text(value: Decimal) -> str:
    """A Decimal as plain text without exponent or trailing zeros: Decimal('10.0') -> '10'."""
    return format(value.normalize(), "f")

"""Bridge to the genai-prices snapshot (offline public price data): suggest cards and check ours against it."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime
from decimal import Decimal

import genai_prices
from genai_prices import data_snapshot
from genai_prices.types import ConditionalPrice, ModelInfo, ModelPrice, StartDateConstraint, TieredPrices

from ._cards import RateBook, to_utc
from .types import PRICE_FIELDS, CardDiff, LongContextTier, RateCard, Rates, decimal_text

BASE_EFFECTIVE_FROM = datetime(2023, 1, 1, tzinfo=UTC)
"""genai-prices gives no start date for a model's first price; cards taken from it start here."""

_SNAPSHOT_KEYS = {
    "input_usd_per_mtok": "input_mtok",
    "output_usd_per_mtok": "output_mtok",
    "cache_read_usd_per_mtok": "cache_read_mtok",
    "cache_write_usd_per_mtok": "cache_write_mtok",
    "cache_write_1h_usd_per_mtok": "cache_write_1h_mtok",
}


_CACHE_1H = "cache_write_1h_usd_per_mtok"

_PROVIDER_NAMES = {"x-ai": "x_ai"}
"""genai-prices provider ids that differ from the OpenTelemetry `gen_ai.provider.name` values we use."""


def snapshot_source() -> str:
    return f"genai-prices {genai_prices.__version__} snapshot"


def _snapshot_provider(provider: str | None) -> str | None:
    reverse = {ours: theirs for theirs, ours in _PROVIDER_NAMES.items()}
    return reverse.get(provider, provider) if provider else None


def _lookup(model: str, provider: str | None = None) -> tuple[str, ModelInfo] | None:
    try:
        found_provider, info = data_snapshot.get_snapshot().find_provider_model(
            model, None, _snapshot_provider(provider), None
        )
    except LookupError:
        return None
    return _PROVIDER_NAMES.get(found_provider.id, found_provider.id), info


_TIER_OF = {
    ("processing", "batch"): "batch",
    ("speed", "fast"): "fast",
    ("service_tier", "priority"): "priority",
    ("service_tier", "flex"): "flex",
}
"""genai-prices' price-variant conditions (`PriceVariant.when`) as our `tokenledger.service_tier` values."""


def _multiplier(standard: ModelPrice, variant: ModelPrice) -> Decimal | None:
    """The one factor turning every token price of `standard` into `variant`'s, or None when there is none."""
    ratios: set[Decimal] = set()
    for theirs in _SNAPSHOT_KEYS.values():
        base, other = getattr(standard, theirs, None), getattr(variant, theirs, None)
        if other is None:  # the variant leaves this price at the standard one
            base, other = (None, None) if base is None else (base, base)
        if base is None or isinstance(base, TieredPrices) != isinstance(other, TieredPrices):
            if base is None and other is None:
                continue
            return None
        if isinstance(base, TieredPrices):
            if [t.start for t in base.tiers] != [t.start for t in other.tiers]:
                return None
            tiers = zip(base.tiers, other.tiers, strict=True)
            pairs = [(base.base, other.base), *((a.price, b.price) for a, b in tiers)]
        else:
            pairs = [(base, other)]
        for a, b in pairs:
            if a == 0:
                if b != 0:
                    return None
                continue
            ratios.add((b / a).normalize())
    return ratios.pop() if len(ratios) == 1 else None


def _tiers(info: ModelInfo, price: ModelPrice, at: datetime) -> tuple[tuple[str, Decimal], ...]:
    """The service-tier multipliers of the variants active at `at` (variants no multiplier expresses are left out)."""
    out: dict[str, Decimal] = {}
    for variant in info.price_variants or ():
        constraint = variant.constraint
        if constraint is not None and not (
            isinstance(constraint, StartDateConstraint) and to_utc(constraint.start_date) <= at
        ):
            continue
        tier = _TIER_OF.get(tuple(variant.when.items())[0]) if len(variant.when) == 1 else None
        factor = _multiplier(price, variant.prices) if tier else None
        if tier and factor is not None and factor != 1:
            out.setdefault(tier, factor)
    return tuple(sorted(out.items()))


def _card(model: str, provider: str, price: ModelPrice, start: datetime, aliases: tuple[str, ...]) -> RateCard | None:
    base: dict[str, Decimal] = {}
    tier_start: int | None = None
    tier: dict[str, Decimal] = {}
    for ours, theirs in _SNAPSHOT_KEYS.items():
        value = getattr(price, theirs, None)
        if isinstance(value, TieredPrices):
            if len(value.tiers) != 1 or tier_start not in (None, value.tiers[0].start):
                return None  # a shape our cards cannot express; leave it to a human
            tier_start = value.tiers[0].start
            base[ours], tier[ours] = value.base, value.tiers[0].price
        elif value is not None:
            base[ours] = value
    if "input_usd_per_mtok" not in base or "output_usd_per_mtok" not in base:
        return None  # not priced per token (audio, images)
    # A price the snapshot leaves out: the cache is billed as input; an untiered rate keeps its base value.
    # 1-hour writes without their own price are billed at the cache-write rate (genai-prices does the same).
    for key in PRICE_FIELDS:
        base.setdefault(key, base["cache_write_usd_per_mtok"] if key == _CACHE_1H else base["input_usd_per_mtok"])
    if tier:
        tier.setdefault("input_usd_per_mtok", base["input_usd_per_mtok"])
        for key in PRICE_FIELDS:
            if key == _CACHE_1H:
                tier.setdefault(key, tier["cache_write_usd_per_mtok"])
            else:
                tier.setdefault(key, tier["input_usd_per_mtok"] if key.startswith("cache_") else base[key])
    long_context = LongContextTier(tier_start, Rates(**tier)) if tier and tier_start is not None else None
    return RateCard(
        model=model,
        rates=Rates(**base),
        effective_from=start,
        source=f"{snapshot_source()}, read {date.today().isoformat()} (model {model})",
        provider=provider,
        aliases=aliases,
        long_context=long_context,
    )


def _exact_aliases(info: ModelInfo) -> tuple[str, ...]:
    """Names the snapshot matches exactly (prefix and regex rules cannot become aliases)."""
    clauses = getattr(info.match, "or_", [info.match])
    names = [c.equals for c in clauses if hasattr(c, "equals")]
    return tuple(n for n in dict.fromkeys(names) if n != info.id)


def snapshot_cards(model: str, provider: str | None = None) -> list[RateCard]:
    """Every dated price genai-prices knows for `model`, as cards (empty when it does not know the model)."""
    found = _lookup(model, provider)
    if found is None:
        return []
    provider_id, info = found
    prices: list[tuple[datetime, ModelPrice]] = []
    if isinstance(info.prices, ModelPrice):
        prices.append((BASE_EFFECTIVE_FROM, info.prices))
    else:
        for conditional in info.prices:
            prices.append((_start_of(conditional), conditional.prices))
    # A dated price variant (genai-prices dates its batch prices from when it added them) starts a card too.
    starts = {start for start, _ in prices}
    for variant in info.price_variants or ():
        if isinstance(variant.constraint, StartDateConstraint):
            starts.add(max(to_utc(variant.constraint.start_date), BASE_EFFECTIVE_FROM))
    aliases = _exact_aliases(info)
    cards = []
    for start in sorted(starts):
        in_force = [price for begin, price in prices if begin <= start] or [prices[0][1]]
        card = _card(info.id, provider_id, in_force[-1], start, aliases)
        if card is not None:
            searches = getattr(in_force[-1], "web_searches_kcount", None)
            card = replace(card, service_tiers=_tiers(info, in_force[-1], start), web_search_usd_per_kcount=searches)
            cards.append(card)
    return cards


def _start_of(conditional: ConditionalPrice) -> datetime:
    constraint = conditional.constraint
    if constraint is None:
        return BASE_EFFECTIVE_FROM
    if isinstance(constraint, StartDateConstraint):
        return to_utc(constraint.start_date)
    raise ValueError(f"unsupported genai-prices constraint {constraint!r}")


def suggest_card(model: str, at: datetime | None = None, provider: str | None = None) -> RateCard | None:
    """The snapshot's card for `model` in force at `at` (default now), or None when the snapshot does not know it."""
    when = to_utc(at) if at is not None else datetime.now(UTC)
    in_force = [c for c in snapshot_cards(model, provider) if c.effective_from <= when]
    return in_force[-1] if in_force else None


def _describe(card: RateCard | None) -> dict[str, str]:
    if card is None:
        return {}
    out = {k: decimal_text(getattr(card.rates, k)) for k in PRICE_FIELDS}
    out["service_tiers"] = ", ".join(f"{t}={decimal_text(m)}" for t, m in card.service_tiers) or "-"
    searches = card.web_search_usd_per_kcount
    out["web_search_usd_per_kcount"] = "-" if searches is None else decimal_text(searches)
    if card.long_context is not None:
        out["long_context.above_input_tokens"] = str(card.long_context.above_input_tokens)
        for k in PRICE_FIELDS:
            out[f"long_context.{k}"] = decimal_text(getattr(card.long_context.rates, k))
    return out


def compare_with_snapshot(book: RateBook) -> list[CardDiff]:
    """For every card, the fields where the snapshot's price at the card's effective date differs; and the
    snapshot's later price changes that have no card here."""
    diffs: list[CardDiff] = []
    by_model: dict[str, list[RateCard]] = {}
    for card in book.cards:
        by_model.setdefault(card.model, []).append(card)
    for model, cards in sorted(by_model.items()):
        # A price change in the snapshot after our first card, with no card of ours from that date, is missing.
        ours = {c.effective_from for c in cards}
        for theirs in snapshot_cards(model, cards[0].provider):
            if theirs.effective_from > min(ours) and theirs.effective_from not in ours:
                when = theirs.effective_from.date().isoformat()
                diffs.append(CardDiff(model, "(card)", "none", f"a price from {when}"))
    for card in sorted(book.cards, key=lambda c: (c.model, c.effective_from)):
        theirs = suggest_card(card.model, card.effective_from, card.provider)
        if theirs is None:
            diffs.append(CardDiff(card.model, "(card)", card.card_id, "not in snapshot"))
            continue
        ours_fields, their_fields = _describe(card), _describe(theirs)
        for key in sorted(set(ours_fields) | set(their_fields)):
            a, b = ours_fields.get(key, "-"), their_fields.get(key, "-")
            if a != b:
                diffs.append(CardDiff(card.model, key, a, b))
    return diffs

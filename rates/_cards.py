"""Load and validate rate-card files, and find the card in force for a model at an instant."""

from __future__ import annotations

import bisect
import tomllib
from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime
from decimal import Decimal
from importlib import resources
from pathlib import Path
from typing import Any

from ._names import name_variants
from .money import MONEY_SCALE
from .types import PRICE_FIELDS, SERVICE_TIERS, LongContextTier, RateCard, Rates

_CARD_KEYS = {
    "model", "provider", "aliases", "effective_from", "source", "note", "long_context", "service_tiers",
    "web_search_usd_per_kcount", *PRICE_FIELDS
}  # fmt: skip
_REQUIRED = ("model", "effective_from", "source", "input_usd_per_mtok", "output_usd_per_mtok")
_TIER_KEYS = {"above_input_tokens", *PRICE_FIELDS}
MAX_USD_PER_MTOK = Decimal(1_000_000)
"""The highest price a card may give (1 USD a token): with at most 10**12 tokens a call, every cost fits the store."""
PRICE_DECIMALS = MONEY_SCALE
"""Prices are stored as DECIMAL(38, 12): more decimals are an error, not silently rounded."""
MAX_THRESHOLD_TOKENS = 2**63 - 1
"""`long_context.above_input_tokens` is stored as BIGINT."""


class CardFileError(ValueError):
    """A rate-card file is invalid. The message names the file, the model and the reason."""

    def __init__(self, path: str, model: str | None, reason: str) -> None:
        self.path, self.model, self.reason = path, model, reason
        where = f"{path}: model {model!r}" if model else path
        super().__init__(f"{where}: {reason}")


def default_cards_path() -> Path:
    """The card file shipped in the package."""
    return Path(str(resources.files("rates").joinpath("cards.toml")))


def to_utc(value: date | datetime) -> datetime:
    """A TOML date means 00:00 UTC that day; a naive datetime is taken as UTC."""
    if isinstance(value, datetime):
        if value.tzinfo is UTC:  # already UTC (every ingested span): nothing to convert
            return value
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    return datetime(value.year, value.month, value.day, tzinfo=UTC)


def _price(path: str, model: str, key: str, value: Any) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, int | Decimal | str):
        raise CardFileError(path, model, f"{key} must be a number, got {value!r}")
    try:
        price = Decimal(value)
    except ArithmeticError:
        raise CardFileError(path, model, f"{key} is not a number: {value!r}") from None
    if not price.is_finite():
        raise CardFileError(path, model, f"{key} must be finite, got {value!r}")
    if price < 0:
        raise CardFileError(path, model, f"negative price {key} = {value}")
    if price > MAX_USD_PER_MTOK:
        raise CardFileError(path, model, f"{key} must be at most {MAX_USD_PER_MTOK} USD per Mtok, got {value}")
    if price != price.quantize(Decimal(1).scaleb(-PRICE_DECIMALS)):
        raise CardFileError(path, model, f"{key} has more than {PRICE_DECIMALS} decimals: {value}")
    return price


def _rates(path: str, model: str, raw: Mapping[str, Any], fallback: Rates | None = None) -> Rates:
    """Cache rates default to the input rate: a provider that does not price the cache bills it as input. The
    1-hour cache-write rate defaults to the cache-write rate of the same table (genai-prices bills 1-hour writes at
    `cache_write_mtok` when a model has no `cache_write_1h_mtok`)."""
    base = fallback
    values = {}
    for key in PRICE_FIELDS:
        if key in raw:
            values[key] = _price(path, model, key, raw[key])
        elif key == "cache_write_1h_usd_per_mtok" and (base is None or "cache_write_usd_per_mtok" in raw):
            values[key] = values["cache_write_usd_per_mtok"]
        elif base is not None:
            values[key] = getattr(base, key)
        elif key.startswith("cache_"):
            values[key] = values["input_usd_per_mtok"]
        else:
            raise CardFileError(path, model, f"missing field {key!r}")
    return Rates(**values)


def card_from_mapping(raw: Mapping[str, Any], path: str = "<card>") -> RateCard:
    """Build one card from a TOML table or an API body, validating every field."""
    model = raw.get("model")
    if not isinstance(model, str) or not model.strip():
        raise CardFileError(path, None, "a card is missing field 'model' (a non-empty string)")
    model = model.strip()
    unknown = sorted(set(raw) - _CARD_KEYS)
    if unknown:
        raise CardFileError(path, model, f"unknown key(s) {', '.join(unknown)}")
    for key in _REQUIRED:
        if key not in raw:
            raise CardFileError(path, model, f"missing field {key!r}")
    effective = raw["effective_from"]
    if isinstance(effective, str):
        try:
            effective = datetime.fromisoformat(effective)
        except ValueError:
            raise CardFileError(path, model, f"effective_from is not an ISO date: {effective!r}") from None
    if not isinstance(effective, date):
        raise CardFileError(path, model, f"effective_from must be a date, got {effective!r}")
    try:
        effective = to_utc(effective)
    except OverflowError:  # an offset that moves 9999-12-31 or 0001-01-01 past the calendar's edge
        text = raw["effective_from"]
        raise CardFileError(path, model, f"effective_from is outside years 1 to 9999 in UTC: {text!r}") from None
    aliases = raw.get("aliases", [])
    if not isinstance(aliases, list) or not all(isinstance(a, str) and a.strip() for a in aliases):
        raise CardFileError(path, model, "aliases must be a list of non-empty strings")
    source = raw["source"]
    if not isinstance(source, str) or not source.strip():
        raise CardFileError(path, model, "source must be a non-empty string")
    provider = raw.get("provider")
    if provider is not None and (not isinstance(provider, str) or not provider.strip()):
        raise CardFileError(path, model, f"provider must be a non-empty string when given, got {provider!r}")
    rates = _rates(path, model, raw)
    tier = None
    if "long_context" in raw:
        table = raw["long_context"]
        if not isinstance(table, Mapping):
            raise CardFileError(path, model, "long_context must be a table")
        extra = sorted(set(table) - _TIER_KEYS)
        if extra:
            raise CardFileError(path, model, f"unknown key(s) in long_context: {', '.join(extra)}")
        threshold = table.get("above_input_tokens")
        if isinstance(threshold, bool) or not isinstance(threshold, int) or threshold < 0:
            raise CardFileError(path, model, "long_context.above_input_tokens must be a non-negative integer")
        if threshold > MAX_THRESHOLD_TOKENS:
            raise CardFileError(path, model, f"long_context.above_input_tokens must be at most {MAX_THRESHOLD_TOKENS}")
        tier = LongContextTier(threshold, _rates(path, model, table, fallback=rates))
    tiers = _service_tiers(path, model, raw.get("service_tiers", {}), [rates, *([tier.rates] if tier else [])])
    return RateCard(
        model=model,
        rates=rates,
        service_tiers=tiers,
        web_search_usd_per_kcount=(
            _price(path, model, "web_search_usd_per_kcount", raw["web_search_usd_per_kcount"])
            if raw.get("web_search_usd_per_kcount") is not None
            else None
        ),
        effective_from=effective,
        source=source.strip(),
        provider=provider.strip() if provider is not None else None,
        aliases=tuple(a.strip() for a in aliases),
        long_context=tier,
        note=str(raw.get("note", "")),
    )


MAX_TIER_MULTIPLIER = Decimal(100)


def _service_tiers(path: str, model: str, raw: Any, rates: list[Rates]) -> tuple[tuple[str, Decimal], ...]:
    """`service_tiers = { batch = 0.5, fast = 2 }`: multipliers of every token rate of the card, long context too."""
    if not isinstance(raw, Mapping):
        raise CardFileError(path, model, "service_tiers must be a table of tier = multiplier")
    out = []
    for tier, value in raw.items():
        if tier not in SERVICE_TIERS or tier == "standard":
            allowed = ", ".join(t for t in SERVICE_TIERS if t != "standard")
            raise CardFileError(path, model, f"unknown service tier {tier!r} (one of {allowed})")
        factor = _price(path, model, f"service_tiers.{tier}", value)
        if factor > MAX_TIER_MULTIPLIER:
            raise CardFileError(path, model, f"service_tiers.{tier} must be at most {MAX_TIER_MULTIPLIER}")
        step = Decimal(1).scaleb(-PRICE_DECIMALS)
        for scaled in (r.scaled(factor) for r in rates):
            for name in PRICE_FIELDS:
                rate = getattr(scaled, name)
                if rate != rate.quantize(step) or rate > MAX_USD_PER_MTOK:
                    reason = f"service_tiers.{tier} x {name} is not a price of at most {PRICE_DECIMALS} decimals"
                    raise CardFileError(path, model, reason)
        out.append((tier, factor))
    return tuple(sorted(out))


def load_cards(path: str | Path | None = None) -> list[RateCard]:
    """Read and validate a card file (default: the one shipped in the package). Raises `CardFileError`."""
    file = Path(path) if path is not None else default_cards_path()
    try:
        with file.open("rb") as fh:
            data = tomllib.load(fh, parse_float=Decimal)
    except OSError as exc:
        raise CardFileError(str(file), None, f"cannot read: {exc.strerror}") from None
    except tomllib.TOMLDecodeError as exc:
        raise CardFileError(str(file), None, f"not valid TOML: {exc}") from None
    extra = sorted(set(data) - {"cards"})
    if extra:
        raise CardFileError(str(file), None, f"unknown top-level key(s) {', '.join(extra)}")
    tables = data.get("cards", [])
    if not isinstance(tables, list):
        raise CardFileError(str(file), None, "'cards' must be an array of tables ([[cards]])")
    cards = [card_from_mapping(t, str(file)) for t in tables]
    RateBook(cards, path=str(file))  # cross-card checks: duplicates and alias clashes
    return cards


_CANONICAL_NAMES = 4096
"""Names a book remembers the card model of (`RateBook.canonical`); past this it starts again."""


class RateBook:
    """Cards indexed by model and alias; answers "which card is in force for this model at this instant"."""

    def __init__(self, cards: Iterable[RateCard], *, path: str = "<cards>") -> None:
        self._by_model: dict[str, list[RateCard]] = {}
        self._names: dict[str, str] = {}
        for card in cards:
            self._by_model.setdefault(card.model.lower(), []).append(card)
        for model, versions in self._by_model.items():
            versions.sort(key=lambda c: c.effective_from)
            for older, newer in zip(versions, versions[1:], strict=False):
                if older.effective_from == newer.effective_from:
                    raise CardFileError(
                        path, newer.model, f"two cards with the same effective_from {newer.effective_from.date()}"
                    )
            for name in {model, *(a.lower() for v in versions for a in v.aliases)}:
                owner = self._names.get(name)
                if owner is not None and owner != model:
                    raise CardFileError(path, versions[0].model, f"alias {name!r} is also claimed by {owner!r}")
                self._names[name] = model
        self._starts = {m: [c.effective_from for c in v] for m, v in self._by_model.items()}
        self._canonical: dict[str, str | None] = {}

    @property
    def cards(self) -> list[RateCard]:
        return [c for versions in self._by_model.values() for c in versions]

    def canonical(self, model: str) -> str | None:
        """The card model a name refers to: exact name or alias, else a variant form (`rates._names`)."""
        try:
            return self._canonical[model]
        except KeyError:
            pass
        found = next((self._names[name] for name in name_variants(model) if name in self._names), None)
        # The variant rules are regular expressions, too slow for every span: the answer is kept per name sent (the
        # book never changes; a new card makes a new book). Bounded, since any name can be sent.
        if len(self._canonical) >= _CANONICAL_NAMES:
            self._canonical.clear()
        self._canonical[model] = found
        return found

    def find(self, model: str, at: datetime) -> RateCard | None:
        """The card in force for `model` at `at`, or None when no card covers it."""
        key = self.canonical(model)
        if key is None:
            return None
        index = bisect.bisect_right(self._starts[key], to_utc(at)) - 1
        return self._by_model[key][index] if index >= 0 else None

    def in_force(self, at: datetime) -> list[RateCard]:
        """For every model, the card in force at `at` (models with no card yet are left out)."""
        found = (self.find(model, at) for model in self._by_model)
        return sorted((c for c in found if c is not None), key=lambda c: c.model)

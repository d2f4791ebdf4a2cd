"""Rate cards and the pricing engine: what an LLM call costs, and whether we know."""

from ._cards import CardFileError, RateBook, card_from_mapping, default_cards_path, load_cards
from ._pricing import DEFAULT_MODEL, FALLBACK_RATES, compute_cost_usd, default_book, price_call
from .money import MONEY_SCALE, fits_money, money
from .types import SERVICE_TIERS, CardDiff, LongContextTier, Price, RateCard, Rates, Usage

__all__ = [
    "SERVICE_TIERS",
    "DEFAULT_MODEL",
    "FALLBACK_RATES",
    "MONEY_SCALE",
    "CardDiff",
    "CardFileError",
    "LongContextTier",
    "Price",
    "RateBook",
    "RateCard",
    "Rates",
    "Usage",
    "card_from_mapping",
    "compare_with_snapshot",
    "compute_cost_usd",
    "default_book",
    "default_cards_path",
    "fits_money",
    "load_cards",
    "money",
    "price_call",
    "snapshot_cards",
    "suggest_card",
]

_SNAPSHOT_NAMES = {"compare_with_snapshot", "snapshot_cards", "suggest_card"}


def __getattr__(name: str):
    # genai-prices takes ~140 ms to import; only the snapshot helpers need it, so pricing a call stays light.
    if name in _SNAPSHOT_NAMES:
        from . import _snapshot

        return getattr(_snapshot, name)
    raise AttributeError(f"module 'rates' has no attribute {name!r}")

"""A model's rate cards as time windows over `calls`, and per-token rates in SQL: shared by what-if, policy
savings, cache savings and repricing so that they cannot drift apart."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import Any

from rates import RateBook, RateCard

RATE_SQL = "DECIMAL(38, 18)"
"""USD per token: a per-Mtok rate with 12 decimals divided by 1e6 is exact here."""
PER_TOKEN = Decimal(1_000_000)
"""Tokens per million: a card's `*_usd_per_mtok` divided by this is its rate per token."""


def cards_of(book: RateBook, model: str) -> list[RateCard]:
    """The cards of `model` (any of its names), oldest first; empty when it has none."""
    target = book.canonical(model)
    return sorted((c for c in book.cards if c.model.lower() == target), key=lambda c: c.effective_from)


def windows(cards: list[RateCard]) -> Iterator[tuple[RateCard, str, list[Any]]]:
    """Per card of one model (oldest first): the card, and the SQL (with parameters) true for a call that started
    while it was in force: from its `effective_from` until the next card's."""
    for i, card in enumerate(cards):
        after = cards[i + 1] if i + 1 < len(cards) else None
        sql = "start_time >= ?" + (" AND start_time < ?" if after else "")
        yield card, sql, [card.effective_from, *([after.effective_from] if after else [])]

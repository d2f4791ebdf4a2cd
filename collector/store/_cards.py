"""Rate cards in the `rate_cards` table: seeded from the shipped `rates` file, extended through the API."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal

import duckdb

from rates import CardFileError, LongContextTier, RateBook, RateCard, Rates, load_cards
from rates.types import PRICE_FIELDS, decimal_text

from . import _repricing

log = logging.getLogger("collector.store")

_COLUMNS = (
    "model, effective_from, provider, aliases, "
    + ", ".join(PRICE_FIELDS)
    + ", long_context_above_input_tokens, "
    + ", ".join(f"long_context_{f}" for f in PRICE_FIELDS)
    + ", service_tiers, web_search_usd_per_kcount, source, note, origin, created_at"
)


def load_stored_cards(con: duckdb.DuckDBPyConnection) -> list[RateCard]:
    """Every card in the table, oldest first per model."""
    rows = con.execute(f"SELECT {_COLUMNS} FROM rate_cards ORDER BY model, effective_from").fetchall()
    return [_card(row) for row in rows]


_N = len(PRICE_FIELDS)


def _card(row: tuple) -> RateCard:
    model, effective_from, provider, aliases, *rest = row
    rates = Rates(*rest[0:_N])
    threshold, tier_values = rest[_N], rest[_N + 1 : 2 * _N + 1]
    tiers, searches, source, note = rest[2 * _N + 1 : 2 * _N + 5]
    tier = LongContextTier(int(threshold), Rates(*tier_values)) if threshold is not None else None
    return RateCard(
        model=model,
        rates=rates,
        effective_from=effective_from.astimezone(UTC),
        source=source,
        provider=provider,
        aliases=tuple(aliases),
        long_context=tier,
        note=note,
        service_tiers=tuple(sorted((k, Decimal(v)) for k, v in json.loads(tiers).items())),
        web_search_usd_per_kcount=searches,
    )


def insert_card(con: duckdb.DuckDBPyConnection, card: RateCard, origin: str) -> None:
    """Insert one card row (the caller holds the transaction)."""
    tier = card.long_context
    tier_values = [getattr(tier.rates, f) for f in PRICE_FIELDS] if tier else [None] * _N
    values = [
        card.model,
        card.effective_from,
        card.provider,
        list(card.aliases),
        *(getattr(card.rates, f) for f in PRICE_FIELDS),
        tier.above_input_tokens if tier else None,
        *tier_values,
        json.dumps({t: decimal_text(m) for t, m in card.service_tiers}),
        card.web_search_usd_per_kcount,
        card.source,
        card.note,
        origin,
        datetime.now(UTC),
    ]
    marks = ", ".join("?" for _ in values)
    con.execute(f"INSERT INTO rate_cards ({_COLUMNS}) VALUES ({marks})", values)


SEED_NOTE = "seeded from rates/cards.toml"
UPGRADE_NOTE = "seeded card given its 1-hour cache-write, service-tier and web-search prices from rates/cards.toml"


def _as_migrated(card: RateCard) -> RateCard:
    """`card` as the issue 17 migrations left a stored copy of it: 1-hour writes at the cache-write rate, no service
    tiers, no web-search price."""

    def plain(rates: Rates) -> Rates:
        return replace(rates, cache_write_1h_usd_per_mtok=rates.cache_write_usd_per_mtok)

    tier = card.long_context
    return replace(
        card,
        rates=plain(card.rates),
        long_context=replace(tier, rates=plain(tier.rates)) if tier is not None else None,
        service_tiers=(),
        web_search_usd_per_kcount=None,
    )


def _origins(con: duckdb.DuckDBPyConnection) -> dict[tuple[str, datetime], str]:
    rows = con.execute("SELECT model, effective_from, origin FROM rate_cards").fetchall()
    return {(model.lower(), start.astimezone(UTC)): origin for model, start, origin in rows}


def seed_cards(con: duckdb.DuckDBPyConnection, shipped: Iterable[RateCard] | None = None) -> int:
    """Add the shipped cards the table lacks and reprice the stored calls they cover (audited, as the API does).

    A shipped card for a (model, effective_from) already stored is not applied: the table is the source of truth
    once an engineer has edited it. When the two differ, a warning says so. A clashing card is skipped, logged.
    """
    stored = load_stored_cards(con)
    have = {(c.model.lower(), c.effective_from): c for c in stored}
    origins = _origins(con)
    seeded: list[RateCard] = []
    upgraded: list[RateCard] = []
    con.begin()
    try:
        for card in load_cards() if shipped is None else shipped:
            key = (card.model.lower(), card.effective_from)
            known = have.get(key)
            if known is not None:
                if (
                    origins.get(key) == "seed"
                    and _content(known) != _content(card)
                    and _content(known) == _content(_as_migrated(card))
                ):
                    # A seeded card that only lacks the prices issue 17 added: nobody edited it, so it follows the
                    # shipped file (else 1-hour writes, tiers and web search stay mispriced on upgraded databases).
                    con.execute("DELETE FROM rate_cards WHERE model = ? AND effective_from = ?", [known.model, key[1]])
                    insert_card(con, card, "seed")
                    stored[stored.index(known)] = card
                    have[key] = card
                    upgraded.append(card)
                elif _content(known) != _content(card):
                    log.warning(
                        "shipped rate card %s differs from the stored card; keeping the stored one (the database is "
                        "the source of truth once edited: add a new card through POST /api/v1/rates to change it)",
                        card.card_id,
                    )
                continue
            try:
                RateBook([*stored, card])
            except CardFileError as exc:
                log.warning("shipped rate card %s not seeded: %s", card.card_id, exc.reason)
                continue
            insert_card(con, card, "seed")
            stored.append(card)
            have[(card.model.lower(), card.effective_from)] = card
            seeded.append(card)
        if upgraded and con.execute("SELECT count(*) FROM calls").fetchone()[0]:
            book = RateBook(stored)
            for card in upgraded:
                change = _repricing.preview(con, book, card)
                if change.rows and change.new_cost_usd != change.old_cost_usd:
                    _repricing.apply(con, book, card, UPGRADE_NOTE)
        if seeded and con.execute("SELECT count(*) FROM calls").fetchone()[0]:
            book = RateBook(stored)
            for card in seeded:  # each over its own window in the final book, new aliases under every card
                before = RateBook([c for c in stored if c is not card])
                _repricing.apply_card(con, before, book, card, SEED_NOTE, audit_empty=False)
        con.commit()
    except BaseException:
        con.rollback()
        raise
    return len(seeded)


def _content(card: RateCard) -> RateCard:
    """What a card prices with (its id, source and note aside)."""
    return replace(card, source="", note="")

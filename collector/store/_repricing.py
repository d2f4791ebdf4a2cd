"""Reprice stored calls when a rate card arrives: the preview, and the applied update with its audit row.

The new card prices exactly the calls of its model from its `effective_from` until the model's next card, so the
repricing is one SQL UPDATE with the card's rates as parameters (millions of rows in seconds, no row-by-row Python).
`cost_sql` is the `rates` formula (input_tokens includes the cache; long-context tier on every token) in SQL;
tests/test_collector_rates.py checks that it agrees with `rates.price_call` to the last stored digit.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import duckdb

from rates import RateBook, RateCard, Rates
from rates.money import MONEY_SQL as MONEY

from ._windows import PER_TOKEN as _PER_TOKEN
from ._windows import RATE_SQL as _RATE


@dataclass(frozen=True)
class Repricing:
    """What a card does to stored calls: the rows it prices, and their totals before and after."""

    card: RateCard
    rows: int
    unpriced_rows: int
    """Rows that were unpriced before (they leave the review queue)."""
    old_cost_usd: Decimal
    new_cost_usd: Decimal
    id: int | None = None
    """The audit row's id once applied; None for a preview."""

    @property
    def delta_usd(self) -> Decimal:
        return self.new_cost_usd - self.old_cost_usd


def _formula(rates: Rates) -> tuple[str, list[Any]]:
    per_token = [
        rates.input_usd_per_mtok / _PER_TOKEN,
        rates.cache_read_usd_per_mtok / _PER_TOKEN,
        rates.cache_write_usd_per_mtok / _PER_TOKEN,
        rates.cache_write_1h_usd_per_mtok / _PER_TOKEN,
        rates.output_usd_per_mtok / _PER_TOKEN,
    ]
    sql = (
        f"(input_tokens - cache_read_tokens - cache_write_tokens) * ?::{_RATE} + cache_read_tokens * ?::{_RATE}"
        f" + (cache_write_tokens - cache_write_1h_tokens) * ?::{_RATE} + cache_write_1h_tokens * ?::{_RATE}"
        f" + output_tokens * ?::{_RATE}"
    )
    return sql, per_token


def _tiered(rates: Rates, card: RateCard) -> tuple[str, list[Any]]:
    """The formula at `rates`, times the card's multiplier for the row's service tier (the rates scaled: exact)."""
    sql, params = _formula(rates)
    if not card.service_tiers:
        return sql, params
    cases, case_params = [], []
    for tier, factor in card.service_tiers:
        tier_sql, tier_params = _formula(rates.scaled(factor))
        cases.append(f"WHEN ? THEN {tier_sql}")
        case_params += [tier, *tier_params]
    return f"CASE service_tier {' '.join(cases)} ELSE {sql} END", [*case_params, *params]


def cost_sql(card: RateCard) -> tuple[str, list[Any]]:
    """SQL for the cost of a `calls` row under `card`, rounded to the stored precision, and its parameters."""
    base, params = _tiered(card.rates, card)
    if card.long_context is not None:
        tier, tier_params = _tiered(card.long_context.rates, card)
        base = f"CASE WHEN input_tokens > ? THEN {tier} ELSE {base} END"
        params = [card.long_context.above_input_tokens, *tier_params, *params]
    if card.web_search_usd_per_kcount is not None:  # per search: a 12-decimal price per 1,000 fits 18 decimals
        base = f"{base} + web_search_requests * ?::{_RATE}"
        params = [*params, card.web_search_usd_per_kcount / 1000]
    return f"CAST({base} AS {MONEY})", params


def web_search_sql(card: RateCard) -> tuple[str, list[Any]]:
    """SQL for `web_search_cost_usd` under `card`: 0 without searches, NULL when the card does not price them."""
    if card.web_search_usd_per_kcount is None:
        return f"CASE WHEN web_search_requests = 0 THEN 0 ELSE NULL END::{MONEY}", []
    return f"CAST(web_search_requests * ?::{_RATE} AS {MONEY})", [card.web_search_usd_per_kcount / 1000]


def _scope(
    con: duckdb.DuckDBPyConnection, book: RateBook, card: RateCard, only: list[str] | None = None
) -> tuple[str, list[Any]] | None:
    """WHERE clause for the calls the card prices in `book` (which includes it), or None when there are none.

    `only` limits it to those stored model names.
    """
    target = book.canonical(card.model)
    names = _stored_names(con, book, target) if only is None else only
    if not names:
        return None
    later = [
        c.effective_from for c in book.cards if c.model.lower() == target and c.effective_from > card.effective_from
    ]
    clause = "model IN (SELECT unnest(?::VARCHAR[])) AND start_time >= ?"
    params: list[Any] = [names, card.effective_from]
    if later:
        clause += " AND start_time < ?"
        params.append(min(later))
    return clause, params


def _stored_names(con: duckdb.DuckDBPyConnection, book: RateBook, target: str | None) -> list[str]:
    models = [m for (m,) in con.execute("SELECT DISTINCT model FROM calls WHERE model IS NOT NULL").fetchall()]
    return [m for m in models if book.canonical(m) == target]


def new_names(con: duckdb.DuckDBPyConnection, before: RateBook, book: RateBook, card: RateCard) -> list[str]:
    """Stored model names that `card` brings to its model (new aliases, and their dated variants)."""
    target = book.canonical(card.model)
    return [m for m in _stored_names(con, book, target) if before.canonical(m) != target]


def _other_cards(book: RateBook, card: RateCard) -> list[RateCard]:
    """The model's other cards: a name's lookup reaches all of them once the new card makes it an alias."""
    target = book.canonical(card.model)
    return [c for c in book.cards if c.model.lower() == target and c.effective_from != card.effective_from]


def preview(con: duckdb.DuckDBPyConnection, book: RateBook, card: RateCard, only: list[str] | None = None) -> Repricing:
    """The repricing `card` would cause, given `book` (which already includes it)."""
    scope = _scope(con, book, card, only)
    if scope is None:
        return Repricing(card, 0, 0, Decimal(0), Decimal(0))
    clause, params = scope
    cost, cost_params = cost_sql(card)
    rows, unpriced, old, new = con.execute(
        f"""
        SELECT count(*), count(*) FILTER (WHERE pricing_unknown),
               coalesce(sum(cost_usd), 0)::{MONEY}, coalesce(sum({cost}), 0)::{MONEY}
        FROM calls WHERE {clause}
        """,
        [*cost_params, *params],
    ).fetchone()
    return Repricing(card, int(rows), int(unpriced), old, new)


def apply(
    con: duckdb.DuckDBPyConnection, book: RateBook, card: RateCard, note: str, only: list[str] | None = None
) -> Repricing:
    """Reprice, store nothing else; write the audit row (the caller holds the transaction and stores the card)."""
    result = preview(con, book, card, only)
    scope = _scope(con, book, card, only)
    if scope is not None and result.rows:
        clause, params = scope
        cost, cost_params = cost_sql(card)
        searches, search_params = web_search_sql(card)
        con.execute(
            f"UPDATE calls SET cost_usd = {cost}, web_search_cost_usd = {searches}, pricing_unknown = false, "
            f"card_id = ?, card_model = ?, estimate_source = NULL WHERE {clause}",
            [*cost_params, *search_params, card.card_id, card.model, *params],
        )
    con.execute(
        """
        INSERT INTO repricings (repriced_at, model, card_id, effective_from, rows, old_cost_usd, new_cost_usd, note)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id
        """,
        [
            datetime.now(UTC),
            card.model,
            card.card_id,
            card.effective_from,
            result.rows,
            result.old_cost_usd,
            result.new_cost_usd,
            note,
        ],
    )
    (audit_id,) = con.fetchone() or (None,)
    return Repricing(card, result.rows, result.unpriced_rows, result.old_cost_usd, result.new_cost_usd, int(audit_id))


def _sum(card: RateCard, parts: list[Repricing], audit_id: int | None) -> Repricing:
    return Repricing(
        card,
        sum(p.rows for p in parts),
        sum(p.unpriced_rows for p in parts),
        sum((p.old_cost_usd for p in parts), Decimal(0)),
        sum((p.new_cost_usd for p in parts), Decimal(0)),
        audit_id,
    )


def preview_card(con: duckdb.DuckDBPyConnection, before: RateBook, book: RateBook, card: RateCard) -> Repricing:
    """Everything adding `card` to `before` (giving `book`) reprices: its own window, and the calls of the names it
    brings to the model under the model's other cards."""
    names = new_names(con, before, book, card)
    parts = [preview(con, book, card)]
    if names:
        parts += [preview(con, book, c, names) for c in _other_cards(book, card)]
    return _sum(card, parts, None)


def apply_card(
    con: duckdb.DuckDBPyConnection, before: RateBook, book: RateBook, card: RateCard, note: str, *, audit_empty: bool
) -> Repricing:
    """Apply what `preview_card` shows: one audit row for the card (none if it changed nothing and not
    `audit_empty`), one per other card of the model that prices calls of the new names. The totals cover all;
    the id is the card's own audit row."""
    names = new_names(con, before, book, card)
    own = preview(con, book, card)
    parts = [apply(con, book, card, note) if own.rows or audit_empty else own]
    for other in _other_cards(book, card) if names else ():
        if preview(con, book, other, names).rows:
            parts.append(apply(con, book, other, f"{note} (new aliases of {card.card_id}: {', '.join(names)})", names))
    return _sum(card, parts, parts[0].id)

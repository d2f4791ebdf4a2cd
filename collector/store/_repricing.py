"""Reprice stored calls when a rate card arrives: the preview, and the applied update with its audit row."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal

import duckdb
import pyarrow as pa

from rates import RateBook, RateCard, price_call

from ._calls import MONEY_TYPE, money


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


def _affected(con: duckdb.DuckDBPyConnection, book: RateBook, card: RateCard) -> pa.Table:
    """Stored calls the new card prices in `book`, with their new price."""
    target = book.canonical(card.model)
    models = [m for (m,) in con.execute("SELECT DISTINCT model FROM calls WHERE model IS NOT NULL").fetchall()]
    names = [m for m in models if book.canonical(m) == target]
    if not names:
        return pa.table({"trace_id": pa.array([], pa.string())})
    rows = con.execute(
        """
        SELECT trace_id, span_id, model, start_time, input_tokens, output_tokens, cache_read_tokens,
               cache_write_tokens, cost_usd, pricing_unknown
        FROM calls WHERE model IN (SELECT unnest(?::VARCHAR[])) AND start_time >= ?
        """,
        [names, card.effective_from],
    ).fetchall()
    out: dict[str, list] = {k: [] for k in ("trace_id", "span_id", "cost_usd", "old_cost_usd", "was_unpriced")}
    for trace_id, span_id, model, start, inp, outp, cread, cwrite, old_cost, unknown in rows:
        price = price_call(book, model, inp, outp, cache_read_tokens=cread, cache_write_tokens=cwrite, at=start)
        if price.card is None or price.card.card_id != card.card_id or price.pricing_unknown:
            continue  # a later card of the same model prices this call
        out["trace_id"].append(trace_id)
        out["span_id"].append(span_id)
        out["cost_usd"].append(money(price.cost_usd))
        out["old_cost_usd"].append(old_cost)
        out["was_unpriced"].append(unknown)
    return pa.table(
        {
            "trace_id": pa.array(out["trace_id"], pa.string()),
            "span_id": pa.array(out["span_id"], pa.string()),
            "cost_usd": pa.array(out["cost_usd"], MONEY_TYPE),
            "old_cost_usd": pa.array(out["old_cost_usd"], MONEY_TYPE),
            "was_unpriced": pa.array(out["was_unpriced"], pa.bool_()),
            "card_id": pa.array([card.card_id] * len(out["trace_id"]), pa.string()),
        }
    )


def preview(con: duckdb.DuckDBPyConnection, book: RateBook, card: RateCard) -> tuple[Repricing, pa.Table]:
    """The repricing `card` would cause, given `book` (which already includes it), and the rows it touches."""
    table = _affected(con, book, card)
    if table.num_rows == 0:
        zero = Decimal(0)
        return Repricing(card, 0, 0, zero, zero), table
    old = sum(table.column("old_cost_usd").to_pylist(), Decimal(0))
    new = sum(table.column("cost_usd").to_pylist(), Decimal(0))
    unpriced = sum(1 for v in table.column("was_unpriced").to_pylist() if v)
    return Repricing(card, table.num_rows, unpriced, old, new), table


def apply(con: duckdb.DuckDBPyConnection, result: Repricing, table: pa.Table, note: str) -> Repricing:
    """Write the new prices and the audit row (the caller holds the transaction)."""
    if table.num_rows:
        con.register("_reprice", table)  # dropped by the caller's transaction
        con.execute(
            """
            UPDATE calls SET cost_usd = r.cost_usd, pricing_unknown = false, card_id = r.card_id
            FROM _reprice r WHERE calls.trace_id = r.trace_id AND calls.span_id = r.span_id
            """
        )
    con.execute(
        """
        INSERT INTO repricings (repriced_at, model, card_id, effective_from, rows, old_cost_usd, new_cost_usd, note)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id
        """,
        [
            datetime.now(UTC),
            result.card.model,
            result.card.card_id,
            result.card.effective_from,
            result.rows,
            result.old_cost_usd,
            result.new_cost_usd,
            note,
        ],
    )
    (audit_id,) = con.fetchone() or (None,)
    return Repricing(
        result.card, result.rows, result.unpriced_rows, result.old_cost_usd, result.new_cost_usd, int(audit_id)
    )

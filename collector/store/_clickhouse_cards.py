"""Rate cards across ClickHouse replicas: how a replica tells that another stored a card, and the sweep that
reprices what it priced with its old book meanwhile (see `_clickhouse`, "Cards")."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from rates import RateBook, RateCard

from . import _repricing
from ._clickhouse_con import Con

log = logging.getLogger("collector.store")
SIGNATURE_SQL = "SELECT count(*), max(_version) FROM rate_cards"
"""Changes whenever any replica stores a card (a new one, or a seeded card given its new prices)."""
SWEEP_NOTE = "rows priced by a replica before it saw this card"


def sweep(con: Con, book: RateBook, card: RateCard) -> None:
    """Reprice the calls `card` prices that are not priced by it: rows this replica stored with its old book."""
    scope = _repricing._scope(con, book, card)
    if scope is None:
        return
    clause, params = scope
    clause = f"{clause} AND (card_id IS NULL OR card_id != ?)"
    params = [*params, card.card_id]
    cost, cost_params = _repricing.cost_sql(card)
    (rows, old, new), *_ = con.execute(
        f"SELECT count(*), coalesce(sum(cost_usd), 0), coalesce(sum({cost}), 0) FROM calls WHERE {clause}",
        [*cost_params, *params],
    ).fetchall()
    if not rows:
        return
    searches, search_params = _repricing.web_search_sql(card)
    con.execute(
        f"UPDATE calls SET cost_usd = {cost}, web_search_cost_usd = {searches}, pricing_unknown = false, "
        f"card_id = ?, card_model = ?, estimate_source = NULL WHERE {clause}",
        [*cost_params, *search_params, card.card_id, card.model, *params],
    )
    con.execute(
        "INSERT INTO repricings (repriced_at, model, card_id, effective_from, rows, old_cost_usd, new_cost_usd, note) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
        [datetime.now(UTC), card.model, card.card_id, card.effective_from, int(rows), old, new, SWEEP_NOTE],
    )
    log.info("repriced %d rows stored with an older rate book under %s", rows, card.card_id)

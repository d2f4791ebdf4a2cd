"""What policy-substituted calls would have cost on the model they asked for, against what they cost.

A call where RESTRICT_MODELS replaced the requested model carries `requested_model`. Each such call is priced
again with the card of its requested model in force at the call's time, token by token as `rates` prices it
(`_repricing.cost_sql`, long-context tier per call): sums of tokens could not apply a per-call tier. A call whose
requested model has no card in force is not priced: its group's `requested_cost_usd` is null (unknown), never 0.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pyarrow as pa

from rates import RateBook

from ._calls import MONEY_TYPE
from ._reads import GROUP_KEYS, CallFilter
from ._repricing import cost_sql

KEYS = ("requested_model", "model", "layer", "service", "environment")
_SUBSTITUTED = "requested_model IS NOT NULL AND model IS NOT NULL AND requested_model <> model"
SCHEMA = pa.schema(
    [
        *(pa.field(k, pa.string()) for k in KEYS),
        pa.field("calls", pa.int64()),
        pa.field("unpriced_calls", pa.int64()),
        pa.field("cost_usd", MONEY_TYPE),
        pa.field("requested_cost_usd", MONEY_TYPE),
    ]
)
"""`cost_usd` is what the calls cost (estimates included for unpriced used models: see `unpriced_calls`)."""


def _where(where: CallFilter) -> tuple[str, list[Any]]:
    clause, params = where.where()
    return (f"{clause} AND {_SUBSTITUTED}" if clause else f"WHERE {_SUBSTITUTED}"), params


def substitutions(query, book: RateBook, where: CallFilter) -> pa.Table:
    """Per requested model, used model, layer, service and environment: calls, cost, and requested cost.

    `query(sql, params)` runs a read and returns an Arrow table.
    """
    return pa.Table.from_pylist(_repriced(query, book, where, KEYS), schema=SCHEMA)


def saved(query, book: RateBook, where: CallFilter, group_by: list[str]) -> pa.Table:
    """What the guardrail saved: per requested model, used model and `group_by` keys, what the calls paid, what
    the same tokens cost on the requested model's card, and the difference (null when that is unknown)."""
    keys = ["requested_model", "model", *(k for k in group_by if k not in ("requested_model", "model"))]
    rows = _repriced(query, book, where, keys)
    out = []
    for row in rows:
        requested = row["requested_cost_usd"]
        out.append(
            {k: row[k] for k in keys}
            | {
                "calls": row["calls"],
                "unpriced_calls": row["unpriced_calls"],
                "paid_usd": row["cost_usd"],
                "requested_cost_usd": requested,
                "saved_usd": None if requested is None else requested - row["cost_usd"],
            }
        )
    schema = pa.schema(
        [
            *(pa.field(k, pa.date32() if k in ("day", "month") else pa.string()) for k in keys),
            pa.field("calls", pa.int64()),
            pa.field("unpriced_calls", pa.int64()),
            *(pa.field(k, MONEY_TYPE) for k in ("paid_usd", "requested_cost_usd", "saved_usd")),
        ]
    )
    return pa.Table.from_pylist(out, schema=schema)


def _repriced(query, book: RateBook, where: CallFilter, names) -> list[dict[str, Any]]:
    """Rows per `names` (group keys) of substituted calls: calls, unpriced_calls, cost_usd, requested_cost_usd."""
    clause, params = _where(where)
    keys = ", ".join(f"{GROUP_KEYS[k]} AS {k}" for k in names)
    group = ", ".join(names)
    paid = query(
        f"""
        SELECT {keys}, count(*)::BIGINT AS calls, count(*) FILTER (WHERE pricing_unknown)::BIGINT AS unpriced_calls,
            sum(cost_usd) AS cost_usd
        FROM calls {clause} GROUP BY {group} ORDER BY calls DESC, {group}
        """,
        params,
    ).to_pylist()
    priced: dict[tuple, list] = {}  # key -> [calls priced on the requested card, their cost]
    for name in sorted({row["requested_model"] for row in paid}):
        target = book.canonical(name)
        cards = sorted((c for c in book.cards if c.model.lower() == target), key=lambda c: c.effective_from)
        for i, card in enumerate(cards):
            after = cards[i + 1] if i + 1 < len(cards) else None
            cost, cost_params = cost_sql(card)
            window = "requested_model = ? AND start_time >= ?" + (" AND start_time < ?" if after else "")
            window_params = [name, card.effective_from, *([after.effective_from] if after else [])]
            rows = query(
                f"SELECT {keys}, count(*)::BIGINT AS n, sum({cost}) AS cost FROM calls {clause} AND {window} "
                f"GROUP BY {group}",
                [*cost_params, *params, *window_params],
            ).to_pylist()
            for row in rows:
                entry = priced.setdefault(tuple(row[k] for k in names), [0, Decimal(0)])
                entry[0] += row["n"]
                entry[1] += row["cost"]
    out = []
    for row in paid:
        n, cost = priced.get(tuple(row[k] for k in names), (0, None))
        out.append(row | {"requested_cost_usd": cost if n == row["calls"] else None})
    return out

"""What policy-substituted calls would have cost on the model they asked for, against what they cost.

A call where RESTRICT_MODELS replaced the requested model carries `requested_model`. Each such call is priced
again with the card of its requested model in force at the call's time, token by token as `rates` prices it
(`_repricing.cost_sql`, long-context tier per call): sums of tokens could not apply a per-call tier. A call whose
requested model has no card in force is not priced: its group's `requested_cost_usd` is null (unknown), never 0.

Savings compare prices only: a call whose used model has no card (its cost is an estimate) is counted in
`unpriced_calls` with its estimate in `estimated_usd`, and left out of `paid_usd`, `requested_cost_usd` and
`saved_usd`.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pyarrow as pa

from rates import RateBook

from ._calls import MONEY_TYPE
from ._reads import GROUP_KEYS, CallFilter
from ._repricing import cost_sql
from ._windows import cards_of, windows

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
    rows = _repriced(query, book, where, KEYS)
    return pa.Table.from_pylist([r | {"requested_cost_usd": r["requested_all_usd"]} for r in rows], schema=SCHEMA)


def saved(query, book: RateBook, where: CallFilter, group_by: list[str]) -> pa.Table:
    """What the guardrail saved: per requested model, used model and `group_by` keys, what the priced calls paid,
    what the same tokens cost on the requested model's card, and the difference (null when that is unknown); the
    calls with an estimated cost apart (`unpriced_calls`, `estimated_usd`)."""
    keys = ["requested_model", "model", *(k for k in group_by if k not in ("requested_model", "model"))]
    rows = _repriced(query, book, where, keys)
    out = []
    for row in rows:
        requested, paid = row["requested_priced_usd"], row["priced_usd"]
        out.append(
            {k: row[k] for k in keys}
            | {
                "calls": row["calls"],
                "unpriced_calls": row["unpriced_calls"],
                "paid_usd": paid,
                "requested_cost_usd": requested,
                "saved_usd": None if requested is None or paid is None else requested - paid,
                "estimated_usd": row["estimated_usd"] if row["unpriced_calls"] else Decimal(0),
            }
        )
    schema = pa.schema(
        [
            *(pa.field(k, pa.date32() if k in ("day", "month") else pa.string()) for k in keys),
            pa.field("calls", pa.int64()),
            pa.field("unpriced_calls", pa.int64()),
            *(pa.field(k, MONEY_TYPE) for k in ("paid_usd", "requested_cost_usd", "saved_usd", "estimated_usd")),
        ]
    )
    return pa.Table.from_pylist(out, schema=schema)


def _repriced(query, book: RateBook, where: CallFilter, names) -> list[dict[str, Any]]:
    """Rows per `names` (group keys) of substituted calls: calls, unpriced_calls, cost_usd (estimates included),
    priced_usd and estimated_usd (apart: null for no such call), requested_all_usd (all calls on the requested
    card) and requested_priced_usd (the priced calls only); a requested cost is null unless every call it covers
    has a requested card in force."""
    clause, params = _where(where)
    keys = ", ".join(f"{GROUP_KEYS[k]} AS {k}" for k in names)
    group = ", ".join(names)
    paid = query(
        f"""
        SELECT {keys}, count(*)::BIGINT AS calls, count(*) FILTER (WHERE pricing_unknown)::BIGINT AS unpriced_calls,
            sum(cost_usd) AS cost_usd,
            sum(cost_usd) FILTER (WHERE NOT pricing_unknown) AS priced_usd,
            sum(cost_usd) FILTER (WHERE pricing_unknown) AS estimated_usd
        FROM calls {clause} GROUP BY {group} ORDER BY calls DESC, {group}
        """,
        params,
    ).to_pylist()
    # key -> [calls on the requested card, their cost, priced calls among them, their cost]
    priced: dict[tuple, list] = {}
    for name in sorted({row["requested_model"] for row in paid}):
        for card, window, window_params in windows(cards_of(book, name)):
            cost, cost_params = cost_sql(card)
            rows = query(
                f"""SELECT {keys}, count(*)::BIGINT AS n, sum({cost}) AS cost,
                    count(*) FILTER (WHERE NOT pricing_unknown)::BIGINT AS n_priced,
                    sum({cost}) FILTER (WHERE NOT pricing_unknown) AS cost_priced
                FROM calls {clause} AND requested_model = ? AND {window} GROUP BY {group}""",
                [*cost_params, *cost_params, *params, name, *window_params],
            ).to_pylist()
            for row in rows:
                entry = priced.setdefault(tuple(row[k] for k in names), [0, Decimal(0), 0, Decimal(0)])
                entry[0] += row["n"]
                entry[1] += row["cost"]
                entry[2] += row["n_priced"]
                entry[3] += row["cost_priced"] or 0
    out = []
    for row in paid:
        n, cost, n_priced, cost_priced = priced.get(tuple(row[k] for k in names), (0, None, 0, None))
        priced_calls = row["calls"] - row["unpriced_calls"]
        out.append(
            row
            | {
                "requested_all_usd": cost if n == row["calls"] else None,
                "requested_priced_usd": cost_priced if priced_calls and n_priced == priced_calls else None,
            }
        )
    return out

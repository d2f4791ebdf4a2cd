"""Policy substitutions: calls where RESTRICT_MODELS replaced the requested model. Polars in, polars out.

The share of substituted calls comes from spend grouped by `requested_model, model` (`GET /api/v1/spend`); the
substitutions themselves from `GET /api/v1/substitutions`, which prices every substituted call again on the
requested model's card (`requested_cost_usd`, null when that model has no card: unknown, never $0).
"""

from __future__ import annotations

from decimal import Decimal

import polars as pl

from .money import MONEY, ZERO
from .spend import NONE_LABEL

REQUESTED = "requested_model"
GROUP_BY = [REQUESTED, "model"]
"""The spend grouping the Policy page counts substituted calls in."""
KEYS = (REQUESTED, "model", "environment", "layer", "service")
_SCHEMA = dict.fromkeys(KEYS, pl.String()) | {
    "calls": pl.Int64(),
    "cost_usd": MONEY,
    "requested_cost_usd": MONEY,
    "difference_usd": MONEY,
}


def _substituted(spend: pl.DataFrame) -> pl.Expr:
    return pl.col(REQUESTED).is_not_null() & (pl.col(REQUESTED) != pl.col("model"))


def substitutions(rows: pl.DataFrame) -> pl.DataFrame:
    """The `/api/v1/substitutions` rows, most calls first: keys (nulls labelled), calls, what they cost, what the
    requested model would have cost, and the difference (requested minus paid; null when the requested is unknown).
    """
    if rows.is_empty() or REQUESTED not in rows.columns:
        return pl.DataFrame(schema=_SCHEMA)
    out = rows.with_columns(pl.col(k).cast(pl.String).fill_null(NONE_LABEL) for k in KEYS if k != REQUESTED)
    out = out.with_columns(
        pl.col("calls").cast(pl.Int64),
        pl.col("cost_usd").cast(MONEY),
        pl.col("requested_cost_usd").cast(MONEY),
    ).with_columns((pl.col("requested_cost_usd") - pl.col("cost_usd")).cast(MONEY).alias("difference_usd"))
    return out.select(*_SCHEMA).sort(["calls", REQUESTED, "environment"], descending=[True, False, False])


def requested_total(subs: pl.DataFrame) -> tuple[Decimal | None, int]:
    """(what the requested models would have cost, calls for which that is unknown); the total is None when any
    call's requested price is unknown: a partial sum would read as the whole."""
    unknown = int(subs.filter(pl.col("requested_cost_usd").is_null()).get_column("calls").sum() or 0)
    if unknown or subs.is_empty():
        return (None if unknown else ZERO), unknown
    return Decimal(subs.get_column("requested_cost_usd").sum()), 0


def substitution_share(spend: pl.DataFrame) -> tuple[int, int]:
    """(substituted calls, all calls) in the period."""
    if spend.is_empty():
        return 0, 0
    seen = int(spend.get_column("calls").sum())
    if REQUESTED not in spend.columns:
        return 0, seen
    return int(spend.filter(_substituted(spend)).get_column("calls").sum()), seen

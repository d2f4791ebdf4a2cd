"""Policy substitutions: calls where RESTRICT_MODELS replaced the requested model. Polars in, polars out."""

from __future__ import annotations

import polars as pl

from .money import MONEY
from .spend import NONE_LABEL

REQUESTED = "requested_model"


def substitutions(calls: pl.DataFrame) -> pl.DataFrame:
    """Raw calls reduced to substituted ones, grouped by requested model, used model, layer and service."""
    cols = (REQUESTED, "model", "layer", "service")
    if calls.is_empty() or REQUESTED not in calls.columns:
        schema = dict.fromkeys(cols, pl.String()) | {"calls": pl.UInt32(), "cost_usd": MONEY}
        return pl.DataFrame(schema=schema)
    subs = calls.filter(pl.col(REQUESTED).is_not_null() & (pl.col(REQUESTED) != pl.col("model")))
    subs = subs.with_columns(pl.col(c).fill_null(NONE_LABEL) for c in ("layer", "service"))
    out = subs.group_by(*cols).agg(pl.len().alias("calls"), pl.col("cost_usd").cast(MONEY).sum())
    return out.sort(["calls", REQUESTED], descending=[True, False])


def substitution_share(calls: pl.DataFrame) -> tuple[int, int]:
    """(substituted calls, all calls) in the frame."""
    if calls.is_empty():
        return 0, 0
    if REQUESTED not in calls.columns:
        return 0, calls.height
    hit = calls.filter(pl.col(REQUESTED).is_not_null() & (pl.col(REQUESTED) != pl.col("model"))).height
    return hit, calls.height

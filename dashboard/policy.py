"""Policy substitutions: calls where RESTRICT_MODELS replaced the requested model. Polars in, polars out.

The input is spend grouped by `requested_model, model, layer, service` (`GET /api/v1/spend`), so the figures are
exact over any period: a row with a `requested_model` other than its `model` is a substitution.
"""

from __future__ import annotations

import polars as pl

from .money import MONEY
from .spend import NONE_LABEL

REQUESTED = "requested_model"
GROUP_BY = [REQUESTED, "model", "layer", "service"]
"""The spend grouping the Policy page asks the collector for."""


def _substituted(spend: pl.DataFrame) -> pl.Expr:
    return pl.col(REQUESTED).is_not_null() & (pl.col(REQUESTED) != pl.col("model"))


def substitutions(spend: pl.DataFrame) -> pl.DataFrame:
    """The substituted groups of `spend`, by requested model, used model, layer and service, most calls first."""
    cols = tuple(GROUP_BY)
    if spend.is_empty() or REQUESTED not in spend.columns:
        schema = dict.fromkeys(cols, pl.String()) | {"calls": pl.Int64(), "cost_usd": MONEY}
        return pl.DataFrame(schema=schema)
    subs = spend.filter(_substituted(spend))
    subs = subs.with_columns(pl.col(c).fill_null(NONE_LABEL) for c in ("layer", "service"))
    out = subs.group_by(*cols).agg(pl.col("calls").cast(pl.Int64).sum(), pl.col("cost_usd").cast(MONEY).sum())
    return out.sort(["calls", REQUESTED], descending=[True, False])


def substitution_share(spend: pl.DataFrame) -> tuple[int, int]:
    """(substituted calls, all calls) in the period."""
    if spend.is_empty():
        return 0, 0
    seen = int(spend.get_column("calls").sum())
    if REQUESTED not in spend.columns:
        return 0, seen
    return int(spend.filter(_substituted(spend)).get_column("calls").sum()), seen

"""Spend shaping: priced against estimated, per layer, per day, breakdowns. Polars in, polars out.

"Priced rows only" is a read filter (`pricing_unknown=false`, see `Filters.priced_only`), not a reshaping of
mixed rows: the collector then sums tokens over the priced calls alone, so every token column is a real count.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

import polars as pl

from .money import MONEY, ZERO, total

KNOWN_LAYERS = ("chat", "analysis", "drafts", "agents")
"""Shown first, in this order; any other layer the data has follows alphabetically."""
NONE_LABEL = "(none)"
SPEND_COUNTS = ("calls", "input_tokens", "output_tokens", "unpriced_calls")
SPEND_COSTS = ("cost_usd", "priced_cost_usd", "unpriced_cost_usd")


@dataclass(frozen=True)
class SpendTotals:
    """Totals with priced and estimated kept apart. `total_usd` is labelled as including estimates."""

    calls: int
    unpriced_calls: int
    priced_usd: Decimal
    estimated_usd: Decimal

    @property
    def total_usd(self) -> Decimal:
        return self.priced_usd + self.estimated_usd


def empty_spend(group_by: tuple[str, ...] | list[str]) -> pl.DataFrame:
    """A zero-row spend frame with the API's columns."""
    schema: dict[str, pl.DataType] = {k: (pl.Date() if k == "day" else pl.String()) for k in group_by}
    schema |= {c: pl.Int64() for c in SPEND_COUNTS} | {c: MONEY for c in SPEND_COSTS}
    return pl.DataFrame(schema=schema)


def ensure_spend(df: pl.DataFrame, group_by: tuple[str, ...] | list[str]) -> pl.DataFrame:
    """The frame with every expected column (an empty answer may carry no schema), group keys labelled."""
    if df.width == 0 or df.is_empty():
        df = empty_spend(group_by) if df.width == 0 else df
    missing = [
        pl.lit(None, MONEY).alias(c) if c in SPEND_COSTS else pl.lit(0, pl.Int64).alias(c)
        for c in (*SPEND_COUNTS, *SPEND_COSTS)
        if c not in df.columns
    ]
    df = df.with_columns(missing) if missing else df
    df = key_types(df, group_by)
    labels = [pl.col(k).fill_null(NONE_LABEL) for k in group_by if k != "day" and k in df.columns]
    return df.with_columns(labels) if labels else df


def key_types(df: pl.DataFrame, group_by: tuple[str, ...] | list[str]) -> pl.DataFrame:
    """Group keys typed as the API means them (`day` a Date, the rest String).

    An answer with no rows types its key columns Null; joining or sorting those against String keys fails.
    """
    casts = [pl.col(k).cast(pl.Date if k == "day" else pl.String) for k in group_by if df.schema.get(k) == pl.Null]
    return df.with_columns(casts) if casts else df


def totals(df: pl.DataFrame) -> SpendTotals:
    """Calls and money over the whole frame."""
    calls = int(df.get_column("calls").sum() or 0) if not df.is_empty() else 0
    unpriced = int(df.get_column("unpriced_calls").sum() or 0) if not df.is_empty() else 0
    return SpendTotals(calls, unpriced, total(df, "priced_cost_usd"), total(df, "unpriced_cost_usd"))


def change(current: Decimal, previous: Decimal) -> float | None:
    """Relative change as a fraction (0.25 = +25%); None when the previous period spent nothing."""
    if previous == ZERO:
        return None
    return float((current - previous) / previous)


def layer_order(layers: list[str]) -> list[str]:
    """Known layers first in product order, then the rest alphabetically."""
    known = [x for x in KNOWN_LAYERS if x in layers]
    return known + sorted(x for x in set(layers) if x not in KNOWN_LAYERS)


def sort_layers(df: pl.DataFrame) -> pl.DataFrame:
    """Rows in `layer_order` of their `layer` column (an empty frame, whose `layer` may be typed Null, is fine)."""
    if df.is_empty():
        return df
    order = layer_order(df.get_column("layer").cast(pl.String).to_list())
    # Typed explicitly: from an empty list polars would infer Null, and a join on Null against String fails.
    rank = pl.DataFrame(
        {"layer": order, "_rank": list(range(len(order)))}, schema={"layer": pl.String, "_rank": pl.Int64}
    )
    return (
        df.with_columns(pl.col("layer").cast(pl.String)).join(rank, on="layer", how="left").sort("_rank").drop("_rank")
    )


def with_change(current: pl.DataFrame, previous: pl.DataFrame, key: str) -> pl.DataFrame:
    """Per value of `key`: calls, tokens, priced, estimated, total, the previous period's total, and the change.

    Values present in either period appear; a value absent from a period counts 0 there. Biggest total first.
    """
    counts = ("calls", "unpriced_calls", "input_tokens", "output_tokens")
    cur = (
        ensure_spend(current, [key])
        .group_by(key)
        .agg(
            *(pl.col(c).sum() for c in counts),
            pl.col("priced_cost_usd").sum().alias("priced_usd"),
            pl.col("unpriced_cost_usd").sum().alias("estimated_usd"),
        )
    )
    prev = ensure_spend(previous, [key]).group_by(key).agg(pl.col("cost_usd").sum().alias("previous_total_usd"))
    out = cur.join(prev, on=key, how="full", coalesce=True).with_columns(
        pl.col(*counts).fill_null(0),
        pl.col("priced_usd", "estimated_usd", "previous_total_usd").fill_null(pl.lit(0, MONEY)).cast(MONEY),
    )
    out = out.with_columns((pl.col("priced_usd") + pl.col("estimated_usd")).cast(MONEY).alias("total_usd"))
    out = out.with_columns((pl.col("total_usd") - pl.col("previous_total_usd")).cast(MONEY).alias("change_usd"))
    out = out.with_columns(
        pl.when(pl.col("previous_total_usd") != 0)
        .then(pl.col("change_usd").cast(pl.Float64) / pl.col("previous_total_usd").cast(pl.Float64))
        .otherwise(None)
        .alias("change_pct")
    )
    grand = total(out, "total_usd")
    share = (pl.col("total_usd").cast(pl.Float64) / float(grand)) if grand else pl.lit(None, pl.Float64)
    out = out.with_columns(share.alias("share"))
    return out.sort(["total_usd", key], descending=[True, False])


def by_layer_with_change(current: pl.DataFrame, previous: pl.DataFrame) -> pl.DataFrame:
    """Per layer (product order): calls, priced, estimated, total, the previous period's total, and the change."""
    out = with_change(current, previous, "layer")
    cols = ["layer", "calls", "unpriced_calls", "priced_usd", "estimated_usd", "total_usd"]
    return sort_layers(out.select(*cols, "previous_total_usd", "change_usd", "change_pct"))


def daily_by_layer(df: pl.DataFrame) -> pl.DataFrame:
    """`day, layer, cost_usd, priced_cost_usd, unpriced_cost_usd` sorted for a stacked daily chart."""
    df = ensure_spend(df, ["day", "layer"])
    out = df.group_by("day", "layer").agg(pl.col(c).sum() for c in ("calls", *SPEND_COSTS))
    return out.sort("day", "layer")


def report_table(df: pl.DataFrame, group_by: list[str]) -> pl.DataFrame:
    """The Spend page's table (and CSV): group keys, counts, then money with priced and estimated apart."""
    df = ensure_spend(df, group_by)
    money = [c for c in ("priced_cost_usd", "unpriced_cost_usd", "cost_usd") if c in df.columns]
    counts = [c for c in ("calls", "unpriced_calls", "input_tokens", "output_tokens") if c in df.columns]
    out = df.select(*group_by, *counts, *money).rename(
        {"unpriced_cost_usd": "estimated_cost_usd", "cost_usd": "total_cost_usd"}
    )
    sort_desc = [k == "day" for k in group_by]
    return out.sort(group_by, descending=sort_desc) if group_by else out


def to_csv(df: pl.DataFrame) -> bytes:
    """CSV bytes with money written exactly (decimal text, no float rounding)."""
    return df.write_csv().encode()

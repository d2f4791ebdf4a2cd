"""Money in polars: Decimal columns, never float, except when handed to a chart."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import ROUND_HALF_EVEN, Decimal

import polars as pl

MONEY = pl.Decimal(38, 18)
"""The dtype every cost column is normalised to (DuckDB's DECIMAL(38, s) fits; 20 integer digits)."""

ZERO = Decimal(0)


def as_money(df: pl.DataFrame, columns: Iterable[str]) -> pl.DataFrame:
    """Cast the named columns to `MONEY`: decimals keep their value, decimal strings are parsed.

    A float cost column is refused: it would mean money already lost precision upstream.
    """
    casts = []
    for name in columns:
        if name not in df.columns:
            continue
        dtype = df.schema[name]
        if dtype == pl.String:
            casts.append(pl.col(name).str.to_decimal(scale=MONEY.scale).cast(MONEY))
        elif isinstance(dtype, pl.Decimal) or dtype == pl.Null or dtype.is_integer():
            casts.append(pl.col(name).cast(MONEY))
        else:
            raise TypeError(f"cost column {name!r} has type {dtype}, expected a decimal")
    return df.with_columns(casts) if casts else df


def total(df: pl.DataFrame, column: str) -> Decimal:
    """The exact sum of a money column that is never null (0 for an empty frame).

    A column that can be null (an unknown price) goes through `known_total`: summing it here would show an unknown
    as $0, or a partial sum as the whole, so a null is refused.
    """
    if df.is_empty() or column not in df.columns:
        return ZERO
    series = df.get_column(column)
    if series.null_count():
        raise ValueError(f"{column!r} has unknown (null) amounts: use known_total")
    return Decimal(series.cast(MONEY).sum())


def known_total(df: pl.DataFrame, column: str, unknown_calls: str | None = None) -> tuple[Decimal | None, int]:
    """(the sum of the known amounts of a nullable money column, calls left out of it).

    The sum is None when every row's amount is unknown (never $0); 0 for an empty frame. Calls left out: the
    `calls` of the null rows, or the sum of the `unknown_calls` column when the rows say themselves how many of
    their calls the amount leaves out.
    """
    if df.is_empty() or column not in df.columns:
        return ZERO, 0
    series = df.get_column(column)
    if unknown_calls is not None:
        left_out = int(df.get_column(unknown_calls).sum() or 0)
    else:
        left_out = int(df.filter(series.is_null()).get_column("calls").sum() or 0)
    if series.null_count() == len(series):
        return None, left_out
    return Decimal(series.cast(MONEY).sum()), left_out


def format_known(amount: Decimal | None, unknown_calls: int, prefix: str = "", suffix: str = "") -> str:
    """A `known_total` as text: `unknown`, `$1.23`, or `$1.23, 4 calls unknown` when the sum leaves calls out
    (`prefix`/`suffix` go around the amount: `+$1.23/mo`)."""
    if amount is None:
        return UNKNOWN
    text = prefix + format_usd(amount) + suffix
    return f"{text}, {unknown_calls:,} call{'s' if unknown_calls != 1 else ''} unknown" if unknown_calls else text


def to_float(df: pl.DataFrame, columns: Iterable[str]) -> pl.DataFrame:
    """Float copies of money columns, for chart rendering only."""
    return df.with_columns(pl.col(c).cast(pl.Float64) for c in columns if c in df.columns)


_SMALLEST = Decimal("0.0001")


def format_usd(amount: Decimal | None) -> str:
    """`$1,234.57`; amounts under a dollar keep four decimals (`$0.0042`) so small spend does not read as $0.

    A nonzero amount that four decimals would round to zero shows as `<$0.0001` (`-<$0.0001` below zero): an
    estimate for a model with no rate card is never displayed as $0. Only an exact zero is `$0.00`.
    """
    if amount is None:
        return "—"
    amount = Decimal(amount)
    places = Decimal("0.01") if abs(amount) >= 1 or amount == 0 else _SMALLEST
    rounded = amount.quantize(places, rounding=ROUND_HALF_EVEN)
    if amount != 0 and rounded == 0:
        return f"{'-' if amount < 0 else ''}<${_SMALLEST}"
    sign = "-" if rounded < 0 else ""
    return f"{sign}${abs(rounded):,}"


def as_text(df: pl.DataFrame, columns: Iterable[str]) -> pl.DataFrame:
    """Money columns replaced by their `format_usd` text, for tables whose number format would round to $0."""
    names = [c for c in columns if c in df.columns]
    return df.with_columns(
        pl.Series(name, [format_usd(v) for v in df.get_column(name).to_list()], dtype=pl.String) for name in names
    )


TEXT_SUFFIX = "_text"
"""`cost_usd_text` beside `cost_usd`: the `format_usd` text a chart tooltip shows."""


def with_text(df: pl.DataFrame, columns: Iterable[str]) -> pl.DataFrame:
    """Add a `<column>_text` of `format_usd` text beside each money column, for chart tooltips.

    A tooltip's own number format would show `$-0.36` or round a tiny estimate to `$0.0000`.
    """
    names = [c for c in columns if c in df.columns]
    return df.with_columns(
        pl.Series(name + TEXT_SUFFIX, [format_usd(v) for v in df.get_column(name).to_list()], dtype=pl.String)
        for name in names
    )


UNKNOWN = "unknown"
"""How a table shows an amount that is not known (no rate card), where a dash would read as nothing."""


def for_table(df: pl.DataFrame, unknown: Iterable[str] = ()) -> pl.DataFrame:
    """A frame ready for `st.dataframe`: every money (Decimal) column as `format_usd` text, days as `YYYY-MM-DD`.

    One formatter for every table, so an amount reads the same on every page (`-$0.37`, `$136.16`, `<$0.0001`);
    a Date column would otherwise be drawn as a midnight timestamp. A null in an `unknown` column is a price not
    known and reads `unknown`; other nulls are drawn as the table's placeholder.
    """
    money = [name for name, dtype in df.schema.items() if isinstance(dtype, pl.Decimal)]
    days = [pl.col(name).dt.strftime("%Y-%m-%d") for name, dtype in df.schema.items() if dtype == pl.Date]
    out = as_text(df, money).with_columns(
        pl.when(df.get_column(c).is_null()).then(pl.lit(UNKNOWN)).otherwise(pl.col(c)).alias(c)
        for c in unknown
        if c in df.columns
    )
    return out.with_columns(days) if days else out


def format_pct(fraction: float | None) -> str:
    """`+12.5%` / `-3.0%`; `n/a` when there is nothing to compare against."""
    if fraction is None:
        return "n/a"
    return f"{fraction * 100:+.1f}%"

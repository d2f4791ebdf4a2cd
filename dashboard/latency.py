"""Latency shaping: percentiles over time, error rate, time to first token. Polars in, polars out."""

from __future__ import annotations

import polars as pl

from .spend import NONE_LABEL, key_types, sort_layers

PERCENTILES = ("p50_ms", "p95_ms", "p99_ms")
TTFT = ("ttft_p50_ms", "ttft_p95_ms", "ttft_p99_ms", "ttft_ms")
"""Time to first token over streamed calls: percentiles and the mean."""
LATENCY_METRICS = ("calls", *PERCENTILES, "error_rate", *TTFT)


def ensure_latency(df: pl.DataFrame, group_by: list[str]) -> pl.DataFrame:
    """Every expected column present (floats), null group keys labelled."""
    if df.width == 0:
        schema = {k: (pl.Date() if k == "day" else pl.String()) for k in group_by}
        df = pl.DataFrame(schema=schema | {"calls": pl.Int64()})
    df = key_types(df, group_by)
    adds = [pl.lit(None, pl.Float64).alias(c) for c in LATENCY_METRICS if c not in df.columns]
    df = df.with_columns(adds) if adds else df
    casts = [pl.col(c).cast(pl.Float64) for c in (*PERCENTILES, "error_rate", *TTFT)]
    if "streaming_calls" not in df.columns:
        casts.append(pl.lit(None, pl.Int64).alias("streaming_calls"))
    labels = [pl.col(k).fill_null(NONE_LABEL) for k in group_by if k != "day"]
    return df.with_columns(*casts, *labels)


def percentiles_long(df: pl.DataFrame, key: str) -> pl.DataFrame:
    """`day, <key>, percentile, latency_ms`: one row per line point, for a faceted or coloured line chart."""
    df = ensure_latency(df, ["day", key])
    long = df.unpivot(index=["day", key], on=list(PERCENTILES), variable_name="percentile", value_name="latency_ms")
    long = long.with_columns(pl.col("percentile").str.replace("_ms", ""))
    return long.drop_nulls("latency_ms").sort("day", key, "percentile")


def error_rate_over_time(df: pl.DataFrame, key: str) -> pl.DataFrame:
    """`day, <key>, calls, error_rate` (a fraction 0..1)."""
    df = ensure_latency(df, ["day", key])
    return df.select("day", key, "calls", "error_rate").drop_nulls("error_rate").sort("day", key)


def summary(df: pl.DataFrame, key: str) -> pl.DataFrame:
    """One row per group: calls, p50/p95/p99 ms, error rate, p50 ttft for streams; layers in product order."""
    df = ensure_latency(df, [key]).select(key, "calls", *PERCENTILES, "error_rate", "ttft_p50_ms")
    if key == "layer":
        return sort_layers(df)
    return df.sort("calls", key, descending=[True, False])


def ttft(df: pl.DataFrame, key: str) -> pl.DataFrame:
    """Groups that streamed, with their time to first token: p50, p95, p99 and the mean; slowest p95 first."""
    df = ensure_latency(df, [key]).filter(pl.col("ttft_ms").is_not_null())
    return df.select(key, "streaming_calls", *TTFT).sort("ttft_p95_ms", key, descending=[True, False], nulls_last=True)

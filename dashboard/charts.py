"""Altair chart builders. Money becomes float here, and only here: a chart needs numbers, not Decimals."""

from __future__ import annotations

import altair as alt
import polars as pl

from .money import TEXT_SUFFIX, to_float, with_text
from .spend import layer_order


def _usd_axis(largest: float) -> alt.Axis:
    # Cents are enough from a dollar up; below it, ticks such as $0.005 need more places (trailing zeros trimmed).
    return alt.Axis(format="$,.2f" if largest >= 1 else "$,.4~f", title="USD")


def _largest(frame: pl.DataFrame, column: str, by: str | None = None) -> float:
    if frame.is_empty():
        return 0.0
    values = frame.group_by(by).agg(pl.col(column).sum()).get_column(column) if by else frame.get_column(column)
    return float(values.max() or 0.0)


_PALETTE = ["#1f5fa8", "#2ca58d", "#f28e2b", "#8e6bbf", "#e15759", "#76b7b2", "#edc948", "#b07aa1", "#9c755f"]


def layer_colors(layers: list[str]) -> alt.Scale:
    """The same colour for a layer on every chart: product layers first, in product order."""
    order = layer_order(layers)
    return alt.Scale(domain=order, range=[_PALETTE[i % len(_PALETTE)] for i in range(len(order))])


def layers_stacked_daily(daily: pl.DataFrame) -> alt.Chart:
    """Daily spend (priced + estimated) stacked by layer; the tooltip shows the estimated part."""
    data = to_float(
        with_text(daily, ["cost_usd", "unpriced_cost_usd"]), ["cost_usd", "priced_cost_usd", "unpriced_cost_usd"]
    )
    layers = daily.get_column("layer").to_list()
    rank = {name: i for i, name in enumerate(layer_order(layers))}
    data = data.with_columns(pl.col("layer").replace_strict(rank, default=len(rank)).alias("layer_rank"))
    return (
        alt.Chart(data)
        .mark_bar()
        .encode(
            # A day time unit: one bar per day filling its band, and ticks on days (not twice a day).
            x=alt.X("utcyearmonthdate(day):T", title="Day (UTC)", axis=alt.Axis(format="%b %d")),
            y=alt.Y("sum(cost_usd):Q", axis=_usd_axis(_largest(data, "cost_usd", by="day")), stack="zero"),
            color=alt.Color("layer:N", scale=layer_colors(layers), title="Layer"),
            order=alt.Order("layer_rank:Q", sort="descending"),
            tooltip=[
                alt.Tooltip("day:T", format="%Y-%m-%d"),
                "layer:N",
                alt.Tooltip(f"cost_usd{TEXT_SUFFIX}:N", title="total incl. estimates"),
                alt.Tooltip(f"unpriced_cost_usd{TEXT_SUFFIX}:N", title="of which estimated"),
                "calls:Q",
            ],
        )
    )


def priced_vs_estimated(by_layer: pl.DataFrame) -> alt.Chart:
    """Horizontal bars per layer, priced and estimated stacked and coloured apart."""
    long = by_layer.unpivot(index="layer", on=["priced_usd", "estimated_usd"], variable_name="kind", value_name="usd")
    long = to_float(with_text(long, ["usd"]), ["usd"])
    long = long.with_columns(pl.col("kind").replace({"priced_usd": "priced", "estimated_usd": "estimated (unpriced)"}))
    return (
        alt.Chart(long)
        .mark_bar()
        .encode(
            y=alt.Y("layer:N", sort=by_layer.get_column("layer").to_list(), title=None),
            x=alt.X("usd:Q", axis=_usd_axis(_largest(long, "usd", by="layer")), stack="zero"),
            color=alt.Color(
                "kind:N",
                title=None,
                scale=alt.Scale(domain=["priced", "estimated (unpriced)"], range=["#1f77b4", "#ff9f1c"]),
            ),
            tooltip=["layer:N", "kind:N", alt.Tooltip(f"usd{TEXT_SUFFIX}:N", title="usd")],
        )
        .properties(height=alt.Step(34))
    )


def breakdown_bars(frame: pl.DataFrame, key: str) -> alt.Chart:
    """Bars of `total_usd` (priced plus estimated) per value of `key`: a `spend.with_change` frame."""
    data = to_float(with_text(frame.head(15), ["total_usd"]), ["total_usd"])
    return (
        alt.Chart(data)
        .mark_bar()
        .encode(
            y=alt.Y(f"{key}:N", sort="-x", title=None),
            x=alt.X("total_usd:Q", axis=_usd_axis(_largest(data, "total_usd"))),
            tooltip=[f"{key}:N", alt.Tooltip(f"total_usd{TEXT_SUFFIX}:N", title="spend incl. estimates"), "calls:Q"],
        )
        .properties(height=alt.Step(28))
    )


def latency_lines(long: pl.DataFrame, key: str, percentile: str) -> alt.Chart:
    data = long.filter(pl.col("percentile") == percentile)
    return (
        alt.Chart(data)
        .mark_line(point=True)
        .encode(
            x=alt.X("day:T", title="Day (UTC)", axis=alt.Axis(format="%b %d")),
            y=alt.Y("latency_ms:Q", title=f"{percentile} latency (ms)"),
            color=_group_color(data, key),
            tooltip=[alt.Tooltip("day:T", format="%Y-%m-%d"), f"{key}:N", alt.Tooltip("latency_ms:Q", format=",.0f")],
        )
    )


def error_rate_lines(frame: pl.DataFrame, key: str) -> alt.Chart:
    return (
        alt.Chart(frame)
        .mark_line(point=True)
        .encode(
            x=alt.X("day:T", title="Day (UTC)", axis=alt.Axis(format="%b %d")),
            y=alt.Y("error_rate:Q", title="Error rate", axis=alt.Axis(format="%")),
            color=_group_color(frame, key),
            tooltip=[alt.Tooltip("day:T", format="%Y-%m-%d"), f"{key}:N", alt.Tooltip("error_rate:Q", format=".1%")],
        )
    )


def _group_color(frame: pl.DataFrame, key: str) -> alt.Color:
    if key == "layer":
        return alt.Color("layer:N", scale=layer_colors(frame.get_column("layer").to_list()), title="Layer")
    return alt.Color(f"{key}:N", title=key.capitalize())


def substitutions_bars(subs: pl.DataFrame) -> alt.Chart:
    """Substituted calls per layer, one bar segment per requested -> used pair."""
    data = subs.with_columns((pl.col("requested_model") + " → " + pl.col("model")).alias("substitution"))
    return (
        alt.Chart(data)
        .mark_bar()
        .encode(
            y=alt.Y("layer:N", sort=layer_order(subs.get_column("layer").to_list()), title=None),
            x=alt.X("sum(calls):Q", title="Substituted calls", axis=alt.Axis(tickMinStep=1, format="d")),
            color=alt.Color("substitution:N", title="Requested → used"),
            tooltip=["layer:N", "service:N", "substitution:N", "calls:Q"],
        )
        .properties(height=alt.Step(34))
    )


def cumulative_forecast(actual: pl.DataFrame, projection: pl.DataFrame, budgets: pl.DataFrame) -> alt.LayerChart:
    """Cumulative spend this month (a line), the forecast to month end with its range (a band and a dashed line),
    and each monthly budget's amount (a labelled rule). Frames from `budgets.month_chart_data`; `budgets` has
    `name` and `amount_usd`."""
    data = to_float(with_text(actual, ["cumulative_usd"]), ["cumulative_usd"])
    proj = to_float(
        with_text(projection, ["forecast_usd", "low_usd", "high_usd"]), ["forecast_usd", "low_usd", "high_usd"]
    )
    lines = to_float(with_text(budgets.select("name", "amount_usd"), ["amount_usd"]), ["amount_usd"])
    largest = max(_largest(proj, "high_usd"), _largest(data, "cumulative_usd"), _largest(lines, "amount_usd"))
    x = alt.X("day:T", title="Day (UTC)", axis=alt.Axis(format="%b %d"))
    axis = _usd_axis(largest)
    spent = (
        alt.Chart(data)
        .mark_line(point=True, color="#1f5fa8")
        .encode(
            x=x,
            y=alt.Y("cumulative_usd:Q", axis=axis),
            tooltip=[alt.Tooltip("day:T", format="%Y-%m-%d"), alt.Tooltip("cumulative_usd_text:N", title="spent")],
        )
    )
    band = alt.Chart(proj).mark_area(opacity=0.2, color="#f28e2b").encode(x=x, y="low_usd:Q", y2="high_usd:Q")
    forecast = (
        alt.Chart(proj)
        .mark_line(strokeDash=[6, 4], color="#f28e2b")
        .encode(
            x=x,
            y=alt.Y("forecast_usd:Q", axis=axis),
            tooltip=[
                alt.Tooltip("day:T", format="%Y-%m-%d"),
                alt.Tooltip("forecast_usd_text:N", title="forecast"),
                alt.Tooltip("low_usd_text:N", title="low"),
                alt.Tooltip("high_usd_text:N", title="high"),
            ],
        )
    )
    layers = [band, spent, forecast]
    if not lines.is_empty():
        rule = (
            alt.Chart(lines)
            .mark_rule(color="#e15759", strokeDash=[2, 2])
            .encode(y="amount_usd:Q", tooltip=["name:N", alt.Tooltip("amount_usd_text:N", title="budget")])
        )
        label = (
            alt.Chart(lines)
            .mark_text(align="left", dx=4, dy=-6, color="#e15759")
            .encode(y="amount_usd:Q", text="name:N", x=alt.value(0))
        )
        layers += [rule, label]
    return alt.layer(*layers)

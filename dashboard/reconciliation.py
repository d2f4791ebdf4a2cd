"""Reconciliation: the ledger per day and model beside the provider's own report. Polars in, polars out; amounts
stay Decimal. A provider figure not given is null and stays unknown: totals leave it out and say how many rows
they leave out, never counting it as $0."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

import altair as alt
import polars as pl

from . import money
from .money import MONEY

MONEY_COLUMNS = ("ledger_cost_usd", "provider_cost_usd", "delta_cost_usd")
SCHEMA = {
    "day": pl.Date, "provider": pl.String, "model": pl.String, "ledger_calls": pl.Int64,
    "ledger_input_tokens": pl.Int64, "ledger_output_tokens": pl.Int64, "ledger_cost_usd": MONEY,
    "provider_input_tokens": pl.Int64, "provider_output_tokens": pl.Int64, "provider_cost_usd": MONEY,
    "delta_cost_usd": MONEY, "delta_pct": pl.Float64, "cause": pl.String, "ledger_unpriced_calls": pl.Int64,
    "provider_models": pl.String, "service_tiers": pl.String,
}  # fmt: skip
TOTAL_LABEL = "Total"

CAUSES: dict[str, tuple[str, str]] = {
    "ok": ("Matches", "Tokens within 1% and cost within 1% or 1 cent. Nothing to do."),
    "missing_spans": (
        "The provider counted more tokens than the ledger",
        "Calls that were not instrumented or whose spans never reached the collector. Look for services or call "
        "sites that call the provider without the `llm` client (or without an OpenTelemetry instrumentation), "
        "exporters that drop spans (check their logs for failed exports), or a collector that was down.",
    ),
    "extra_spans": (
        "The ledger counted more tokens than the provider",
        "Calls counted twice (two instrumentations on one call without a shared response id), calls sent to "
        "another account or workspace than the report covers, or test traffic against a fake. Compare the "
        "ledger's calls of that day by service.",
    ),
    "price_mismatch": (
        "Tokens agree, cost does not",
        "A rate card or a service tier is wrong: check the model's card (Review page, `tokenledger rates check`) "
        "and the tiers the provider reports (batch, priority); add a corrected card, which reprices history.",
    ),
    "ledger_only": (
        "In the ledger, not in the provider's report",
        "The report does not cover the day (import or fetch it), or the model is named differently at the "
        "provider, or the calls went to another account.",
    ),
    "provider_only": (
        "In the provider's report, not in the ledger",
        "No call of that model was recorded that day: an uninstrumented service, or spans lost. Treat as "
        "missing spans for the whole day.",
    ),
}
"""Per cause: (what it means, what to do). The collector's causes are these codes (docs/reconciliation.md)."""


def table(rows: pl.DataFrame) -> pl.DataFrame:
    """The `/api/v1/reconciliation` rows with their types (an empty answer gets the schema), by day and model."""
    if rows.is_empty():
        return pl.DataFrame(schema=SCHEMA)
    out = money.as_money(rows, MONEY_COLUMNS)
    return out.select(list(SCHEMA)).sort(["day", "provider", "model"])


def for_providers(frame: pl.DataFrame, providers: Iterable[str]) -> pl.DataFrame:
    """Rows of these providers only (all when none is given)."""
    wanted = list(providers)
    return frame.filter(pl.col("provider").is_in(wanted)) if wanted else frame


@dataclass(frozen=True)
class Totals:
    ledger_cost_usd: Decimal
    provider_cost_usd: Decimal | None
    """The sum of the costs the provider gave; None when it gave none."""
    provider_unknown_rows: int
    """Rows with no provider cost (not in its report, or the cost left empty), left out of `provider_cost_usd`."""
    delta_cost_usd: Decimal | None
    """Ledger minus provider over the rows where both costs are known."""
    rows_not_ok: int


def totals(frame: pl.DataFrame) -> Totals:
    """The total line's money: the ledger's whole cost, the provider's known cost, the known difference."""
    known = frame.filter(pl.col("provider_cost_usd").is_not_null())
    provider = None if known.is_empty() else money.total(known, "provider_cost_usd")
    delta = None if known.is_empty() else money.total(known, "delta_cost_usd")
    return Totals(
        ledger_cost_usd=money.total(frame, "ledger_cost_usd"),
        provider_cost_usd=provider,
        provider_unknown_rows=frame.height - known.height,
        delta_cost_usd=delta,
        rows_not_ok=frame.filter(pl.col("cause") != "ok").height,
    )


def with_total(frame: pl.DataFrame) -> pl.DataFrame:
    """The rows and a last `Total` line: sums of the known figures (a column with no known figure stays null)."""
    if frame.is_empty():
        return frame
    t = totals(frame)

    def known_sum(column: str) -> int | None:
        series = frame.get_column(column)
        return None if series.null_count() == len(series) else int(series.sum())

    pct = None if not t.provider_cost_usd or t.delta_cost_usd is None else float(
        t.delta_cost_usd / t.provider_cost_usd * 100)  # fmt: skip
    line = {
        "day": None, "provider": None, "model": TOTAL_LABEL,
        "ledger_calls": int(frame.get_column("ledger_calls").sum()),
        "ledger_input_tokens": int(frame.get_column("ledger_input_tokens").sum()),
        "ledger_output_tokens": int(frame.get_column("ledger_output_tokens").sum()),
        "ledger_cost_usd": t.ledger_cost_usd,
        "provider_input_tokens": known_sum("provider_input_tokens"),
        "provider_output_tokens": known_sum("provider_output_tokens"),
        "provider_cost_usd": t.provider_cost_usd, "delta_cost_usd": t.delta_cost_usd,
        "delta_pct": None if pct is None else round(pct, 2),
        "cause": f"{t.rows_not_ok} not ok" if t.rows_not_ok else "ok",
        "ledger_unpriced_calls": int(frame.get_column("ledger_unpriced_calls").sum()),
        "provider_models": None, "service_tiers": None,
    }  # fmt: skip
    return pl.concat([frame, pl.DataFrame([line], schema=SCHEMA)])


def cause_summary(frame: pl.DataFrame) -> pl.DataFrame:
    """Per cause present, in `CAUSES` order: rows, the known difference, what it means and what to do."""
    out = []
    for code, (meaning, action) in CAUSES.items():
        rows = frame.filter(pl.col("cause") == code)
        if rows.is_empty():
            continue
        known = rows.filter(pl.col("delta_cost_usd").is_not_null())
        delta = None if known.is_empty() else money.total(known, "delta_cost_usd")
        out.append({"cause": code, "rows": rows.height, "delta_cost_usd": delta, "meaning": meaning, "action": action})
    schema = {"cause": pl.String, "rows": pl.Int64, "delta_cost_usd": MONEY, "meaning": pl.String, "action": pl.String}
    return pl.DataFrame(out, schema=schema)


def variance_chart(frame: pl.DataFrame) -> alt.Chart:
    """The difference (ledger - provider) per day, stacked by cause over the models; unknown differences left out."""
    known = frame.filter(pl.col("delta_cost_usd").is_not_null())
    per_day = (
        known.group_by("day", "cause")
        .agg(pl.col("delta_cost_usd").sum(), pl.col("model").sort().str.join(", ").alias("models"))
        .sort("day", "cause")
    )
    data = money.to_float(money.with_text(per_day, ["delta_cost_usd"]), ["delta_cost_usd"]).with_columns(
        pl.col("day").dt.strftime("%Y-%m-%d").alias("day")
    )
    return (
        alt.Chart(data)
        .mark_bar()
        .encode(
            x=alt.X("day:O", title="Day (UTC)", axis=alt.Axis(labelAngle=-45)),
            y=alt.Y("sum(delta_cost_usd):Q", title="Ledger − provider (USD)"),
            color=alt.Color("cause:N", title="Cause", scale=alt.Scale(domain=list(CAUSES))),
            tooltip=["day:N", "cause:N", "models:N", alt.Tooltip("delta_cost_usd_text:N", title="Difference")],
        )
    )

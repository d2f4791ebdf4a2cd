"""Savings: what each layer would cost on other models (what-if), and what prompt caching saved. Polars in, polars
out; amounts stay Decimal (Python lists for the arithmetic: the frames are a few dozen rows).

The monthly difference is the period's difference scaled to a 30-day month (difference / days in period * 30),
so periods of different lengths compare; it says nothing about growth.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import altair as alt
import polars as pl

from .money import MONEY, format_usd
from .spend import NONE_LABEL

MONTH_DAYS = 30
WHATIF_MONEY = ("actual_cost_usd", "compared_actual_usd", "whatif_cost_usd", "delta_usd")
CACHE_MONEY = ("saved_usd", "write_premium_usd", "net_saved_usd")
POLICY_MONEY = ("paid_usd", "requested_cost_usd", "saved_usd", "estimated_usd")


def _when(text: str) -> datetime:
    moment = datetime.fromisoformat(text)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def current_cards(cards: Iterable[Mapping[str, Any]], today: date) -> list[Mapping[str, Any]]:
    """For each model, the card in force on `today` (end of day UTC); models whose first card is later are left out."""
    end = datetime(today.year, today.month, today.day, 23, 59, 59, tzinfo=UTC)
    latest: dict[str, Mapping[str, Any]] = {}
    for card in cards:
        if _when(card["effective_from"]) > end:
            continue
        kept = latest.get(card["model"])
        if kept is None or _when(card["effective_from"]) > _when(kept["effective_from"]):
            latest[card["model"]] = card
    return sorted(latest.values(), key=lambda c: c["model"])


def _names(card: Mapping[str, Any]) -> set[str]:
    return {card["model"].lower(), *(a.lower() for a in card.get("aliases") or [])}


def blended_usd_per_mtok(card: Mapping[str, Any]) -> Decimal:
    """Input plus output rate: how "cheapest" is judged (most calls are input-heavy, none is output-free)."""
    return Decimal(str(card["input_usd_per_mtok"])) + Decimal(str(card["output_usd_per_mtok"]))


def default_candidates(cards: Iterable[Mapping[str, Any]], models_in_use: Iterable[str], today: date) -> list[str]:
    """The models in use that have a card, then the cheapest current card of each provider (by blended rate)."""
    current = current_cards(cards, today)
    used = {m.lower() for m in models_in_use if m}
    picked = [c["model"] for c in current if _names(c) & used or any(u.startswith(c["model"] + "-") for u in used)]
    cheapest: dict[str, Mapping[str, Any]] = {}
    for card in current:
        provider = card.get("provider") or "other"
        if provider not in cheapest or blended_usd_per_mtok(card) < blended_usd_per_mtok(cheapest[provider]):
            cheapest[provider] = card
    picked += [c["model"] for _, c in sorted(cheapest.items())]
    return list(dict.fromkeys(picked))


def _monthly(delta: Decimal | None, days: int) -> Decimal | None:
    return None if delta is None else delta * MONTH_DAYS / days


def whatif_table(rows: pl.DataFrame, days: int) -> pl.DataFrame:
    """The `/api/v1/whatif` rows (grouped by layer) with the monthly difference and the caveats as text."""
    if rows.is_empty():
        return pl.DataFrame(
            schema={"layer": pl.String, "alternative": pl.String, "calls": pl.Int64, "actual_cost_usd": MONEY,
                    "whatif_calls": pl.Int64, "compared_actual_usd": MONEY, "whatif_cost_usd": MONEY,
                    "delta_usd": MONEY, "monthly_delta_usd": MONEY, "whatif_unknown_calls": pl.Int64,
                    "actual_unpriced_calls": pl.Int64, "caveats": pl.String}
        )  # fmt: skip
    monthly = [_monthly(d, days) for d in rows.get_column("delta_usd").to_list()]
    caveats = [", ".join(c or []) for c in rows.get_column("caveats").to_list()]
    out = rows.with_columns(
        pl.col("layer").cast(pl.String).fill_null(NONE_LABEL),
        pl.Series("monthly_delta_usd", monthly, dtype=MONEY),
        pl.Series("caveats", caveats, dtype=pl.String),
    )
    return out.select(
        "layer", "alternative", "calls", "actual_cost_usd", "whatif_calls", "compared_actual_usd", "whatif_cost_usd",
        "delta_usd", "monthly_delta_usd", "whatif_unknown_calls", "actual_unpriced_calls", "caveats",
    ).sort(["layer", "alternative"])  # fmt: skip


def comparison(table: pl.DataFrame, candidates: Sequence[str]) -> pl.DataFrame:
    """One row per layer: its cost now, and per candidate `$cost (+$x/mo)` text over the calls compared (priced on
    both sides); `unknown` when there is none, and `N calls not compared` when some are left out (no candidate card,
    or an estimated cost now)."""
    layers: dict[str, dict[str, str]] = {}
    for row in table.iter_rows(named=True):
        entry = layers.setdefault(row["layer"], {"Layer": row["layer"], "Now": format_usd(row["actual_cost_usd"])})
        if row["whatif_cost_usd"] is None:
            text = "unknown"
        else:
            monthly = row["monthly_delta_usd"]
            sign = "+" if monthly > 0 else ""
            text = f"{format_usd(row['whatif_cost_usd'])} ({sign}{format_usd(monthly)}/mo)"
            left_out = row["calls"] - row["whatif_calls"]
            if left_out:
                text += f", {left_out} calls not compared"
        entry[row["alternative"]] = text
    columns = ["Layer", "Now", *candidates]
    data = [{c: entry.get(c) for c in columns} for entry in layers.values()]
    return pl.DataFrame(data, schema=dict.fromkeys(columns, pl.String))


def monthly_totals(table: pl.DataFrame) -> dict[str, tuple[Decimal | None, int]]:
    """Per candidate, (the monthly difference over the calls it compares, calls it cannot price).

    The difference is None when no call is compared (never $0); when the candidate cannot price some calls the sum
    covers only the rest, and the count says so. Calls whose cost now is an estimate are compared on neither side
    (`whatif_table` says so per layer).
    """
    out: dict[str, tuple[Decimal | None, int]] = {}
    for row in table.iter_rows(named=True):
        amount, unknown = out.get(row["alternative"], (None, 0))
        value = row["monthly_delta_usd"]
        if value is not None:
            amount = (amount or Decimal(0)) + value
        out[row["alternative"]] = (amount, unknown + int(row["whatif_unknown_calls"] or 0))
    return out


def cache_table(rows: pl.DataFrame, keys: Sequence[str]) -> pl.DataFrame:
    """The `/api/v1/cache` rows with nulls labelled, most saved first."""
    if rows.is_empty():
        return rows
    out = rows.with_columns(pl.col(k).cast(pl.String).fill_null(NONE_LABEL) for k in keys if k != "day")
    return out.sort("net_saved_usd", descending=True, nulls_last=True)


def hit_rate_chart(daily: pl.DataFrame, key: str) -> alt.Chart:
    """Cache hit rate (cache reads over input) per day, one line per `key` value."""
    frame = daily.select("day", pl.col(key).cast(pl.String).fill_null(NONE_LABEL), "hit_rate").drop_nulls("hit_rate")
    return (
        alt.Chart(frame)
        .mark_line(point=True)
        .encode(
            x=alt.X("day:T", title="Day (UTC)"),
            y=alt.Y("hit_rate:Q", title="Cache hit rate", axis=alt.Axis(format="%")),
            color=alt.Color(f"{key}:N", title=key.capitalize()),
            tooltip=["day:T", f"{key}:N", alt.Tooltip("hit_rate:Q", format=".1%")],
        )
    )


def policy_saved_table(rows: pl.DataFrame) -> pl.DataFrame:
    """The `/api/v1/savings/policy` rows with nulls labelled, most saved first (unknown savings last)."""
    if rows.is_empty():
        return rows
    keys = [c for c in rows.columns if c not in ("calls", "unpriced_calls", *POLICY_MONEY)]
    out = rows.with_columns(pl.col(k).cast(pl.String).fill_null(NONE_LABEL) for k in keys)
    return out.sort("saved_usd", descending=True, nulls_last=True)


CAVEATS = {
    "tokenizer": "Token counts are those of the model that ran; another model's tokenizer may count the same text "
    "differently.",
    "unknown_price": "The candidate has no rate card in force for some calls: they are left out of its cost and of "
    "the difference (counted in calls not compared), never counted as $0.",
    "no_cache_price": "The candidate's card has no cache discount: cached tokens are priced as input.",
    "no_tier_price": "Some calls paid a long-context tier the candidate's card does not have: its base rates apply.",
    "actual_estimated": "Some calls have no rate card for the model that ran: their cost now is an estimate, in Now "
    "only; they are left out of the comparison (counted in calls not compared).",
}
"""What each what-if caveat code means (the collector's JSON answer carries the same list)."""


def caveats_seen(table: pl.DataFrame) -> list[str]:
    """The caveat codes that apply to any row, in `CAVEATS` order."""
    seen = {c.strip() for text in table.get_column("caveats").to_list() if text for c in text.split(",")}
    return [c for c in CAVEATS if c in seen]

"""What the stored history would have cost on another model, and what prompt caching saved.

What-if: the same token counts (cache and long-context tier included, per call) priced with the alternative
model's card in force at each call's time: one SQL sum per card window, with `_repricing.cost_sql` (the `rates`
formula in SQL, exact to the stored digit). Only prices are compared: calls that fall where the alternative has no
card (`whatif_unknown_calls`) and calls whose actual cost is an estimate (`actual_unpriced_calls`) are counted apart
and left out of both sides of `delta_usd`, never priced at $0 nor compared as if estimates were prices.

Cache: per call, with the card that priced it (tier included), cache reads at the input rate minus what they cost
(`saved_usd`) and cache writes minus their cost at the input rate (`write_premium_usd`). Unpriced calls have no
card of their own: their cache is counted in the tokens, not in the money (`unpriced_calls`); a group with no
priced call has null (unknown) money, never $0.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import Any

import pyarrow as pa

from rates import RateBook, RateCard, Rates
from rates.money import MONEY_SQL as MONEY

from ._calls import MONEY_TYPE
from ._reads import CallFilter, _keys
from ._repricing import cost_sql
from ._windows import PER_TOKEN, RATE_SQL, cards_of, windows

Query = Callable[[str, Sequence[Any]], pa.Table]

CAVEATS = {
    "tokenizer": "token counts are those of the model that ran; the alternative's tokenizer may count the same "
    "text differently",
    "unknown_price": "the alternative has no card in force for some calls: they are counted in "
    "whatif_unknown_calls and left out of whatif_cost_usd, compared_actual_usd and delta_usd",
    "no_cache_price": "the alternative's card has no cache discount (cache rates equal its input rate): cached "
    "tokens are priced as input",
    "no_tier_price": "some calls were priced at a long-context tier the alternative's card does not have: its base "
    "rates apply to them",
    "actual_estimated": "some calls have no card for the model that ran: they are counted in actual_unpriced_calls, "
    "their estimate is in actual_cost_usd only, and they are left out of compared_actual_usd, whatif_cost_usd and "
    "delta_usd",
}
"""What each code in a what-if row's `caveats` means."""


class UnknownModel(LookupError):
    """The alternative has no rate card at all."""


def _select(group_by: Sequence[str]) -> tuple[str, str]:
    """(select list with a trailing comma, GROUP BY clause) for validated keys; ('', '') for one total row."""
    select, keys = _keys(group_by)
    return select, f"GROUP BY {keys}" if keys else ""


def _ordered(group_by: Sequence[str]) -> str:
    return f"ORDER BY {', '.join(group_by)} NULLS LAST" if group_by else ""


def _and(clause: str, extra: str) -> str:
    return f"{clause} AND {extra}" if clause else f"WHERE {extra}"


def _rows(query: Query, group_by: Sequence[str], sql: str, params: list[Any]) -> dict[tuple, dict[str, Any]]:
    return {tuple(r[k] for k in group_by): r for r in query(sql, params).to_pylist()}


def _cards_of(book: RateBook, model: str) -> list[RateCard]:
    cards = cards_of(book, model)
    if not cards:
        raise UnknownModel(f"no rate card for model {model!r}: add one, or pick a model from GET /api/v1/rates")
    return cards


def _tiered(book: RateBook) -> tuple[str, list[Any]]:
    """SQL true for a call priced at its card's long-context tier (by its stored card_id)."""
    parts, params = [], []
    for card in book.cards:
        if card.long_context is not None:
            parts.append("(card_id = ? AND input_tokens > ?)")
            params += [card.card_id, card.long_context.above_input_tokens]
    return ("(" + " OR ".join(parts) + ")" if parts else "false"), params


WHATIF_MONEY = ("actual_cost_usd", "compared_actual_usd", "whatif_cost_usd", "delta_usd")


def whatif_schema(group_by: Sequence[str]) -> pa.Schema:
    return pa.schema(
        [
            *(pa.field(k, pa.date32() if k in ("day", "month") else pa.string()) for k in group_by),
            pa.field("alternative", pa.string()),
            pa.field("calls", pa.int64()),
            pa.field("actual_unpriced_calls", pa.int64()),
            pa.field("whatif_calls", pa.int64()),
            pa.field("whatif_unknown_calls", pa.int64()),
            *(pa.field(k, MONEY_TYPE) for k in WHATIF_MONEY),
            pa.field("caveats", pa.list_(pa.string())),
        ]
    )


def whatif(query: Query, book: RateBook, where: CallFilter, group_by: Sequence[str], alternatives: Sequence[str]):
    """Per group and alternative: the actual cost and the cost of the same tokens on the alternative's cards.

    Raises `UnknownModel` for an alternative with no card at all (a typo would otherwise read as "all unknown").
    """
    cards_per_alt = {alt: _cards_of(book, alt) for alt in alternatives}
    select, group = _select(group_by)
    clause, params = where.where()
    tiered, tiered_params = _tiered(book)
    base = _rows(
        query,
        group_by,
        f"""SELECT {select} count(*)::BIGINT AS calls,
            count(*) FILTER (WHERE pricing_unknown)::BIGINT AS actual_unpriced_calls,
            coalesce(sum(cost_usd), 0)::{MONEY} AS actual_cost_usd
        FROM calls {clause} {group} {_ordered(group_by)}""",
        params,
    )
    distinct = f"SELECT DISTINCT model FROM calls {_and(clause, 'model IS NOT NULL')}"
    models = query(distinct, params).column("model").to_pylist()
    out = []
    for alt, cards in cards_per_alt.items():
        same = [m for m in models if book.canonical(m) == cards[0].model.lower()] or [""]
        priced: dict[tuple, dict[str, Any]] = {}
        for card, window, window_params in windows(cards):
            cost, cost_params = cost_sql(card)
            no_cache = card.rates.cache_read_usd_per_mtok == card.rates.input_usd_per_mtok
            rows = _rows(
                query,
                group_by,
                f"""SELECT {select} count(*)::BIGINT AS n,
                    count(*) FILTER (WHERE NOT pricing_unknown)::BIGINT AS compared,
                    sum({cost}) FILTER (WHERE NOT pricing_unknown) AS cost,
                    sum(cost_usd) FILTER (WHERE NOT pricing_unknown) AS paid,
                    count(*) FILTER (WHERE model NOT IN (SELECT unnest(?::VARCHAR[])))::BIGINT AS other_model,
                    count(*) FILTER (WHERE ? AND cache_read_tokens + cache_write_tokens > 0)::BIGINT AS no_cache,
                    count(*) FILTER (WHERE ? AND {tiered})::BIGINT AS no_tier
                FROM calls {_and(clause, window)} {group}""",
                [*cost_params, same, no_cache, card.long_context is None, *tiered_params, *params, *window_params],
            )
            for key, row in rows.items():
                acc = priced.setdefault(
                    key, {"n": 0, "compared": 0, "cost": Decimal(0), "paid": Decimal(0), "flags": set()}
                )
                acc["n"] += row["n"]
                acc["compared"] += row["compared"]
                acc["cost"] += row["cost"] or 0
                acc["paid"] += row["paid"] or 0
                for flag, column in (("tokenizer", "other_model"), ("no_cache_price", "no_cache"),
                                     ("no_tier_price", "no_tier")):  # fmt: skip
                    if row[column]:
                        acc["flags"].add(flag)
        for key, row in base.items():
            acc = priced.get(key, {"n": 0, "compared": 0, "cost": None, "paid": None, "flags": set()})
            flags = set(acc["flags"])
            if acc["n"] < row["calls"]:
                flags.add("unknown_price")
            if row["actual_unpriced_calls"]:
                flags.add("actual_estimated")
            known = acc["compared"] > 0  # some call priced on both sides: else nothing to compare, not $0
            out.append(
                {k: row[k] for k in group_by}
                | {
                    "alternative": alt,
                    "calls": row["calls"],
                    "actual_unpriced_calls": row["actual_unpriced_calls"],
                    "whatif_calls": acc["compared"],
                    "whatif_unknown_calls": row["calls"] - acc["n"],
                    "actual_cost_usd": row["actual_cost_usd"],
                    "compared_actual_usd": acc["paid"] if known else None,
                    "whatif_cost_usd": acc["cost"] if known else None,
                    "delta_usd": acc["cost"] - acc["paid"] if known else None,
                    "caveats": [c for c in CAVEATS if c in flags],
                }
            )
    return pa.Table.from_pylist(out, schema=whatif_schema(group_by))


def _rate_sql(card: RateCard, pick: Callable[[Rates], Decimal]) -> tuple[str, list[Any]]:
    """The per-token rate `pick` chooses from `card`, long-context tier per call."""
    base = [pick(card.rates) / PER_TOKEN]
    if card.long_context is None:
        return f"?::{RATE_SQL}", base
    tier = pick(card.long_context.rates) / PER_TOKEN
    return f"CASE WHEN input_tokens > ? THEN ?::{RATE_SQL} ELSE ?::{RATE_SQL} END", [
        card.long_context.above_input_tokens,
        tier,
        *base,
    ]


def _multiplier_sql(card: RateCard) -> tuple[str, list[Any]]:
    """The card's multiplier for the row's service tier (batch, fast, ...; 1 for standard or a tier it lacks)."""
    if not card.service_tiers:
        return "1", []
    cases = " ".join(f"WHEN ? THEN ?::{RATE_SQL}" for _ in card.service_tiers)
    return f"(CASE service_tier {cases} ELSE 1 END)", [v for pair in card.service_tiers for v in pair]


CACHE_MONEY = ("saved_usd", "write_premium_usd", "net_saved_usd")


def cache_schema(group_by: Sequence[str]) -> pa.Schema:
    return pa.schema(
        [
            *(pa.field(k, pa.date32() if k in ("day", "month") else pa.string()) for k in group_by),
            pa.field("calls", pa.int64()),
            pa.field("input_tokens", pa.int64()),
            pa.field("cache_read_tokens", pa.int64()),
            pa.field("cache_write_tokens", pa.int64()),
            pa.field("hit_rate", pa.float64()),
            pa.field("unpriced_calls", pa.int64()),
            *(pa.field(k, MONEY_TYPE) for k in CACHE_MONEY),
        ]
    )


def cache(query: Query, book: RateBook, where: CallFilter, group_by: Sequence[str]) -> pa.Table:
    """Per group: input and cache tokens, hit rate, and what the cache saved on priced calls."""
    select, group = _select(group_by)
    clause, params = where.where()
    base = _rows(
        query,
        group_by,
        f"""SELECT {select} count(*)::BIGINT AS calls,
            TRY_CAST(coalesce(sum(input_tokens), 0) AS BIGINT) AS input_tokens,
            TRY_CAST(coalesce(sum(cache_read_tokens), 0) AS BIGINT) AS cache_read_tokens,
            TRY_CAST(coalesce(sum(cache_write_tokens), 0) AS BIGINT) AS cache_write_tokens,
            count(*) FILTER (WHERE pricing_unknown)::BIGINT AS unpriced_calls
        FROM calls {clause} {group} {_ordered(group_by)}""",
        params,
    )
    by_id = {c.card_id: c for c in book.cards}
    used = (
        query(
            f"SELECT DISTINCT card_id FROM calls {_and(clause, 'NOT pricing_unknown AND card_id IS NOT NULL')}", params
        )
        .column("card_id")
        .to_pylist()
    )
    money: dict[tuple, list[Decimal]] = {}
    for card_id in used:
        card = by_id.get(card_id)
        if card is None:  # a stored id no card carries any more: these calls stay out of the money
            continue
        inp, inp_p = _rate_sql(card, lambda r: r.input_usd_per_mtok)
        read, read_p = _rate_sql(card, lambda r: r.cache_read_usd_per_mtok)
        write, write_p = _rate_sql(card, lambda r: r.cache_write_usd_per_mtok)
        write_1h, write_1h_p = _rate_sql(card, lambda r: r.cache_write_1h_usd_per_mtok)
        tier, tier_p = _multiplier_sql(card)
        rows = _rows(
            query,
            group_by,
            f"""SELECT {select}
                coalesce(sum(CAST(cache_read_tokens * ({inp} - {read}) * {tier} AS {MONEY})), 0) AS saved,
                coalesce(sum(CAST(((cache_write_tokens - cache_write_1h_tokens) * ({write} - {inp})
                    + cache_write_1h_tokens * ({write_1h} - {inp})) * {tier} AS {MONEY})), 0) AS premium
            FROM calls {_and(clause, "card_id = ? AND NOT pricing_unknown")} {group}""",
            [*inp_p, *read_p, *tier_p, *write_p, *inp_p, *write_1h_p, *inp_p, *tier_p, *params, card_id],
        )
        for key, row in rows.items():
            acc = money.setdefault(key, [Decimal(0), Decimal(0)])
            acc[0] += row["saved"]
            acc[1] += row["premium"]
    out = []
    for key, row in base.items():
        hit = row["cache_read_tokens"] / row["input_tokens"] if row["input_tokens"] else None
        if row["unpriced_calls"] == row["calls"]:  # no call with a card of its own: unknown, not $0
            amounts = dict.fromkeys(CACHE_MONEY)
        else:
            saved, premium = money.get(key, (Decimal(0), Decimal(0)))
            amounts = {"saved_usd": saved, "write_premium_usd": premium, "net_saved_usd": saved - premium}
        out.append(row | {"hit_rate": hit} | amounts)
    return pa.Table.from_pylist(out, schema=cache_schema(group_by))

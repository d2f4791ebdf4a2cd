"""The read API's queries. Group keys come from a fixed list; every value reaches SQL as a parameter.

Token sums are HUGEINT in DuckDB; they are cast to BIGINT with TRY_CAST, so a total past int64 reads as null (not
known) instead of failing every read that covers it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from rates.money import MONEY_SQL as MONEY

from ._calls import CALL_COLUMNS

DIMENSIONS = ("team", "cost_center", "customer", "feature")
"""Who a call is charged to (docs/ingest.md, "Attribution")."""
UNATTRIBUTED = "unattributed"
"""How a call with no value for a dimension (or no conversation) reads, groups and is filtered on."""
_ATTRIBUTED = {name: f"coalesce({name}, '{UNATTRIBUTED}')" for name in DIMENSIONS}
_ATTRIBUTED["conversation"] = f"coalesce(conversation_id, '{UNATTRIBUTED}')"

DAY_SQL = "(DATE '1970-01-01' + CAST(epoch_us(start_time) // 86400000000 AS INTEGER))"
"""The UTC day a call started, as integer arithmetic: `CAST(start_time AS DATE)` converts through the ICU calendar
per row (grouping 1M calls by day: 33 ms that way, 5 ms this way; by month with `date_trunc('month', start_time)`
90 ms, 10 ms on this day). Exact because start times are never before 1970 (an OTLP time is an unsigned count of
nanoseconds since the epoch), so `//` never truncates a negative."""

GROUP_KEYS: dict[str, str] = {
    "layer": "layer",
    "model": "model",
    "card_model": "coalesce(card_model, model)",  # name variants under their card's model; else the name as sent
    "provider": "provider",
    "service_tier": "coalesce(service_tier, 'standard')",
    "service": "service",
    "environment": "environment",
    "requested_model": "requested_model",
    **_ATTRIBUTED,
    "trace_id": "trace_id",
    "day": DAY_SQL,
    "month": f"CAST(date_trunc('month', {DAY_SQL}) AS DATE)",
}
"""What `group_by` accepts, and the SQL of each key (never built from the request)."""

VALUE_FILTERS = (
    "layer", "model", "card_model", "provider", "service", "environment", "requested_model", *DIMENSIONS,
    "conversation", "trace_id",
)  # fmt: skip
"""What a read can filter on by value (names from this list only, never built from the request)."""
_FILTER_SQL = {name: _ATTRIBUTED.get(name, name) for name in VALUE_FILTERS} | {"card_model": GROUP_KEYS["card_model"]}
"""The SQL each filter compares: `team=unattributed` matches calls with no team; `card_model` groups variants."""
Values = str | tuple[str, ...] | None


@dataclass(frozen=True)
class CallFilter:
    """Which calls a read covers: a time range [start, end) on the call's start time, and value filters.

    A value filter holds one value or several (a call matches any of them: SQL `IN`); a plain string is one value,
    so single-value callers keep working. An empty tuple is refused: it would match nothing, silently.
    """

    start: datetime | None = None
    end: datetime | None = None
    layer: Values = None
    model: Values = None
    card_model: Values = None
    """The card's model, else the name as sent: `claude-sonnet-4-5` matches `anthropic/claude-sonnet-4-5` too."""
    provider: Values = None
    service: Values = None
    environment: Values = None
    requested_model: Values = None
    """The model the policy replaced (calls where RESTRICT_MODELS substituted it)."""
    team: Values = None
    cost_center: Values = None
    customer: Values = None
    feature: Values = None
    conversation: Values = None
    """`gen_ai.conversation.id`."""
    trace_id: Values = None
    pricing_unknown: bool | None = None

    def __post_init__(self) -> None:
        for name in VALUE_FILTERS:
            wanted = getattr(self, name)
            if wanted is None:
                continue
            values = (wanted,) if isinstance(wanted, str) else tuple(dict.fromkeys(wanted))
            if not values:
                raise ValueError(f"{name} filter has no value")
            object.__setattr__(self, name, values)  # frozen: normalised once, here

    def where(self) -> tuple[str, list[Any]]:
        clauses, params = [], []
        if self.start is not None:
            clauses.append("start_time >= ?")
            params.append(self.start)
        if self.end is not None:
            clauses.append("start_time < ?")
            params.append(self.end)
        for name in VALUE_FILTERS:
            wanted = getattr(self, name)
            if wanted is not None:
                clauses.append(f"{_FILTER_SQL[name]} IN ({', '.join('?' * len(wanted))})")
                params.extend(wanted)
        if self.pricing_unknown is not None:
            clauses.append("pricing_unknown = ?")
            params.append(self.pricing_unknown)
        return ("WHERE " + " AND ".join(clauses)) if clauses else "", params


VALUE_KEYS = tuple(k for k in VALUE_FILTERS if k not in ("conversation", "trace_id"))
"""What `values_sql` lists the values of: every value filter but the per-call ids (one value per conversation or
trace is a list of calls, not a choice)."""


_COLUMNS_OF = {"card_model": "card_model, model"}
"""The stored columns a value key's expression reads, where they are not the key itself."""


def values_sql(keys: Sequence[str], where: CallFilter) -> tuple[str, list[Any]]:
    """The distinct values of each key (as its filter compares them) over the calls `where` covers: one scan of one
    column per key, not a group by all of them (the dashboard's nine filter keys over 10M calls, interleaved runs:
    spend grouped by all of them 450-491 ms, this 162-164 ms; BENCHMARKS.md)."""
    clause, params = where.where()
    # The distinct stored values first, the expression (a coalesce) over those few rows after (in process over 10M
    # calls, one run after the other: all 11 keys 382 -> 257 ms, the dashboard's nine 182 -> 153 ms).
    parts = [
        f"SELECT '{k}' AS key, {_FILTER_SQL[k]} AS value "
        f"FROM (SELECT {_COLUMNS_OF.get(k, k)} FROM calls {clause} GROUP BY ALL) GROUP BY 2"
        for k in keys
    ]
    return (
        f"SELECT key, value FROM ({' UNION ALL '.join(parts)}) WHERE value IS NOT NULL ORDER BY key, value",
        params * len(keys),
    )


def _keys(group_by: Sequence[str]) -> tuple[str, str]:
    """(select list, group/order list) for validated group keys."""
    if not group_by:
        return "", ""
    select = ", ".join(f"{GROUP_KEYS[k]} AS {k}" for k in group_by) + ", "
    # By position: an alias that is also a column name (`model`) would mean the column in GROUP BY.
    return select, ", ".join(str(i) for i in range(1, len(group_by) + 1))


def spend_sql(group_by: Sequence[str], where: CallFilter) -> tuple[str, list[Any]]:
    select, keys = _keys(group_by)
    clause, params = where.where()
    tail = f"GROUP BY {keys} ORDER BY {keys} NULLS LAST" if keys else ""
    return (
        f"""
        SELECT {select}
            count(*)::BIGINT AS calls,
            TRY_CAST(coalesce(sum(input_tokens), 0) AS BIGINT) AS input_tokens,
            TRY_CAST(coalesce(sum(output_tokens), 0) AS BIGINT) AS output_tokens,
            TRY_CAST(coalesce(sum(cache_read_tokens), 0) AS BIGINT) AS cache_read_tokens,
            TRY_CAST(coalesce(sum(cache_write_tokens), 0) AS BIGINT) AS cache_write_tokens,
            TRY_CAST(coalesce(sum(cache_write_1h_tokens), 0) AS BIGINT) AS cache_write_1h_tokens,
            TRY_CAST(coalesce(sum(reasoning_tokens), 0) AS BIGINT) AS reasoning_tokens,
            coalesce(sum(cost_usd), 0)::{MONEY} AS cost_usd,
            coalesce(sum(cost_usd) FILTER (WHERE NOT pricing_unknown), 0)::{MONEY} AS priced_cost_usd,
            count(*) FILTER (WHERE pricing_unknown)::BIGINT AS unpriced_calls,
            coalesce(sum(cost_usd) FILTER (WHERE pricing_unknown), 0)::{MONEY} AS unpriced_cost_usd,
            sum(reported_cost_usd)::{MONEY} AS reported_cost_usd,
            TRY_CAST(coalesce(sum(web_search_requests), 0) AS BIGINT) AS web_search_requests,
            coalesce(sum(web_search_cost_usd), 0)::{MONEY} AS web_search_cost_usd,
            coalesce(sum(web_search_requests) FILTER (WHERE web_search_cost_usd IS NULL), 0)::BIGINT
                AS unpriced_web_search_requests,
            (coalesce(sum(cost_usd), 0) - coalesce(sum(web_search_cost_usd), 0))::{MONEY} AS token_cost_usd
        FROM calls {clause} {tail}
        """,
        params,
    )


def latency_sql(group_by: Sequence[str], where: CallFilter) -> tuple[str, list[Any]]:
    """Percentiles per group. The three levels of a column are one list aggregate (one sort per group, not three:
    over 1M calls 35-41 -> 17-19 ms for the six percentiles); time to first token counts streamed calls only."""
    select, keys = _keys(group_by)
    clause, params = where.where()
    tail = f"GROUP BY {keys}" if keys else ""
    outer = "".join(f"{k}, " for k in group_by)
    order = f"ORDER BY {keys} NULLS LAST" if keys else ""
    return (
        f"""
        SELECT {outer}calls, d[1] AS p50_ms, d[2] AS p95_ms, d[3] AS p99_ms, error_rate, streaming_calls, ttft_ms,
            t[1] AS ttft_p50_ms, t[2] AS ttft_p95_ms, t[3] AS ttft_p99_ms
        FROM (
            SELECT {select}
                count(*)::BIGINT AS calls,
                quantile_cont(duration_ms, [0.5, 0.95, 0.99]) AS d,
                avg(CASE WHEN status = 'error' THEN 1.0 ELSE 0.0 END)::DOUBLE AS error_rate,
                count(*) FILTER (WHERE streaming)::BIGINT AS streaming_calls,
                avg(ttft_ms) FILTER (WHERE streaming) AS ttft_ms,
                quantile_cont(CASE WHEN streaming THEN ttft_ms END, [0.5, 0.95, 0.99]) AS t
            FROM calls {clause} {tail}
        ) {order}
        """,
        params,
    )


_PUBLIC_CALL_COLUMNS = ", ".join(c for c in CALL_COLUMNS if c != "attribution_score")


def calls_sql(
    where: CallFilter, limit: int, offset: int, after: tuple[datetime, str, str] | None = None
) -> tuple[str, list[Any]]:
    """A page of calls in the read order; `after` (start_time, trace_id, span_id) starts past that row (a cursor)."""
    clause, params = where.where()
    if after is not None:  # the rows after the cursor in the ORDER BY below: rows ingested meanwhile shift nothing
        keyset = "(start_time < ? OR (start_time = ? AND (trace_id, span_id) > (?, ?)))"
        clause = f"{clause} AND {keyset}" if clause else f"WHERE {keyset}"
        params = [*params, after[0], after[0], after[1], after[2]]
    return (
        f"SELECT {_PUBLIC_CALL_COLUMNS} FROM calls {clause} "
        "ORDER BY start_time DESC, trace_id, span_id LIMIT ? OFFSET ?",
        [*params, limit, offset],
    )


def count_sql(where: CallFilter) -> tuple[str, list[Any]]:
    clause, params = where.where()
    return f"SELECT count(*)::BIGINT AS n FROM calls {clause}", params


def review_sql(where: CallFilter) -> tuple[str, list[Any]]:
    clause, params = CallFilter(**{**where.__dict__, "pricing_unknown": True}).where()
    return (
        f"""
        SELECT model, provider,
            count(*)::BIGINT AS calls,
            TRY_CAST(sum(input_tokens) AS BIGINT) AS input_tokens,
            TRY_CAST(sum(output_tokens) AS BIGINT) AS output_tokens,
            TRY_CAST(sum(cache_read_tokens) AS BIGINT) AS cache_read_tokens,
            TRY_CAST(sum(cache_write_tokens) AS BIGINT) AS cache_write_tokens,
            sum(cost_usd)::{MONEY} AS estimated_cost_usd,
            string_agg(DISTINCT estimate_source, '; ' ORDER BY estimate_source) AS estimate_source,
            min(start_time) AS first_seen,
            max(start_time) AS last_seen
        FROM calls {clause}
        GROUP BY model, provider
        ORDER BY estimated_cost_usd DESC, model NULLS LAST
        """,
        params,
    )


RATES_SQL = """
SELECT model, effective_from, provider, aliases, input_usd_per_mtok, output_usd_per_mtok, cache_read_usd_per_mtok,
       cache_write_usd_per_mtok, cache_write_1h_usd_per_mtok, long_context_above_input_tokens,
       long_context_input_usd_per_mtok, long_context_output_usd_per_mtok, long_context_cache_read_usd_per_mtok,
       long_context_cache_write_usd_per_mtok, long_context_cache_write_1h_usd_per_mtok, service_tiers,
       web_search_usd_per_kcount,
       source, note, origin, created_at
FROM rate_cards ORDER BY model, effective_from
"""

REPRICINGS_SQL = f"""
SELECT id, repriced_at, model, card_id, effective_from, rows, old_cost_usd, new_cost_usd,
       (new_cost_usd - old_cost_usd)::{MONEY} AS delta_usd, note
FROM repricings ORDER BY id DESC
"""

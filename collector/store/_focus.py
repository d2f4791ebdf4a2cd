"""The token sums a FOCUS export is built from: per day, service, layer, environment, dimensions, provider, model,
card, long-context or not, and service tier, with the cost stored for them (cache writes split into 5-minute and
1-hour). `collector/focus.py` turns them into FOCUS rows."""

from __future__ import annotations

from datetime import datetime

import pyarrow as pa

from rates import RateBook
from rates.money import MONEY_SQL as MONEY

from ._whatif import Query, _tiered


def usage(query: Query, book: RateBook, start: datetime, end: datetime) -> pa.Table:
    """Token sums (and web searches) per day, service, layer, environment, provider, model, card_id,
    pricing_unknown, long_context and service_tier for calls that started in [start, end)."""
    tiered, tiered_params = _tiered(book)
    return query(
        f"""
        SELECT CAST(start_time AS DATE) AS day, service, layer, environment, team, cost_center, customer, feature,
            provider, model, card_id,
            pricing_unknown, {tiered} AS long_context, coalesce(service_tier, 'standard') AS service_tier,
            count(*)::BIGINT AS calls,
            TRY_CAST(sum(input_tokens - cache_read_tokens - cache_write_tokens) AS BIGINT) AS input_tokens,
            TRY_CAST(sum(cache_read_tokens) AS BIGINT) AS cache_read_tokens,
            TRY_CAST(sum(cache_write_tokens - cache_write_1h_tokens) AS BIGINT) AS cache_write_tokens,
            TRY_CAST(sum(cache_write_1h_tokens) AS BIGINT) AS cache_write_1h_tokens,
            TRY_CAST(sum(output_tokens) AS BIGINT) AS output_tokens,
            TRY_CAST(sum(web_search_requests) AS BIGINT) AS web_search_requests,
            sum(cost_usd)::{MONEY} AS cost_usd
        FROM calls WHERE start_time >= ? AND start_time < ?
        GROUP BY ALL
        ORDER BY day, service NULLS LAST, layer NULLS LAST, environment NULLS LAST, team NULLS LAST,
            cost_center NULLS LAST, customer NULLS LAST, feature NULLS LAST, provider NULLS LAST,
            model NULLS LAST, card_id NULLS LAST, pricing_unknown, long_context, service_tier
        """,
        [*tiered_params, start, end],
    )

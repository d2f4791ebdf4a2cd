"""The token sums a FOCUS export is built from: per day, service, layer, environment, dimensions, provider, model,
card, long-context or not, and service tier, with the cost stored for them (cache writes split into 5-minute and
1-hour). `collector/focus.py` turns them into FOCUS rows.

Grouped and ordered by position: on ClickHouse a name there would be the column (`service_tier`), not the alias."""

from __future__ import annotations

from datetime import datetime

import pyarrow as pa

from rates import RateBook
from rates.money import MONEY_SQL as MONEY

from ._reads import DAY_SQL
from ._whatif import Query, _tiered


def usage(query: Query, book: RateBook, start: datetime, end: datetime) -> pa.Table:
    """Token sums (and web searches) per day, service, layer, environment, provider, model, card_id,
    pricing_unknown, long_context and service_tier for calls that started in [start, end)."""
    tiered, tiered_params = _tiered(book)
    return query(
        f"""
        SELECT {DAY_SQL} AS day, service, layer, environment, team, cost_center, customer, feature,
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
        GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14
        ORDER BY 1, 2 NULLS LAST, 3 NULLS LAST, 4 NULLS LAST, 5 NULLS LAST, 6 NULLS LAST, 7 NULLS LAST, 8 NULLS LAST,
            9 NULLS LAST, 10 NULLS LAST, 11 NULLS LAST, 12, 13, 14
        """,
        [*tiered_params, start, end],
    )

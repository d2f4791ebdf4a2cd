"""genai-prices' own `calc_price` for a `rates.Usage`: the independent figure the pricing tests compare with."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import genai_prices

from rates import Usage


def genai_price(model: str, usage: Usage, at: datetime, context: dict[str, str] | None = None) -> Decimal:
    """What genai-prices charges for `usage` of `model` at `at` (`context`: its price context, e.g. a tier)."""
    theirs = genai_prices.Usage(
        input_tokens=usage.input_tokens,
        output_tokens=usage.output_tokens,
        cache_read_tokens=usage.cache_read_tokens,
        cache_write_tokens=usage.cache_write_tokens,
        cache_write_1h_tokens=usage.cache_write_1h_tokens,
        web_searches=usage.web_search_requests,
    )
    return genai_prices.calc_price(theirs, model, genai_request_timestamp=at, price_context=context or None).total_price

"""Server-side pricing: every row priced with the card in force at the call's start time, whatever the client said."""

from __future__ import annotations

from rates import RateBook, Usage, price_call

from .mapping import InvalidSpan
from .row import CallRow


def price_row(book: RateBook, row: CallRow) -> CallRow:
    """Fill `cost_usd`, `pricing_unknown` and `card_id` in `row`.

    A model with no card gets the default estimate, `pricing_unknown` true and no `card_id`.
    """
    try:
        usage = Usage(
            row.input_tokens,
            row.output_tokens,
            cache_read_tokens=row.cache_read_tokens,
            cache_write_tokens=row.cache_write_tokens,
            reasoning_tokens=row.reasoning_tokens,
            cache_write_1h_tokens=row.cache_write_1h_tokens,
            web_search_requests=row.web_search_requests,
        )
        price = price_call(book, row.model or "", usage, at=row.start_time, service_tier=row.service_tier)
    except (TypeError, ValueError) as exc:
        raise InvalidSpan(str(exc)) from None
    row.cost_usd = price.cost_usd
    row.pricing_unknown = price.pricing_unknown
    # An estimate is priced at the default model's card but is not that card's figure: it names no card.
    row.card_id = None if price.pricing_unknown else price.card_id
    row.card_model = None if price.pricing_unknown or price.card is None else price.card.model
    row.estimate_source = price.estimate_source
    row.web_search_cost_usd = price.web_search_cost_usd
    return row

"""Server-side pricing: every row priced with the card in force at the call's start time, whatever the client said."""

from __future__ import annotations

from typing import Any

from rates import RateBook, price_call

from .mapping import InvalidSpan


def price_row(book: RateBook, row: dict[str, Any]) -> dict[str, Any]:
    """Fill `cost_usd`, `pricing_unknown` and `card_id` in `row` (a model with no card gets the default estimate)."""
    try:
        price = price_call(
            book,
            row["model"] or "",
            row["input_tokens"],
            row["output_tokens"],
            cache_read_tokens=row["cache_read_tokens"],
            cache_write_tokens=row["cache_write_tokens"],
            at=row["start_time"],
        )
    except (TypeError, ValueError) as exc:
        raise InvalidSpan(str(exc)) from None
    row["cost_usd"] = price.cost_usd
    row["pricing_unknown"] = price.pricing_unknown
    row["card_id"] = price.card_id
    return row

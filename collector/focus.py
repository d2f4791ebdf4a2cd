"""The spend as a FOCUS 1.2 cost-and-usage dataset (https://focus.finops.org), for FinOps tools.

One row per day, service, layer, environment, the four attribution dimensions, model, rate card, long-context tier,
service tier and charge component (uncached input, cache read, 5-minute and 1-hour cache write, output, web search).
A service tier's multiplier (batch, fast) is applied to the card's rates, as `rates` prices the calls; web searches
are priced per `1000 Requests`. Token counts are the consumed quantity; the pricing unit is `1000000 Tokens` (FOCUS unit
format), so `ListUnitPrice` is the card's USD-per-million rate and `ListCost = PricingQuantity * ListUnitPrice`.

Estimates are never billed: a row of calls with no card for their model (`x_PricingUnknown = true`) has
`BilledCost`, `EffectiveCost`, `ListCost` and `ContractedCost` 0 and carries the estimate in `x_EstimatedCost`: the
estimate stored with the calls (the spend API's `unpriced_cost_usd`), never one made again from today's cards. A
group's stored estimate is split over its charge components in proportion to their tokens at the estimating rates
`rates` uses now (only the split; the group's total is the stored one). So the `BilledCost` total equals the spend
API's `priced_cost_usd` for the same range, the `x_EstimatedCost` total its `unpriced_cost_usd`, and a card added
later changes neither until it reprices the calls.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

import pyarrow as pa

from rates import DEFAULT_MODEL, RateBook, Usage, price_call
from rates.money import MONEY_PRECISION, MONEY_SCALE, money

FOCUS_VERSION = "1.2"
_PER_MTOK = Decimal(1_000_000)
_MONEY = pa.decimal128(MONEY_PRECISION, MONEY_SCALE)
_QUANTITY = pa.decimal128(38, 6)

COMPONENTS = (  # (component, token column, rate field, SkuMeter)
    ("input", "input_tokens", "input_usd_per_mtok", "Input Tokens"),
    ("cache_read", "cache_read_tokens", "cache_read_usd_per_mtok", "Cache Read Tokens"),
    ("cache_write", "cache_write_tokens", "cache_write_usd_per_mtok", "Cache Write Tokens"),
    ("cache_write_1h", "cache_write_1h_tokens", "cache_write_1h_usd_per_mtok", "Cache Write Tokens (1 hour)"),
    ("output", "output_tokens", "output_usd_per_mtok", "Output Tokens"),
)
_PROVIDERS = {"anthropic": "Anthropic", "x_ai": "xAI", "xai": "xAI", "openai": "OpenAI"}

_STRING = pa.string()
_TIME = pa.timestamp("s", tz="UTC")
SCHEMA = pa.schema(
    [
        ("BilledCost", _MONEY),
        ("BillingAccountId", _STRING),
        ("BillingAccountName", _STRING),
        ("BillingCurrency", _STRING),
        ("BillingPeriodStart", _TIME),
        ("BillingPeriodEnd", _TIME),
        ("ChargeCategory", _STRING),
        ("ChargeClass", _STRING),
        ("ChargeDescription", _STRING),
        ("ChargeFrequency", _STRING),
        ("ChargePeriodStart", _TIME),
        ("ChargePeriodEnd", _TIME),
        ("ConsumedQuantity", _QUANTITY),
        ("ConsumedUnit", _STRING),
        ("ContractedCost", _MONEY),
        ("ContractedUnitPrice", _MONEY),
        ("EffectiveCost", _MONEY),
        ("InvoiceId", _STRING),
        ("InvoiceIssuerName", _STRING),
        ("ListCost", _MONEY),
        ("ListUnitPrice", _MONEY),
        ("PricingCategory", _STRING),
        ("PricingCurrency", _STRING),
        ("PricingQuantity", _QUANTITY),
        ("PricingUnit", _STRING),
        ("ProviderName", _STRING),
        ("PublisherName", _STRING),
        ("ServiceCategory", _STRING),
        ("ServiceName", _STRING),
        ("ServiceSubcategory", _STRING),
        ("SkuId", _STRING),
        ("SkuMeter", _STRING),
        ("SkuPriceId", _STRING),
        ("SubAccountId", _STRING),
        ("SubAccountName", _STRING),
        ("Tags", _STRING),
        ("x_PricingUnknown", pa.bool_()),
        ("x_EstimatedCost", _MONEY),
        ("x_Model", _STRING),
        ("x_RateCardId", _STRING),
        ("x_ChargeComponent", _STRING),
        ("x_Calls", pa.int64()),
        ("x_Tokens", pa.int64()),
    ]
)


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time(), UTC)


def _month(day: date) -> tuple[datetime, datetime]:
    first = day.replace(day=1)
    following = (first + timedelta(days=32)).replace(day=1)
    return _midnight(first), _midnight(following)


_ONE_TOKEN = {  # one token of each component, as `rates.Usage` counts it (input includes the cache)
    "input": Usage(1, 0),
    "cache_read": Usage(1, 0, cache_read_tokens=1),
    "cache_write": Usage(1, 0, cache_write_tokens=1),
    "cache_write_1h": Usage(1, 0, cache_write_tokens=1, cache_write_1h_tokens=1),
    "output": Usage(0, 1),
}


def _estimate_split(book: RateBook, at: datetime, row: dict[str, Any]) -> dict[str, Decimal]:
    """The group's stored estimate (`cost_usd`) per component with tokens; the parts add up to it exactly."""
    tokens = {c: row[column] for c, column, _, _ in COMPONENTS if row[column]}
    if not tokens:
        return {}
    weight = {c: n * price_call(book, DEFAULT_MODEL, _ONE_TOKEN[c], at=at).cost_usd for c, n in tokens.items()}
    if not any(weight.values()):  # free estimating rates: by tokens
        weight = {c: Decimal(n) for c, n in tokens.items()}
    total: Decimal = row["cost_usd"]
    whole = sum(weight.values(), Decimal(0))
    parts = {c: money(total * w / whole) for c, w in weight.items()}
    last = list(parts)[-1]  # the rounding remainder, so that the parts sum to the stored figure
    parts[last] = total - sum((v for c, v in parts.items() if c != last), Decimal(0))
    return parts


WEB_SEARCH = "web_search"
"""The charge component of server-side web searches: priced per 1,000 requests, apart from tokens."""
_TAGS = ("layer", "service", "environment", "team", "cost_center", "customer", "feature")
_PER_KCOUNT = Decimal(1000)


def _charges(row: dict[str, Any], rates: Any, card: Any):
    """(component, quantity, rate or None, quantity per pricing unit, SkuMeter, PricingUnit) of each charge a row
    has: its token components at the card's (tiered) rates, then its web searches at the card's per-search price.
    An estimated row has no rate; a search price the card lacks is unknown (None), never 0."""
    for component, column, field, meter in COMPONENTS:
        if row[column]:
            rate = getattr(rates, field) if rates is not None else None
            yield component, row[column], rate, _PER_MTOK, meter, "1000000 Tokens"
    if row["web_search_requests"]:
        rate = card.web_search_usd_per_kcount if card is not None else None
        yield WEB_SEARCH, row["web_search_requests"], rate, _PER_KCOUNT, "Web Search Requests", "1000 Requests"


def focus_rows(usage: pa.Table, book: RateBook) -> pa.Table:
    """FOCUS rows from the store's usage sums (`collector.store._focus.usage`)."""
    by_id = {c.card_id: c for c in book.cards}
    out: list[dict[str, Any]] = []
    for row in usage.to_pylist():
        day: date = row["day"]
        start = _midnight(day)
        period_start, period_end = _month(day)
        card = by_id.get(row["card_id"]) if not row["pricing_unknown"] else None
        known = card is not None
        rates = None
        estimates: dict[str, Decimal] = {}
        if known:
            rates = card.long_context.rates if row["long_context"] and card.long_context else card.rates
            rates = rates.scaled(card.tier_multiplier(row["service_tier"]))  # batch, fast, ...: as rates prices it
        else:
            estimates = _estimate_split(book, start, row)
        provider_key = (row["provider"] or "").lower()
        provider = _PROVIDERS.get(provider_key, row["provider"] or "Unknown")
        sku = card.model if known else (row["model"] or "unknown")
        tier = ("/long_context" if row["long_context"] else "") + (
            "" if row["service_tier"] == "standard" else f"/{row['service_tier']}"
        )
        tags = {k: row[k] for k in _TAGS if row[k] is not None} | {"model": row["model"] or "unknown"}
        for component, tokens, rate, per, meter, unit in _charges(row, rates, card):
            # Exact for rates of up to 6 decimals per million; a finer rate is rounded to the stored 12 decimals.
            billed = money(tokens * rate / per) if rate is not None else Decimal(0)
            priced = rate is not None
            out.append(
                {
                    "BilledCost": billed,
                    "BillingAccountId": "tokenledger",
                    "BillingAccountName": "tokenledger",
                    "BillingCurrency": "USD",
                    "BillingPeriodStart": period_start,
                    "BillingPeriodEnd": period_end,
                    "ChargeCategory": "Usage",
                    "ChargeClass": None,
                    "ChargeDescription": f"{meter} of {row['model'] or 'an unknown model'}"
                    + ("" if known else " (no rate card: estimated, not billed)"),
                    "ChargeFrequency": "Usage-Based",
                    "ChargePeriodStart": start,
                    "ChargePeriodEnd": start + timedelta(days=1),
                    "ConsumedQuantity": Decimal(tokens),
                    "ConsumedUnit": "Requests" if component == WEB_SEARCH else "Tokens",
                    "ContractedCost": billed,
                    "ContractedUnitPrice": rate if priced else None,
                    "EffectiveCost": billed,
                    # The provider's invoice number is not known to the ledger: issuer and billing month stand in.
                    "InvoiceId": f"{provider}-{period_start:%Y-%m}",
                    "InvoiceIssuerName": provider,
                    "ListCost": billed,
                    "ListUnitPrice": rate if priced else None,
                    "PricingCategory": "Standard" if priced else None,
                    "PricingCurrency": "USD",
                    "PricingQuantity": Decimal(tokens) / per,
                    "PricingUnit": unit,
                    "ProviderName": provider,
                    "PublisherName": provider,
                    "ServiceCategory": "AI and Machine Learning",
                    "ServiceName": f"{provider} API",
                    "ServiceSubcategory": "Generative AI",
                    "SkuId": f"{sku}/{component}",
                    "SkuMeter": meter,
                    "SkuPriceId": f"{card.card_id}/{component}{tier}" if priced and card is not None else None,
                    "SubAccountId": row["service"],
                    "SubAccountName": row["service"],
                    "Tags": json.dumps(tags, sort_keys=True),
                    "x_PricingUnknown": not priced,
                    "x_EstimatedCost": None if known else estimates.get(component),
                    "x_Model": row["model"],
                    "x_RateCardId": row["card_id"],
                    "x_ChargeComponent": component,
                    "x_Calls": row["calls"],
                    "x_Tokens": None if component == WEB_SEARCH else tokens,
                }
            )
    return pa.Table.from_pylist(out, schema=SCHEMA)


def for_csv(table: pa.Table) -> pa.Table:
    """Date-times as FOCUS writes them, `2025-11-01T00:00:00Z` (a CSV writer would put a space for the `T`)."""
    for index, field in enumerate(table.schema):
        if pa.types.is_timestamp(field.type):
            texts = [None if v is None else f"{v:%Y-%m-%dT%H:%M:%SZ}" for v in table.column(index).to_pylist()]
            table = table.set_column(index, field.name, pa.array(texts, pa.string()))
    return table

"""Reconciliation: the ledger per UTC day and model beside the provider's own report, with a cause for each row.

Pure Python above the store: the ledger side is the store's ordinary spend read (`group_by` day, provider,
card_model), the provider side its stored report rows, so any store that implements those two serves this.

Model names on both sides go through the pricing name rules (`rates._names`): a name a rate card knows becomes the
card's model; any other name is reduced by the same rules (provider prefix, Bedrock and Vertex forms, dates,
`-latest`, dotted versions), so `claude-sonnet-4-5-20250929` and `anthropic/claude-sonnet-4.5` are one model.

Causes (docs/reconciliation.md):
- `ok`: every token figure the provider gives is within 1% of the ledger's, and the cost is within 1% or 1 cent
  (or the provider gives no cost);
- `missing_spans`: the provider counted more tokens: calls were not instrumented, or their spans never arrived;
- `extra_spans`: the ledger counted more tokens: calls counted twice, or calls the provider did not bill as such;
- `price_mismatch`: the tokens agree, the cost does not: a rate card or a service tier is wrong;
- `ledger_only`: the ledger has calls for the day and model, the provider's report has no row;
- `provider_only`: the provider reports the day and model, the ledger has no call.
When the provider gives no token figure at all, a cost difference is classed by its sign (more cost at the
provider: `missing_spans`, less: `extra_spans`), since the tokens cannot tell a price from a volume.
`delta_cost_usd` is the ledger's cost minus the provider's: negative when the ledger is short. It is null when the
provider's cost is not known, never $0.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

import pyarrow as pa

from rates import RateBook
from rates._names import name_variants

CAUSES = ("ok", "missing_spans", "extra_spans", "price_mismatch", "ledger_only", "provider_only")
TOKEN_TOLERANCE = Decimal("0.01")
"""Token figures agree within 1% (of the larger)."""
COST_TOLERANCE = Decimal("0.01")
COST_FLOOR_USD = Decimal("0.01")
"""Costs agree within 1% (of the provider's) or 1 cent, whichever is larger."""
LEDGER_GROUPS = ["day", "provider", "card_model"]
"""The spend read's `group_by` that reconciliation reads the ledger with."""

_MONEY = pa.decimal128(38, 12)
SCHEMA = pa.schema(
    [
        ("day", pa.date32()),
        ("provider", pa.string()),
        ("model", pa.string()),
        ("ledger_calls", pa.int64()),
        ("ledger_input_tokens", pa.int64()),
        ("ledger_output_tokens", pa.int64()),
        ("ledger_cost_usd", _MONEY),
        ("provider_input_tokens", pa.int64()),
        ("provider_output_tokens", pa.int64()),
        ("provider_cost_usd", _MONEY),
        ("delta_cost_usd", _MONEY),
        ("delta_pct", pa.float64()),
        ("cause", pa.string()),
        ("ledger_unpriced_calls", pa.int64()),
        ("provider_models", pa.string()),
        ("service_tiers", pa.string()),
    ]
)
"""The reconciliation rows: the issue's columns, then what helps act on a cause (calls estimated for want of a
card, the names the provider used, the tiers it reported)."""


def match_key(book: RateBook, model: str) -> str:
    """The name both sides are matched on: the card's model when a card knows the name, else the name reduced by
    the pricing name rules."""
    known = book.canonical(model)
    if known is not None:
        return known
    *_, last = ("", *name_variants(model))  # a call with no model name at all keeps an empty name
    return last


@dataclass
class _Ledger:
    calls: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    cost_usd: Decimal = Decimal(0)
    unpriced_calls: int = 0


@dataclass
class _Provider:
    input_tokens: int | None = 0
    output_tokens: int | None = 0
    cost_usd: Decimal | None = Decimal(0)
    names: set[str] = field(default_factory=set)
    tiers: set[str] = field(default_factory=set)


def _add(total: Any, value: Any) -> Any:
    """A sum in which one unknown figure makes the sum unknown."""
    return None if total is None or value is None else total + value


def _within(a: int | Decimal, b: int | Decimal, tolerance: Decimal) -> bool:
    return abs(Decimal(a) - Decimal(b)) <= tolerance * max(abs(Decimal(a)), abs(Decimal(b)))


def cause_of(ledger: _Ledger, provider: _Provider) -> str:
    """The cause of one row present on both sides (module docstring)."""
    pairs = [(p, le) for p, le in ((provider.input_tokens, ledger.input_tokens),
                                   (provider.output_tokens, ledger.output_tokens)) if p is not None]  # fmt: skip
    delta = None if provider.cost_usd is None else ledger.cost_usd - provider.cost_usd
    cost_ok = delta is None or abs(delta) <= max(COST_FLOOR_USD, COST_TOLERANCE * abs(provider.cost_usd))
    if pairs:
        if all(_within(p, le, TOKEN_TOLERANCE) for p, le in pairs):
            return "ok" if cost_ok else "price_mismatch"
        return "missing_spans" if sum(p for p, _ in pairs) > sum(le for _, le in pairs) else "extra_spans"
    if cost_ok:
        return "ok"
    return "missing_spans" if delta < 0 else "extra_spans"


def reconcile(ledger: pa.Table, reports: pa.Table, book: RateBook) -> pa.Table:
    """Rows per (day, provider, model) from the spend read (`LEDGER_GROUPS`) and the stored report rows."""
    sides: dict[tuple[date, str, str], list[Any]] = {}
    for row in ledger.to_pylist():
        key = (row["day"], row["provider"] or "", match_key(book, row["card_model"] or ""))
        entry = sides.setdefault(key, [None, None])
        mine = entry[0] = entry[0] or _Ledger()
        mine.calls += row["calls"]
        mine.input_tokens += row["input_tokens"] or 0
        mine.output_tokens += row["output_tokens"] or 0
        mine.cost_usd += row["cost_usd"]
        mine.unpriced_calls += row["unpriced_calls"]
    for row in reports.to_pylist():
        key = (row["day"], row["provider"], match_key(book, row["model"]))
        entry = sides.setdefault(key, [None, None])
        theirs = entry[1] = entry[1] or _Provider()
        theirs.input_tokens = _add(theirs.input_tokens, row["input_tokens"])
        theirs.output_tokens = _add(theirs.output_tokens, row["output_tokens"])
        theirs.cost_usd = _add(theirs.cost_usd, row["cost_usd"])
        theirs.names.add(row["model"])
        theirs.tiers.update(t.strip() for t in (row["service_tiers"] or "").split(";") if t.strip())
    out = [_row(key, mine, theirs) for key, (mine, theirs) in sorted(sides.items())]
    return pa.Table.from_pylist(out, schema=SCHEMA)


def _row(key: tuple[date, str, str], mine: _Ledger | None, theirs: _Provider | None) -> dict[str, Any]:
    day, provider, model = key
    ledger = mine or _Ledger()  # no call in the ledger: its figures are known, and zero
    if theirs is None:
        cause = "ledger_only"
    elif mine is None:
        cause = "provider_only"
    else:
        cause = cause_of(ledger, theirs)
    cost = None if theirs is None else theirs.cost_usd
    delta = None if cost is None else ledger.cost_usd - cost
    pct = None if delta is None or not cost else round(float(delta / cost * 100), 2)
    return {
        "day": day, "provider": provider, "model": model,
        "ledger_calls": ledger.calls, "ledger_input_tokens": ledger.input_tokens,
        "ledger_output_tokens": ledger.output_tokens, "ledger_cost_usd": ledger.cost_usd,
        "provider_input_tokens": None if theirs is None else theirs.input_tokens,
        "provider_output_tokens": None if theirs is None else theirs.output_tokens,
        "provider_cost_usd": cost, "delta_cost_usd": delta, "delta_pct": pct, "cause": cause,
        "ledger_unpriced_calls": ledger.unpriced_calls,
        "provider_models": None if theirs is None else ", ".join(sorted(theirs.names)),
        "service_tiers": None if theirs is None or not theirs.tiers else "; ".join(sorted(theirs.tiers)),
    }  # fmt: skip


def report_providers(reports: pa.Table) -> list[str]:
    """The providers that have report rows in `reports`."""
    return sorted(set(reports.column("provider").to_pylist()))

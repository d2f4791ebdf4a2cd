"""The unpriced-model review queue, its banner, and the rate-card form. Polars in, polars out."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

import polars as pl

from .money import MONEY, format_usd, total

RATE_FIELDS = ("input_usd_per_mtok", "output_usd_per_mtok", "cache_read_usd_per_mtok", "cache_write_usd_per_mtok")
RATE_LABELS = {
    "input_usd_per_mtok": "Input, USD per million tokens",
    "output_usd_per_mtok": "Output, USD per million tokens",
    "cache_read_usd_per_mtok": "Cache read, USD per million tokens (blank: input rate)",
    "cache_write_usd_per_mtok": "Cache write, USD per million tokens (blank: input rate)",
}
TIER_THRESHOLD = "long_context_above_input_tokens"
TIER_FIELDS = tuple(f"long_context_{name}" for name in RATE_FIELDS)
"""Form keys of the optional long-context tier (as the `/api/v1/rates` columns name them)."""
TIER_LABELS = {
    TIER_THRESHOLD: "Long-context threshold: above this many input tokens (blank: no tier)",
    # No label contains another (screen readers and browser tests find a field by its label's text).
    **{
        f"long_context_{name}": f"Long-context {label.split(',')[0].lower()} rate, USD per Mtok"
        + (" (blank: tier input rate)" if name.startswith("cache_") else "")
        for name, label in RATE_LABELS.items()
    },
}
CACHE_1H = "cache_write_1h_usd_per_mtok"
WEB_SEARCH = "web_search_usd_per_kcount"
SERVICE_TIERS = "service_tiers"
OPTIONAL_LABELS = {
    CACHE_1H: "1-hour cache write, USD per million tokens (blank: the cache write rate)",
    f"long_context_{CACHE_1H}": "Long-context 1-hour cache write rate, USD per Mtok (blank: tier cache write rate)",
    WEB_SEARCH: "Web search, USD per 1,000 searches (blank: searches not priced)",
    SERVICE_TIERS: "Service tiers, multipliers of every rate (e.g. batch=0.5, fast=2; blank: none)",
}
"""Optional card fields (docs/rates.md): prefilled from the suggestion, sent only when filled in."""
_QUEUE_SCHEMA = {
    "model": pl.String(),
    "provider": pl.String(),
    "calls": pl.Int64(),
    "input_tokens": pl.Int64(),
    "output_tokens": pl.Int64(),
    "estimated_cost_usd": MONEY,
    "first_seen": pl.Datetime("us", "UTC"),
    "last_seen": pl.Datetime("us", "UTC"),
    "suggested": pl.String(),
}


def queue_frame(models: list[Mapping[str, Any]]) -> pl.DataFrame:
    """The queue as a frame, most expensive first; `suggested` cards stay in the JSON, flagged here."""
    rows = []
    for m in models:
        rows.append(
            {
                "model": m.get("model"),
                "provider": m.get("provider"),
                "calls": int(m.get("calls") or 0),
                "input_tokens": int(m.get("input_tokens") or 0),
                "output_tokens": int(m.get("output_tokens") or 0),
                "estimated_cost_usd": Decimal(str(m.get("estimated_cost_usd") or "0")),
                "first_seen": _instant(m.get("first_seen")),
                "last_seen": _instant(m.get("last_seen")),
                "suggested": suggestion_text(m.get("suggested")),
            }
        )
    df = pl.DataFrame(rows, schema=_QUEUE_SCHEMA, orient="row") if rows else pl.DataFrame(schema=_QUEUE_SCHEMA)
    return df.sort(["estimated_cost_usd", "model"], descending=[True, False])


def suggestion_text(card: Mapping[str, Any] | None) -> str | None:
    """`$0.15 in / $0.6 out per Mtok` for a suggested card, None without one."""
    if not card:
        return None
    rate_in, rate_out = _rate_text(card.get("input_usd_per_mtok")), _rate_text(card.get("output_usd_per_mtok"))
    return f"${rate_in} in / ${rate_out} out per Mtok"


def _instant(value: Any) -> datetime | None:
    if value is None or isinstance(value, datetime):
        return value
    return datetime.fromisoformat(str(value).replace("Z", "+00:00"))


def banner_text(queue: pl.DataFrame) -> str | None:
    """`N calls from M unpriced models (est. $X, all time) awaiting review`, or None when the queue is empty.

    The queue covers every stored call, whatever range a page shows: the text says so.
    """
    if queue.is_empty():
        return None
    calls = int(queue.get_column("calls").sum())
    models = queue.height
    est = format_usd(total(queue, "estimated_cost_usd"))
    return (
        f"{calls:,} call{'s' if calls != 1 else ''} from {models} unpriced model{'s' if models != 1 else ''} "
        f"(est. {est}, all time) awaiting review"
    )


def form_defaults(entry: Mapping[str, Any]) -> dict[str, str]:
    """Initial text for the card form: the suggested card's rates (blank without one), effective from the
    model's first sighting so the whole history gets priced."""
    suggested = entry.get("suggested") or {}
    out = {f: _rate_text(suggested.get(f)) for f in RATE_FIELDS}
    # A suggestion's long-context tier comes along: without it a long call would be priced at the base rates.
    tier = suggested.get("long_context") or {}
    threshold = tier.get("above_input_tokens")
    out[TIER_THRESHOLD] = "" if threshold is None else str(threshold)
    out |= {f"long_context_{f}": _rate_text(tier.get(f)) for f in RATE_FIELDS}
    # The suggestion's other prices come along too, or a card applied here would bill them at the base rates.
    out[CACHE_1H] = _rate_text(suggested.get(CACHE_1H))
    out[f"long_context_{CACHE_1H}"] = _rate_text(tier.get(CACHE_1H))
    out[WEB_SEARCH] = _rate_text(suggested.get(WEB_SEARCH))
    # A multiplier the card cannot hold exactly (genai-prices' priority price for some models is 1.666...x) is left
    # out: the collector refuses more than 12 decimals, and a rounded one would be a price nobody published.
    tiers = {n: f for n, f in (suggested.get(SERVICE_TIERS) or {}).items() if _exact(f)}
    out[SERVICE_TIERS] = ", ".join(f"{name}={_rate_text(factor)}" for name, factor in tiers.items())
    first = _instant(entry.get("first_seen"))
    out["effective_from"] = (first.date() if first else date.today()).isoformat()
    source = suggested.get("source") if isinstance(suggested, Mapping) else None
    out["note"] = f"from suggestion: {source}" if source else ""
    return out


def suggestion_caption(entry: Mapping[str, Any]) -> str | None:
    """Where the suggested card comes from and since when its price holds; None without a suggestion.

    The suggestion is the price in force now, while the form applies it from the model's first call: when that
    price started after the first call, say so, since earlier calls may have been billed at another price.
    """
    suggested = entry.get("suggested")
    if not suggested:
        return None
    since = _instant(suggested.get("effective_from"))
    text = f"Prefilled from the suggestion ({suggested.get('source') or 'genai-prices'}), the price "
    text += f"in force since {since.date().isoformat()}." if since else "in force now."
    first = _instant(entry.get("first_seen"))
    if since and first and since > first:
        text += (
            f" It took effect after this model's first call ({first.date().isoformat()}): calls before "
            f"{since.date().isoformat()} may have been billed at another price."
        )
    return text + " Check it against the provider's price page."


def scope_text(model: str) -> str:
    """What Apply changes: every stored call of the model from the chosen date on."""
    return (
        f"The card applies from the chosen date to every stored call of {model} made on or after it (until a "
        "newer card), and to new calls; calls before that date keep their current cost."
    )


def _exact(value: Any) -> bool:
    """Whether a suggested number fits a card: at most 12 decimals."""
    exponent = Decimal(str(value)).normalize().as_tuple().exponent
    return isinstance(exponent, int) and exponent >= -12


def _rate_text(value: Any) -> str:
    if value is None:
        return ""
    return format(Decimal(str(value)).normalize(), "f")


def card_payload(model: str, fields: Mapping[str, str], provider: str | None = None) -> dict[str, Any]:
    """The `POST /api/v1/rates` body from the form's text; raises ValueError naming the first bad field.

    Rates go as decimal strings (never float). Blank cache rates default to the input rate. A long-context
    threshold adds the `long_context` tier (its blank cache rates default to the tier's input rate).
    """
    body: dict[str, Any] = {"model": model}
    if provider:
        body["provider"] = provider
    body |= _rates(fields, "")
    body |= _optional_price(fields, CACHE_1H, "1-hour cache write")
    tier = _tier(fields)
    if tier is not None:
        lc_1h = _optional_price(fields, f"long_context_{CACHE_1H}", "Long-context 1-hour cache write")
        body["long_context"] = tier | ({CACHE_1H: lc_1h[f"long_context_{CACHE_1H}"]} if lc_1h else {})
    body |= _optional_price(fields, WEB_SEARCH, "Web search")
    tiers = _service_tiers(fields.get(SERVICE_TIERS) or "")
    if tiers:
        body[SERVICE_TIERS] = tiers
    try:
        body["effective_from"] = date.fromisoformat((fields.get("effective_from") or "").strip()).isoformat()
    except ValueError:
        raise ValueError(f"effective from must be a date (YYYY-MM-DD), got {fields.get('effective_from')!r}") from None
    body["note"] = (fields.get("note") or "").strip()
    return body


def _rates(fields: Mapping[str, str], prefix: str) -> dict[str, str]:
    out = {}
    for name in RATE_FIELDS:
        text = (fields.get(prefix + name) or "").strip()
        if not text and name.startswith("cache_"):
            text = (fields.get(prefix + "input_usd_per_mtok") or "").strip()
        label = RATE_LABELS[name].split(",")[0]
        if prefix:
            label = "Long-context " + label.lower()
        if not text:
            raise ValueError(f"{label} rate is required")
        try:
            value = Decimal(text)
        except InvalidOperation:
            raise ValueError(f"{label} rate is not a number: {text!r}") from None
        if not value.is_finite() or value < 0:
            raise ValueError(f"{label} rate must be a number >= 0, got {text!r}")
        out[name] = format(value, "f")
    return out


def _number(label: str, text: str) -> str:
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise ValueError(f"{label} is not a number: {text!r}") from None
    if not value.is_finite() or value < 0:
        raise ValueError(f"{label} must be a number >= 0, got {text!r}")
    return format(value, "f")


def _optional_price(fields: Mapping[str, str], name: str, label: str) -> dict[str, str]:
    """`{name: price}` when the field is filled in, else nothing (the collector's default applies)."""
    text = (fields.get(name) or "").strip()
    return {name: _number(f"{label} rate", text)} if text else {}


def _service_tiers(text: str) -> dict[str, str]:
    """`batch=0.5, fast=2` as `{"batch": "0.5", "fast": "2"}` (the collector checks the tier names)."""
    out: dict[str, str] = {}
    for part in (p.strip() for p in text.split(",")):
        if not part:
            continue
        name, sep, factor = part.partition("=")
        if not sep or not name.strip() or not factor.strip():
            raise ValueError(f"Service tiers must read like batch=0.5, fast=2; got {part!r}")
        out[name.strip()] = _number(f"Service tier {name.strip()!r} multiplier", factor.strip())
    return out


def _tier(fields: Mapping[str, str]) -> dict[str, Any] | None:
    """The `long_context` table, or None when the threshold and the tier's rates are all blank."""
    threshold = (fields.get(TIER_THRESHOLD) or "").strip()
    if not threshold:
        if any((fields.get(f) or "").strip() for f in (*TIER_FIELDS, f"long_context_{CACHE_1H}")):
            raise ValueError("Long-context rates need a threshold (above how many input tokens they apply)")
        return None
    if not threshold.isascii() or not threshold.isdigit():
        raise ValueError(f"Long-context threshold must be a whole number of input tokens >= 0, got {threshold!r}")
    return {"above_input_tokens": int(threshold), **_rates(fields, "long_context_")}


def same_card(a: Mapping[str, Any], b: Mapping[str, Any]) -> bool:
    """Whether two card payloads (from `card_payload`) ask for the same card: model, rates, tier, date, note."""
    return dict(a) == dict(b)


def applied_text(model: str, effective_from: str, result: Mapping[str, Any]) -> str:
    """The message after Apply: which model, from when, how many rows were repriced."""
    rows = result.get("rows")
    done = f"{model} now has a rate card from {effective_from}"
    if not isinstance(rows, int):
        return done + "."
    return done + f"; {rows:,} row{'s' * (rows != 1)} repriced."


def preview_frame(preview: Mapping[str, Any]) -> pl.DataFrame:
    """The repricing preview as one row: rows affected, old and new totals, and the difference (Decimals)."""
    old = Decimal(str(preview.get("old_cost_usd", "0")))
    new = Decimal(str(preview.get("new_cost_usd", "0")))
    delta = Decimal(str(preview["delta_usd"])) if preview.get("delta_usd") is not None else new - old
    return pl.DataFrame(
        {"rows": [int(preview.get("rows", 0))], "old_cost_usd": [old], "new_cost_usd": [new], "delta_usd": [delta]},
        schema={"rows": pl.Int64(), "old_cost_usd": MONEY, "new_cost_usd": MONEY, "delta_usd": MONEY},
    )


AUDIT_COLUMNS = ("repriced_at", "model", "card_id", "rows", "old_cost_usd", "new_cost_usd", "delta_usd", "note")


def audit_frame(entries: list[Mapping[str, Any]]) -> pl.DataFrame:
    """The repricing audit (`GET /api/v1/repricings`), newest first, money as Decimal."""
    schema = {
        "repriced_at": pl.Datetime("us", "UTC"),
        "model": pl.String(),
        "card_id": pl.String(),
        "rows": pl.Int64(),
        "old_cost_usd": MONEY,
        "new_cost_usd": MONEY,
        "delta_usd": MONEY,
        "note": pl.String(),
    }
    rows = []
    for e in entries:
        old = Decimal(str(e.get("old_cost_usd") or "0"))
        new = Decimal(str(e.get("new_cost_usd") or "0"))
        rows.append(
            {
                "repriced_at": _instant(e.get("repriced_at")),
                "model": e.get("model"),
                "card_id": e.get("card_id"),
                "rows": int(e.get("rows") or 0),
                "old_cost_usd": old,
                "new_cost_usd": new,
                "delta_usd": Decimal(str(e["delta_usd"])) if e.get("delta_usd") is not None else new - old,
                "note": e.get("note"),
            }
        )
    df = pl.DataFrame(rows, schema=schema, orient="row") if rows else pl.DataFrame(schema=schema)
    return df.sort("repriced_at", descending=True, nulls_last=True)

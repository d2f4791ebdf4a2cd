"""Read API responses: JSON (money as decimal strings), an Arrow IPC stream, or CSV, from one Arrow table."""

from __future__ import annotations

import io
import math
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import pyarrow as pa
import pyarrow.csv as pa_csv
from fastapi.responses import JSONResponse, Response

from rates import RateCard
from rates.types import PRICE_FIELDS, decimal_text

ARROW_STREAM = "application/vnd.apache.arrow.stream"


def _json_value(value: Any) -> Any:
    if isinstance(value, Decimal):
        return decimal_text(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, list):
        return [_json_value(v) for v in value]
    if isinstance(value, dict):
        return {k: _json_value(v) for k, v in value.items()}
    return value


def json_rows(table: pa.Table) -> list[dict[str, Any]]:
    """Rows of `table` as JSON-ready dicts: Decimal -> decimal string, date/time -> ISO 8601."""
    return [{k: _json_value(v) for k, v in row.items()} for row in table.to_pylist()]


def arrow_bytes(table: pa.Table) -> bytes:
    sink = io.BytesIO()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    return sink.getvalue()


def csv_bytes(table: pa.Table) -> bytes:
    flat = table
    for index, field in enumerate(table.schema):
        if pa.types.is_decimal(field.type):  # plain text, not 0E-12
            texts = [None if v is None else decimal_text(v) for v in table.column(index).to_pylist()]
            flat = flat.set_column(index, field.name, pa.array(texts, pa.string()))
        elif pa.types.is_list(field.type) or pa.types.is_struct(field.type):
            texts = [None if v is None else str(v) for v in table.column(index).to_pylist()]
            flat = flat.set_column(index, field.name, pa.array(texts, pa.string()))
    sink = io.BytesIO()
    pa_csv.write_csv(flat, sink)
    return sink.getvalue()


def respond(table: pa.Table, fmt: str, key: str = "rows", extra: dict[str, Any] | None = None) -> Response:
    """The response for `table` in the requested format; JSON is `{key: [...], **extra}`."""
    if fmt == "arrow":
        return Response(arrow_bytes(table), media_type=ARROW_STREAM)
    if fmt == "csv":
        return Response(csv_bytes(table), media_type="text/csv; charset=utf-8")
    return JSONResponse({key: json_rows(table), **(extra or {})})


def card_json(card: RateCard) -> dict:
    """A card as JSON-ready values (rates as decimal strings)."""
    tier = card.long_context
    return {
        "card_id": card.card_id,
        "model": card.model,
        "provider": card.provider,
        "aliases": list(card.aliases),
        "effective_from": card.effective_from.isoformat(),
        **{f: decimal_text(getattr(card.rates, f)) for f in PRICE_FIELDS},
        "long_context": None
        if tier is None
        else {
            "above_input_tokens": tier.above_input_tokens,
            **{f: decimal_text(getattr(tier.rates, f)) for f in PRICE_FIELDS},
        },
        "service_tiers": {tier: decimal_text(factor) for tier, factor in card.service_tiers},
        "web_search_usd_per_kcount": None
        if card.web_search_usd_per_kcount is None
        else decimal_text(card.web_search_usd_per_kcount),
        "source": card.source,
        "note": card.note,
    }

"""From a decoded OTLP request to committed rows: map, price, insert in one transaction."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from rates.money import fits_money

from .mapping import InvalidSpan, attributes, map_span
from .pricing import price_row
from .store import Store

log = logging.getLogger("collector.ingest")
_MAX_REASONS = 5


@dataclass(frozen=True)
class IngestResult:
    spans: int
    """Spans in the request."""
    calls: int
    """LLM spans that became rows (before replay and dedupe)."""
    inserted: int
    """Rows added to the store (a replay adds none)."""
    rejected: int
    """LLM spans refused as invalid."""
    error_message: str = ""


CHUNK_ROWS = 10_000
"""Rows mapped before they are written: a huge request is inserted in chunks of this many rows (one transaction
each), so its rows never sit in memory all at once. A 200 still means every chunk committed; a failure part-way
answers 503, and the exporter's retry replays the chunks already stored as no-ops (the key is trace and span id)."""


def ingest(
    request: ExportTraceServiceRequest,
    store: Store,
    refused: Sequence[str] = (),
    dimension_attributes: tuple[tuple[str, str], ...] = (),
) -> IngestResult:
    """Map and price every span, then insert the rows (in chunks of `CHUNK_ROWS`, one transaction each).

    `refused` gives the reasons of spans the decoder already left out; they count as rejected.
    `dimension_attributes`: the operator's extra attributes per dimension (TOKENLEDGER_DIMENSION_ATTRIBUTES).
    Raises `StoreError` if it cannot write.
    """
    book = store.book
    now = datetime.now(UTC)
    rows = []
    spans = calls = inserted = 0
    rejected = len(refused)
    reasons: list[str] = list(refused[:_MAX_REASONS])
    for resource_spans in request.resource_spans:
        resource = attributes(resource_spans.resource.attributes)
        for scope_spans in resource_spans.scope_spans:
            scope = scope_spans.scope
            for span in scope_spans.spans:
                spans += 1
                try:
                    row = map_span(resource, scope.name, scope.version, span, dimension_attributes)
                    if row is None:
                        continue
                    row = price_row(book, row)
                    if not fits_money(row.cost_usd):  # type: ignore[arg-type]  # price_row always sets it
                        raise InvalidSpan(f"cost {row.cost_usd} USD is too large to store")
                except Exception as exc:  # one span, whatever its problem, never fails the batch
                    rejected += 1
                    if isinstance(exc, InvalidSpan):
                        reason = str(exc)
                    else:
                        log.exception("ingest: unexpected error on span %s", span.span_id.hex())
                        reason = "could not be processed (see the collector log)"
                    if len(reasons) < _MAX_REASONS:
                        reasons.append(f"span {span.span_id.hex() or '?'}: {reason}")
                    continue
                row.ingested_at = now
                rows.append(row)
                if len(rows) >= CHUNK_ROWS:
                    calls += len(rows)
                    inserted += store.insert_calls(rows, priced_with=book, reprice=price_row)
                    rows = []
    calls += len(rows)
    inserted += store.insert_calls(rows, priced_with=book, reprice=price_row)
    message = ""
    if rejected:
        more = f" (and {rejected - len(reasons)} more)" if rejected > len(reasons) else ""
        message = f"{rejected} span(s) rejected: " + "; ".join(reasons) + more
        log.info("ingest: %s", message)
    log.debug("ingest: %d spans, %d calls, %d rows added, %d rejected", spans, calls, inserted, rejected)
    return IngestResult(spans + len(refused), calls, inserted, rejected, message)

"""From a decoded OTLP request to committed rows: map, price, insert in one transaction."""

from __future__ import annotations

import logging
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


def ingest(
    request: ExportTraceServiceRequest, store: Store, dimension_attributes: tuple[tuple[str, str], ...] = ()
) -> IngestResult:
    """Map and price every span, then insert the rows in one transaction. Raises `StoreError` if it cannot write."""
    book = store.book
    now = datetime.now(UTC)
    rows = []
    spans = rejected = 0
    reasons: list[str] = []
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
    inserted = store.insert_calls(rows, priced_with=book, reprice=price_row)
    message = ""
    if rejected:
        more = f" (and {rejected - len(reasons)} more)" if rejected > len(reasons) else ""
        message = f"{rejected} span(s) rejected: " + "; ".join(reasons) + more
        log.info("ingest: %s", message)
    log.debug("ingest: %d spans, %d calls, %d rows added, %d rejected", spans, len(rows), inserted, rejected)
    return IngestResult(spans, len(rows), inserted, rejected, message)

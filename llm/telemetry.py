"""One OpenTelemetry span per provider call: the span contract, in one place.

Every path builds its span here: `simple_complete`, `stream_chat`, the agents callback, and `record_call`, which
the demo uses to backfill history with timestamps in the past. The library uses only the OpenTelemetry API (the
global tracer provider); `configure_telemetry` is a convenience for applications. Telemetry never breaks the
caller: a failure to build, price or end a span is logged and swallowed. Prompts and completions are never
recorded. The attribute names live in `tokenledger.contract`; docs/telemetry.md documents them.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal

from opentelemetry import trace
from opentelemetry.trace import INVALID_SPAN, Span, SpanKind, Status, StatusCode, Tracer

import rates
from rates.types import decimal_text
from tokenledger import contract as c

from .attribution import current_attributes

logger = logging.getLogger(__name__)

INSTRUMENTATION_SCOPE = "tokenledger.llm"


@dataclass
class CallRecord:
    """What one provider call did, normalised: everything a span of the contract is built from.

    Token counts follow the GenAI convention: `input_tokens` includes cache reads and writes, `output_tokens`
    includes reasoning tokens. A count the provider did not report is None (its attribute is left out); a call
    with no usage at all (it failed before the provider answered) carries no usage and no cost.
    """

    provider: str
    """`anthropic` or `x_ai`."""
    request_model: str
    layer: str | None = None
    response_model: str | None = None
    response_id: str | None = None
    max_tokens: int | None = None
    input_tokens: int | None = None
    output_tokens: int | None = None
    cache_read_tokens: int | None = None
    cache_write_tokens: int | None = None
    cache_write_1h_tokens: int | None = None
    """The part of `cache_write_tokens` written for one hour (Anthropic: `cache_creation.ephemeral_1h_input_tokens`)."""
    reasoning_tokens: int | None = None
    web_search_requests: int | None = None
    """Server-side web searches (Anthropic: `server_tool_use.web_search_requests`), billed per search."""
    service_tier: str | None = None
    """`batch`, `priority`, `fast`, ... as the provider's response reports it (rates.SERVICE_TIERS)."""
    streaming: bool = False
    ttft_ms: float | None = None
    requested_model: str | None = None
    """The model the caller asked for, when RESTRICT_MODELS substituted `request_model` for it."""
    error_type: str | None = None
    operation: str = "chat"

    @property
    def has_usage(self) -> bool:
        return self.input_tokens is not None and self.output_tokens is not None

    def price(self, at: datetime) -> tuple[Decimal, bool] | None:
        """(cost_usd, pricing_unknown) with the shipped rate cards in force at `at`; None without usage."""
        if not self.has_usage:
            return None
        return rates.compute_cost_usd(
            self.response_model or self.request_model,
            self.input_tokens or 0,
            self.output_tokens or 0,
            cache_read_tokens=self.cache_read_tokens or 0,
            cache_write_tokens=self.cache_write_tokens or 0,
            cache_write_1h_tokens=self.cache_write_1h_tokens or 0,
            web_search_requests=self.web_search_requests or 0,
            at=at,
            service_tier=self.service_tier,
        )


_default_tracer: Tracer | None = None


def _tracer(tracer: Tracer | None) -> Tracer:
    # One tracer for the process (get_tracer costs ~50 us). Taken before the application installs its provider,
    # it is a ProxyTracer that follows the provider once installed; the global provider can be set only once.
    global _default_tracer
    if tracer is not None:
        return tracer
    if _default_tracer is None:
        _default_tracer = trace.get_tracer(INSTRUMENTATION_SCOPE)
    return _default_tracer


def span_name(record: CallRecord) -> str:
    return f"{record.operation} {record.request_model}"


def _start_attributes(record: CallRecord) -> dict[str, object]:
    attributes: dict[str, object] = {
        c.OPERATION: record.operation,
        c.PROVIDER: record.provider,
        c.REQUEST_MODEL: record.request_model,
        c.STREAMING: record.streaming,
    }
    if record.max_tokens is not None:
        attributes[c.REQUEST_MAX_TOKENS] = record.max_tokens
    if record.layer:
        attributes[c.LAYER] = record.layer
    if record.requested_model:
        attributes[c.REQUESTED_MODEL] = record.requested_model
    attributes.update(current_attributes())  # customer and feature of the enclosing `attribute` block
    return attributes


def attributes_for(record: CallRecord, at: datetime) -> dict[str, object]:
    """Every attribute of the contract that `record` has; the cost is priced with the cards in force at `at`."""
    attributes = _start_attributes(record)
    optional = {
        c.RESPONSE_MODEL: record.response_model,
        c.RESPONSE_ID: record.response_id,
        c.INPUT_TOKENS: record.input_tokens,
        c.OUTPUT_TOKENS: record.output_tokens,
        c.CACHE_READ_TOKENS: record.cache_read_tokens,
        c.CACHE_WRITE_TOKENS: record.cache_write_tokens,
        c.CACHE_WRITE_1H_TOKENS: record.cache_write_1h_tokens,
        c.SERVICE_TIER: record.service_tier,
        c.WEB_SEARCH_REQUESTS: record.web_search_requests,
        c.REASONING_TOKENS: record.reasoning_tokens,
        c.TTFT_MS: record.ttft_ms,
        c.ERROR_TYPE: record.error_type,
    }
    attributes.update({key: value for key, value in optional.items() if value is not None})
    try:
        priced = record.price(at)
    except Exception:
        # A pricing bug must not lose the span: the collector prices it again; the estimate is just missing.
        logger.exception("pricing the call failed; span sent without a client-side cost")
        attributes[c.PRICING_UNKNOWN] = True
        return attributes
    if priced is not None:
        cost_usd, unknown = priced
        attributes[c.COST_USD] = decimal_text(cost_usd)
        attributes[c.PRICING_UNKNOWN] = unknown
    return attributes


def start_span(record: CallRecord, *, start_time_ns: int | None = None, tracer: Tracer | None = None) -> Span:
    """Open the call's span (kind CLIENT, named `chat {model}`) with what is known before the call."""
    try:
        return _tracer(tracer).start_span(
            span_name(record),
            kind=SpanKind.CLIENT,
            attributes=_start_attributes(record),  # type: ignore[arg-type]
            start_time=start_time_ns,
        )
    except Exception:
        logger.exception("starting the LLM call span failed")
        return INVALID_SPAN


def finish_span(span: Span, record: CallRecord, *, start_time_ns: int, end_time_ns: int | None = None) -> None:
    """Set every attribute of `record` on `span`, an ERROR status if it failed, and end it. Never raises."""
    try:
        at = datetime.fromtimestamp(start_time_ns / 1e9, tz=UTC)
        span.set_attributes(attributes_for(record, at))  # type: ignore[arg-type]
        if record.error_type:
            span.set_status(Status(StatusCode.ERROR, record.error_type))
        span.end(end_time=end_time_ns)
    except Exception:
        logger.exception("recording the LLM call span failed")


def record_call(
    record: CallRecord,
    *,
    start_time_ns: int | None = None,
    end_time_ns: int | None = None,
    tracer: Tracer | None = None,
) -> None:
    """Emit one span for a call that already happened, with explicit timestamps (ns since the epoch).

    The span is built exactly as for a live call and priced with the cards in force at `start_time_ns`.
    Missing timestamps mean now. Never raises.
    """
    start = start_time_ns if start_time_ns is not None else time.time_ns()
    span = start_span(record, start_time_ns=start, tracer=tracer)
    finish_span(span, record, start_time_ns=start, end_time_ns=end_time_ns)


def configure_telemetry(
    service_name: str | None = None,
    endpoint: str | None = None,
    headers: Mapping[str, str] | None = None,
    environment: str | None = None,
    *,
    team: str | None = None,
    cost_center: str | None = None,
    set_global: bool = True,
):
    """Set up the OpenTelemetry SDK for an application: TracerProvider + BatchSpanProcessor + OTLP/HTTP exporter.

    `endpoint` is the collector's base URL (`http://127.0.0.1:4318`; `/v1/traces` is added) or the full traces
    URL. Unset arguments fall back to the standard variables (`OTEL_SERVICE_NAME`, `OTEL_RESOURCE_ATTRIBUTES`,
    `OTEL_EXPORTER_OTLP_[TRACES_]ENDPOINT`, `..._HEADERS`, `..._TIMEOUT`, `..._COMPRESSION`). `environment` sets
    `deployment.environment.name`; `team` and `cost_center` set `tokenledger.team` and `tokenledger.cost_center`
    on the resource, so every call of the service is charged to them. Returns the provider; call its `shutdown()`
    (or let it run at exit) to flush.
    """
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    attributes: dict[str, str] = {}
    if service_name:
        attributes[c.SERVICE] = service_name
    if environment:
        attributes[c.ENVIRONMENT] = environment
    if team:
        attributes[c.TEAM] = team
    if cost_center:
        attributes[c.COST_CENTER] = cost_center
    traces_url = None
    if endpoint:
        traces_url = endpoint if endpoint.rstrip("/").endswith("/v1/traces") else endpoint.rstrip("/") + "/v1/traces"
    provider = TracerProvider(resource=Resource.create(attributes))
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(endpoint=traces_url, headers=headers)))
    if set_global:
        trace.set_tracer_provider(provider)
    return provider

"""OTLP for tests: the SDK's real exporter with its results kept, and hand-written OTLP JSON.

Hand-written OTLP JSON is the shape other SDKs and the OpenTelemetry Collector send: hex ids, int64 as strings.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


class RecordingExporter:
    """Wraps the real OTLPSpanExporter and keeps each export's result (SUCCESS or FAILURE)."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.results: list[Any] = []

    def export(self, spans):
        result = self.inner.export(spans)
        self.results.append(result)
        return result

    def shutdown(self) -> None:
        self.inner.shutdown()

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return self.inner.force_flush(timeout_millis)


def make_otlp_provider(
    url: str,
    *,
    service_name: str = "test-service",
    resource: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
) -> Any:
    """A TracerProvider (not global) exporting each ended span at once, over the real OTLPSpanExporter, to `url`.

    ``provider.otlp_exporter.results`` lists each export's SpanExportResult. The caller shuts it down.
    """
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor

    provider = TracerProvider(resource=Resource.create({"service.name": service_name, **(resource or {})}))
    exporter = RecordingExporter(OTLPSpanExporter(endpoint=url + "/v1/traces", headers=headers, timeout=10))
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    provider.otlp_exporter = exporter  # type: ignore[attr-defined]  # the export results, for assertions
    return provider


def export_spans(url: str, build: Callable[[Any], None], **provider_kwargs: Any) -> list:
    """`make_otlp_provider`, `build(tracer)`, flush and shut down: when it returns, every export was answered.

    Returns the SpanExportResult list. The `send_spans` fixture is this; this is for module-scoped set-ups.
    """
    provider = make_otlp_provider(url, **provider_kwargs)
    try:
        build(provider.get_tracer("tests"))
        provider.force_flush()
    finally:
        provider.shutdown()
    return provider.otlp_exporter.results


def otlp_attributes(attrs: dict[str, Any]) -> list[dict[str, Any]]:
    """OTLP JSON key-values: str -> stringValue, bool -> boolValue, int -> intValue (a string), float -> doubleValue."""
    out = []
    for key, value in attrs.items():
        if isinstance(value, bool):
            encoded = {"boolValue": value}
        elif isinstance(value, int):
            encoded = {"intValue": str(value)}
        elif isinstance(value, float):
            encoded = {"doubleValue": value}
        else:
            encoded = {"stringValue": str(value)}
        out.append({"key": key, "value": encoded})
    return out


JSON = {"content-type": "application/json"}
PROTO = {"content-type": "application/x-protobuf"}
HAIKU = {
    "gen_ai.operation.name": "chat",
    "gen_ai.provider.name": "anthropic",
    "gen_ai.request.model": "claude-haiku-4-5",
    "gen_ai.usage.input_tokens": 1000,
    "gen_ai.usage.output_tokens": 100,
}
"""Content-type headers for hand-posted OTLP, and the attributes of a minimal priced LLM span."""


def otlp_json_span(
    span_id: str,
    attrs: dict[str, Any],
    *,
    trace_id: str = "5b8efff798038103d269b633813fc60c",
    start_ns: int = 1_764_115_200_000_000_000,
    duration_ms: int = 500,
    name: str = "chat",
    status_code: int = 0,
) -> dict[str, Any]:
    """One OTLP JSON span (ids in hex: 16 hex digits for span_id, 32 for trace_id)."""
    return {
        "traceId": trace_id,
        "spanId": span_id,
        "name": name,
        "kind": 3,
        "startTimeUnixNano": str(start_ns),
        "endTimeUnixNano": str(start_ns + duration_ms * 1_000_000),
        "attributes": otlp_attributes(attrs),
        "status": {"code": status_code},
    }


def otlp_json_request(
    spans: list[dict[str, Any]],
    *,
    resource: dict[str, Any] | None = None,
    scope: str = "tests",
    scope_version: str = "1.0",
) -> dict[str, Any]:
    """An ExportTraceServiceRequest in OTLP JSON with one resource and one scope."""
    return {
        "resourceSpans": [
            {
                "resource": {"attributes": otlp_attributes({"service.name": "json-service", **(resource or {})})},
                "scopeSpans": [{"scope": {"name": scope, "version": scope_version}, "spans": spans}],
            }
        ]
    }

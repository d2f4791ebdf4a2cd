"""Helpers for the `llm` client tests: fake keys, the global SDK provider and span filters."""

from __future__ import annotations

import threading

from opentelemetry import trace
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from llm.telemetry import INSTRUMENTATION_SCOPE

ANTHROPIC_KEY = "sk-ant-test-not-a-real-key-7f3a"
XAI_KEY = "xai-test-not-a-real-key-91bc"
SDK_SCOPE = "com.anthropic.sdk.python"
MODEL_VARS = ("MODEL_NAME", "CGX_FRONTEND_MODEL_NAME", "PROCESSING_BACKEND_MODEL_NAME", "RESTRICT_MODELS")
OTHER_VARS = ("XAI_API_BASE", "ANTHROPIC_OPEN_TELEMETRY", "ANTHROPIC_AUTH_TOKEN", "LLM_TIMEOUT_S")

EXPORTER = InMemorySpanExporter()
"""Every span ended under the global provider (the `spans` fixture clears it per test)."""
_INSTALLED = threading.Lock()
_state = {"installed": False}


def global_sdk_provider() -> TracerProvider:
    """The global SDK TracerProvider, installed on first use (other tests may have installed one already)."""
    with _INSTALLED:
        provider = trace.get_tracer_provider()
        if not isinstance(provider, TracerProvider):
            trace.set_tracer_provider(TracerProvider())
            provider = trace.get_tracer_provider()
        assert isinstance(provider, TracerProvider)
        if not _state["installed"]:
            provider.add_span_processor(SimpleSpanProcessor(EXPORTER))
            _state["installed"] = True
        return provider


def llm_spans(exporter: InMemorySpanExporter) -> list[ReadableSpan]:
    """Only our client's spans."""
    return [s for s in exporter.get_finished_spans() if s.instrumentation_scope.name == INSTRUMENTATION_SCOPE]


def sdk_spans(exporter: InMemorySpanExporter) -> list[ReadableSpan]:
    """Only the anthropic SDK's own spans."""
    return [s for s in exporter.get_finished_spans() if s.instrumentation_scope.name.startswith(SDK_SCOPE)]


def only_llm_span(exporter: InMemorySpanExporter) -> ReadableSpan:
    """Our client's one span (fails if there is not exactly one)."""
    found = llm_spans(exporter)
    assert len(found) == 1, [s.name for s in found]
    return found[0]

"""Fixtures for the `llm` client tests; a test module uses them with `from conftest_llm import *`.

- `spans`: an `InMemorySpanExporter` on the global tracer provider (installed once per session, cleared per
  test). `llm_spans(spans)` lists only our client's spans; `sdk_spans(spans)` the anthropic SDK's own.
- `fake_anthropic`, `fake_xai`: running fakes from `tokenledger.fakes`.
- `llm_env`: the client's env vars pointed at the fakes, with distinctive fake keys, no retries, no model vars.
"""

from __future__ import annotations

import threading

import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from llm import aclose_clients
from llm.telemetry import INSTRUMENTATION_SCOPE
from tokenledger.fakes import FakeAnthropic, FakeXAI

ANTHROPIC_KEY = "sk-ant-test-not-a-real-key-7f3a"
XAI_KEY = "xai-test-not-a-real-key-91bc"
SDK_SCOPE = "com.anthropic.sdk.python"

_EXPORTER = InMemorySpanExporter()
_INSTALLED = threading.Lock()
_state = {"installed": False}

MODEL_VARS = ("MODEL_NAME", "CGX_FRONTEND_MODEL_NAME", "PROCESSING_BACKEND_MODEL_NAME", "RESTRICT_MODELS")
OTHER_VARS = ("XAI_API_BASE", "ANTHROPIC_OPEN_TELEMETRY", "ANTHROPIC_AUTH_TOKEN", "LLM_TIMEOUT_S")


def global_sdk_provider() -> TracerProvider:
    """The global SDK TracerProvider, installed on first use (other tests may have installed one already)."""
    with _INSTALLED:
        provider = trace.get_tracer_provider()
        if not isinstance(provider, TracerProvider):
            trace.set_tracer_provider(TracerProvider())
            provider = trace.get_tracer_provider()
        assert isinstance(provider, TracerProvider)
        if not _state["installed"]:
            provider.add_span_processor(SimpleSpanProcessor(_EXPORTER))
            _state["installed"] = True
        return provider


@pytest.fixture
def spans() -> InMemorySpanExporter:
    global_sdk_provider()
    _EXPORTER.clear()
    return _EXPORTER


def llm_spans(exporter: InMemorySpanExporter) -> list[ReadableSpan]:
    return [s for s in exporter.get_finished_spans() if s.instrumentation_scope.name == INSTRUMENTATION_SCOPE]


def sdk_spans(exporter: InMemorySpanExporter) -> list[ReadableSpan]:
    return [s for s in exporter.get_finished_spans() if s.instrumentation_scope.name.startswith(SDK_SCOPE)]


def only_llm_span(exporter: InMemorySpanExporter) -> ReadableSpan:
    found = llm_spans(exporter)
    assert len(found) == 1, [s.name for s in found]
    return found[0]


@pytest.fixture(autouse=True)
async def close_llm_clients(anyio_backend):
    """Close the client's cached SDK clients in the test's own event loop, so no socket outlives its loop."""
    yield
    await aclose_clients()


@pytest.fixture
def fake_anthropic():
    with FakeAnthropic() as fake:
        yield fake


@pytest.fixture
def fake_xai():
    with FakeXAI() as fake:
        yield fake


@pytest.fixture
def llm_env(monkeypatch, fake_anthropic, fake_xai):
    for name in MODEL_VARS + OTHER_VARS:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("ANTHROPIC_API_KEY", ANTHROPIC_KEY)
    monkeypatch.setenv("ANTHROPIC_BASE_URL", fake_anthropic.base_url)
    monkeypatch.setenv("XAI_API_KEY", XAI_KEY)
    monkeypatch.setenv("XAI_BASE_URL", fake_xai.base_url)
    monkeypatch.setenv("LLM_MAX_RETRIES", "0")
    return monkeypatch


__all__ = [
    "ANTHROPIC_KEY",
    "SDK_SCOPE",
    "XAI_KEY",
    "close_llm_clients",
    "fake_anthropic",
    "fake_xai",
    "global_sdk_provider",
    "llm_env",
    "llm_spans",
    "only_llm_span",
    "sdk_spans",
    "spans",
]

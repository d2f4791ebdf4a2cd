"""Fixtures for the `llm` client tests.

- `spans`: an `InMemorySpanExporter` on the global tracer provider (installed once per session, cleared per test);
  filter it with `helpers.llm.llm_spans` / `sdk_spans` / `only_llm_span`.
- `fake_anthropic`, `fake_xai`: running fakes from `tokenledger.fakes`.
- `llm_env`: the client's env vars pointed at the fakes, with distinctive fake keys, no retries, no model vars.
- `close_llm_clients`: closes the client's cached SDK clients in the test's own event loop. Not autouse: a module
  of llm tests says ``pytestmark = [pytest.mark.anyio, pytest.mark.usefixtures("close_llm_clients")]``.
"""

from __future__ import annotations

import pytest
from helpers.llm import ANTHROPIC_KEY, EXPORTER, MODEL_VARS, OTHER_VARS, XAI_KEY, global_sdk_provider
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from tokenledger.fakes import FakeAnthropic, FakeXAI


@pytest.fixture
def spans() -> InMemorySpanExporter:
    global_sdk_provider()
    EXPORTER.clear()
    return EXPORTER


@pytest.fixture
async def close_llm_clients(anyio_backend):
    """Close the client's cached SDK clients in the test's own event loop, so no socket outlives its loop."""
    from llm import aclose_clients

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

"""Fixtures: a real collector on a real DuckDB file, and real OTLP sent to it by the OpenTelemetry SDK.

``start_collector(tmp_path, *, mode="subprocess", **env) -> CollectorHandle`` (factory)
    Starts the collector on ``tmp_path / "tokenledger.duckdb"`` in mode ``asgi`` (in-process, ``handle.client``),
    ``thread`` (uvicorn in a thread, real HTTP) or ``subprocess`` (the real command; the default). Pick the fastest
    mode that keeps the test's meaning; see `helpers.collector`. Stopped at teardown.
``collector_server``: ``start_collector(tmp_path)`` with no tokens (subprocess).
``otlp_provider(url, *, service_name="test-service", resource=None, headers=None) -> TracerProvider`` (factory)
    A TracerProvider (not installed globally) whose SimpleSpanProcessor exports each ended span at once through the
    real ``OTLPSpanExporter`` (protobuf over HTTP) to ``url + "/v1/traces"``; ``provider.otlp_exporter.results``
    lists each export's SpanExportResult. Shut down at teardown.
``send_spans(url, build, **provider_kwargs) -> list[SpanExportResult]``
    Makes an ``otlp_provider``, calls ``build(tracer)`` (pass ``start_time``/``end_time`` in ns for fixed times),
    flushes and shuts down: when it returns, the collector has answered every export.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from helpers.collector import DEFAULT_MODE, CollectorHandle, launch_collector
from helpers.otlp import export_spans, make_otlp_provider


@pytest.fixture
def start_collector() -> Iterator[Callable[..., CollectorHandle]]:
    handles: list[CollectorHandle] = []

    def start(tmp_path: Path, *, mode: str = DEFAULT_MODE, **env: str) -> CollectorHandle:
        handle = launch_collector(tmp_path, mode=mode, **env)
        handles.append(handle)
        return handle

    yield start
    for handle in handles:
        handle.stop()


@pytest.fixture
def collector_server(start_collector, tmp_path) -> CollectorHandle:
    return start_collector(tmp_path)


@pytest.fixture
def otlp_provider() -> Iterator[Callable[..., Any]]:
    providers = []

    def make(url: str, **kwargs: Any) -> Any:
        provider = make_otlp_provider(url, **kwargs)
        providers.append(provider)
        return provider

    yield make
    for provider in providers:
        provider.shutdown()


@pytest.fixture
def send_spans() -> Callable[..., list]:
    return export_spans

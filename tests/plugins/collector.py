"""Fixtures: a real collector on a real DuckDB file, and real OTLP sent to it by the OpenTelemetry SDK.

``start_collector(tmp_path, *, mode="subprocess", **env) -> CollectorHandle`` (factory)
    Starts the collector on ``tmp_path / "tokenledger.duckdb"`` in mode ``asgi`` (in-process, ``handle.client``),
    ``thread`` (uvicorn in a thread, real HTTP) or ``subprocess`` (the real command; the default). Pick the fastest
    mode that keeps the test's meaning; see `helpers.collector`. Stopped at teardown.
``collector_server``: ``start_collector(tmp_path)`` with no tokens (subprocess).
``store_kind``: the store the collectors of a test use: ``duckdb``, except in the conformance suite (modules or
    tests marked ``conformance``), which runs on ``duckdb`` and ``chdb`` (embedded ClickHouse), and on ``clickhouse``
    too when TOKENLEDGER_TEST_CLICKHOUSE_URL names a server (each collector gets a fresh database on it).
``otlp_provider(url, *, service_name="test-service", resource=None, headers=None) -> TracerProvider`` (factory)
    A TracerProvider (not installed globally) whose SimpleSpanProcessor exports each ended span at once through the
    real ``OTLPSpanExporter`` (protobuf over HTTP) to ``url + "/v1/traces"``; ``provider.otlp_exporter.results``
    lists each export's SpanExportResult. Shut down at teardown.
``send_spans(url, build, **provider_kwargs) -> list[SpanExportResult]``
    Makes an ``otlp_provider``, calls ``build(tracer)`` (pass ``start_time``/``end_time`` in ns for fixed times),
    flushes and shuts down: when it returns, the collector has answered every export.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from helpers import collector as _collector
from helpers.collector import CLICKHOUSE_URL_ENV, DEFAULT_MODE, CollectorHandle, launch_collector
from helpers.otlp import export_spans, make_otlp_provider


def conformance_stores() -> list[str]:
    """The stores the conformance suite runs on here."""
    return ["duckdb", "chdb", *(["clickhouse"] if os.environ.get(CLICKHOUSE_URL_ENV) else [])]


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "conformance: runs on every store (duckdb, chdb, and a ClickHouse server when one is named)"
    )
    config.addinivalue_line("markers", "duckdb_only(reason): a conformance-module test about DuckDB itself")


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "store_kind" in metafunc.fixturenames and metafunc.definition.get_closest_marker("conformance"):
        only = metafunc.definition.get_closest_marker("duckdb_only") or not _uses_a_store(metafunc)
        stores = ["duckdb"] if only else conformance_stores()
        metafunc.parametrize("store_kind", stores, indirect=True, scope="module")


_STORE_WORDS = (
    "launch_collector", "launch_clocked", "start_collector", "collector_server", "open_store", "Store.open",
    "store_url",
)  # fmt: skip
_STORE_FIXTURES = {"start_collector", "collector_server"}


def _uses_a_store(metafunc: pytest.Metafunc) -> bool:
    """Whether a test of a conformance module reaches a store: its function, a fixture it uses or a function they
    call (module-level, followed by name, transitively) starts a collector or opens a store. The module's pure
    tests (mapping, pricing, parsing) then run once, not once per store."""
    if _STORE_FIXTURES & set(metafunc.fixturenames):
        return True
    seen: set[tuple[str, str]] = set()
    todo = [(metafunc.module, name) for name in (metafunc.function.__name__, *metafunc.fixturenames)]
    while todo:
        module, name = todo.pop()
        functions = _module_functions(module)
        if name not in functions:  # imported from another test module (a shared fixture): look there
            home = sys.modules.get(getattr(getattr(module, name, None), "__module__", "") or "")
            if _is_test_code(home) and home is not module and name in _module_functions(home):
                todo.append((home, name))
            continue
        if (module.__name__, name) in seen:
            continue
        seen.add((module.__name__, name))
        text, called = functions[name]
        if any(word in text for word in _STORE_WORDS):
            return True
        todo.extend((module, other) for other in called)
    return False


_FUNCTIONS: dict[str, dict[str, tuple[str, set[str]]]] = {}
_TESTS = Path(__file__).resolve().parent.parent


def _is_test_code(module: Any) -> bool:
    path = getattr(module, "__file__", None)
    return path is not None and Path(path).resolve().is_relative_to(_TESTS)


def _module_functions(module: Any) -> dict[str, tuple[str, set[str]]]:
    """Module-level functions of a test module: name -> (source, names it refers to)."""
    import ast
    import inspect

    key = module.__name__
    if key not in _FUNCTIONS:
        source = inspect.getsource(module)
        out = {}
        for node in ast.parse(source).body:
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                names = {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}
                names |= {a.arg for a in node.args.args}  # fixtures it requests
                out[node.name] = (ast.get_source_segment(source, node) or "", names)
        _FUNCTIONS[key] = out
    return _FUNCTIONS[key]


@pytest.fixture(scope="module", autouse=True)
def store_kind(request: pytest.FixtureRequest) -> Iterator[str]:
    """The store `launch_collector` uses in this test (see the module docstring)."""
    kind = getattr(request, "param", "duckdb")
    if kind != "duckdb":
        try:
            import clickhouse_connect  # noqa: F401
        except ImportError:  # a failure, not a skip: a missing extra must not pass the chdb half of the suite
            pytest.fail("the conformance suite runs on chdb: install the clickhouse extra (make install-dev)")
    saved, _collector.current_store = _collector.current_store, kind
    yield kind
    _collector.current_store = saved


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

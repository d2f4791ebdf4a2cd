"""Shared fixtures: a real collector on a free port, and real OTLP sent to it by the OpenTelemetry SDK.

Fixtures
--------
``start_collector(tmp_path, *, mode="subprocess", **env) -> CollectorHandle`` (factory fixture)
    Starts the real collector on a DuckDB file ``tmp_path / "tokenledger.duckdb"``, bound to 127.0.0.1 on a free
    port, and waits (bounded, 30 s) until ``GET /healthz`` answers 200. ``mode="subprocess"`` runs the real command
    ``python -m tokenledger collector --db ... --port ...``; ``mode="thread"`` runs the same app under uvicorn in a
    thread of the test process (faster to start). ``env`` sets ``TOKENLEDGER_*`` variables, e.g.
    ``start_collector(tmp_path, TOKENLEDGER_ADMIN_TOKEN="sk-test-not-a-real-key")``. Every collector started is
    stopped at teardown.

    ``CollectorHandle``: ``url`` ("http://127.0.0.1:PORT"), ``db_path``, ``stop()``, ``restart()`` (same port and
    file), ``kill()`` (subprocess only: SIGKILL, no clean shutdown), ``logs()`` (subprocess output so far),
    ``app`` (thread mode only: the FastAPI app).

``launch_collector(directory, *, mode="subprocess", **env) -> CollectorHandle`` (function; import from conftest)
    The same without a fixture, for module-scoped set-ups: the caller must ``stop()`` it.

``collector_server`` (function-scoped)
    ``start_collector(tmp_path)`` with no tokens (subprocess).

``otlp_provider(url, *, service_name="test-service", resource=None, headers=None) -> TracerProvider`` (factory;
    ``provider.otlp_exporter.results`` lists each export's SpanExportResult)
    A TracerProvider (not installed globally) whose SimpleSpanProcessor exports each ended span at once through
    the real ``OTLPSpanExporter`` (protobuf over HTTP) to ``url + "/v1/traces"``. Shut down at teardown.

``send_spans(url, build, **provider_kwargs)`` (function)
    Makes an ``otlp_provider``, calls ``build(tracer)`` (start and end spans there; pass ``start_time`` and
    ``end_time`` in ns for fixed times), flushes, and shuts the provider down: when it returns, the collector has
    answered every export. Returns the ``SpanExportResult`` list (all SUCCESS unless the collector refused).
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

ROOT = Path(__file__).resolve().parent.parent
START_TIMEOUT_S = 30.0


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_healthy(url: str, alive: Callable[[], bool], timeout_s: float = START_TIMEOUT_S) -> None:
    """Poll GET /healthz until 200; fail if the collector died or the bounded timeout passed."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if not alive():
            raise RuntimeError("collector exited during start-up")
        try:
            if httpx.get(url + "/healthz", timeout=1.0).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.05)
    raise TimeoutError(f"collector at {url} not healthy within {timeout_s} s")


@dataclass
class CollectorHandle:
    """A running collector. See the module docstring."""

    url: str
    db_path: Path
    port: int
    mode: str
    env: dict[str, str]
    log_path: Path
    _process: subprocess.Popen | None = field(default=None, repr=False)
    _server: Any = field(default=None, repr=False)
    _thread: threading.Thread | None = field(default=None, repr=False)

    def start(self) -> CollectorHandle:
        if self.mode == "subprocess":
            self._start_process()
        else:
            self._start_thread()
        wait_healthy(self.url, self._alive)
        return self

    def _start_process(self) -> None:
        command = [
            sys.executable, "-m", "tokenledger", "collector",
            "--db", str(self.db_path), "--host", "127.0.0.1", "--port", str(self.port),
        ]  # fmt: skip
        env = {**os.environ, **self.env}
        log = self.log_path.open("ab")
        self._process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        log.close()

    def _start_thread(self) -> None:
        import uvicorn

        from collector import Settings, create_app

        settings = Settings.from_env({**self.env}, db_path=self.db_path, host="127.0.0.1", port=self.port)
        config = uvicorn.Config(create_app(settings), host="127.0.0.1", port=self.port, log_level="warning")
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, name=f"collector-{self.port}", daemon=True)
        self._thread.start()

    @property
    def app(self) -> Any:
        """The FastAPI app (thread mode only), e.g. to reach `app.state.store` in a failure test."""
        assert self._server is not None, "app needs mode='thread'"
        return self._server.config.app

    def _alive(self) -> bool:
        if self._process is not None:
            return self._process.poll() is None
        return self._thread is not None and self._thread.is_alive()

    def stop(self) -> None:
        """Stop cleanly (SIGTERM / should_exit), bounded; SIGKILL if it does not go."""
        if self._process is not None:
            if self._process.poll() is None:
                self._process.send_signal(signal.SIGTERM)
                try:
                    self._process.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    self._process.kill()
                    self._process.wait(timeout=15)
            self._process = None
        if self._server is not None:
            self._server.should_exit = True
            self._thread.join(timeout=15)
            self._server = self._thread = None

    def kill(self) -> None:
        """SIGKILL the subprocess: no shutdown hook runs (what a crash or OOM kill does)."""
        assert self._process is not None, "kill() needs mode='subprocess'"
        self._process.kill()
        self._process.wait(timeout=15)
        self._process = None

    def restart(self) -> CollectorHandle:
        self.stop()
        return self.start()

    def logs(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""


def launch_collector(directory: Path, *, mode: str = "subprocess", **env: str) -> CollectorHandle:
    """Start a collector on `directory / "tokenledger.duckdb"`; the caller stops it (fixtures below do)."""
    assert mode in ("subprocess", "thread")
    port = free_port()
    handle = CollectorHandle(
        url=f"http://127.0.0.1:{port}",
        db_path=directory / "tokenledger.duckdb",
        port=port,
        mode=mode,
        env={k: str(v) for k, v in env.items()},
        log_path=directory / f"collector-{port}.log",
    )
    try:
        return handle.start()
    except BaseException:
        handle.stop()
        raise


@pytest.fixture
def start_collector() -> Iterator[Callable[..., CollectorHandle]]:
    handles: list[CollectorHandle] = []

    def start(tmp_path: Path, *, mode: str = "subprocess", **env: str) -> CollectorHandle:
        handle = launch_collector(tmp_path, mode=mode, **env)
        handles.append(handle)
        return handle

    yield start
    for handle in handles:
        handle.stop()


@pytest.fixture
def collector_server(start_collector, tmp_path) -> CollectorHandle:
    return start_collector(tmp_path)


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


@pytest.fixture
def otlp_provider() -> Iterator[Callable[..., Any]]:
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor

    providers = []

    def make(
        url: str,
        *,
        service_name: str = "test-service",
        resource: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> TracerProvider:
        attrs = {"service.name": service_name, **(resource or {})}
        provider = TracerProvider(resource=Resource.create(attrs))
        exporter = RecordingExporter(OTLPSpanExporter(endpoint=url + "/v1/traces", headers=headers, timeout=10))
        provider.add_span_processor(SimpleSpanProcessor(exporter))
        provider.otlp_exporter = exporter  # type: ignore[attr-defined]  # the export results, for assertions
        providers.append(provider)
        return provider

    yield make
    for provider in providers:
        provider.shutdown()


@pytest.fixture
def send_spans(otlp_provider) -> Callable[..., list]:
    def send(url: str, build: Callable[[Any], None], **provider_kwargs: Any) -> list:
        provider = otlp_provider(url, **provider_kwargs)
        build(provider.get_tracer("tests"))
        provider.force_flush()
        provider.shutdown()
        return provider.otlp_exporter.results

    return send


# Hand-written OTLP JSON (the shape other SDKs and the OpenTelemetry Collector send): hex ids, int64 as strings.


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

"""A real collector on a real DuckDB file, in one of three modes; see `launch_collector`.

Modes, fastest first:
- ``asgi``: `create_app` in the test process, driven through Starlette's `TestClient` (httpx's sync client over the
  ASGI app, lifespan included: the store opens, migrates and seeds as in production). No socket: use
  ``handle.client``; ``handle.url`` is refused. For API-behaviour tests.
- ``thread``: the same app under uvicorn in a thread, on 127.0.0.1 and a free port: real HTTP, so the OpenTelemetry
  exporter, the dashboard's ReadClient, AppTest and other processes can reach ``handle.url``.
- ``subprocess``: the real command ``python -m tokenledger collector``. For end-to-end tests: the CLI, SIGKILL and
  restart, everything the process prints (uvicorn's lines too). The default, so that a test that names no mode
  keeps the meaning it was written with (``logs()`` in-process holds only the collector's own log records).
"""

from __future__ import annotations

import atexit
import itertools
import logging
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx

ROOT = Path(__file__).resolve().parents[2]
START_TIMEOUT_S = 30.0
MODES = ("asgi", "thread", "subprocess")
DEFAULT_MODE = "subprocess"
_ASGI_IDS = itertools.count(1)
LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"  # the CLI's (collector/_cli.py)
STORES = ("duckdb", "chdb", "clickhouse")
"""Where a collector keeps its data: a DuckDB file; embedded ClickHouse (chdb); the ClickHouse server named by
TOKENLEDGER_TEST_CLICKHOUSE_URL (a fresh database per collector)."""
CLICKHOUSE_URL_ENV = "TOKENLEDGER_TEST_CLICKHOUSE_URL"
current_store = "duckdb"
"""The store `launch_collector` uses when none is named (the conformance fixture `store_kind` sets it)."""
_chdb_root: str | None = None


def _chdb_dir() -> str:
    """chdb serves one data path per process: every in-process collector of this test run shares one (each in a
    database of its own); a subprocess collector uses a path of its own."""
    global _chdb_root
    if _chdb_root is None:
        _chdb_root = tempfile.mkdtemp(prefix="tokenledger-chdb-")
        atexit.register(shutil.rmtree, _chdb_root, True)
    return _chdb_root


def store_url(store: str, directory: Path, mode: str) -> Path | str:
    """The `--db` value for a new collector on `store`."""
    assert store in STORES, f"store must be one of {STORES}"
    database = f"t_{uuid.uuid4().hex[:12]}"
    if store == "duckdb":
        return directory / "tokenledger.duckdb"
    if store == "chdb":
        path = str(directory / "chdb") if mode == "subprocess" else _chdb_dir()
        return f"chdb://{path}?database={database}"
    base = os.environ.get(CLICKHOUSE_URL_ENV, "")
    assert base, f"store='clickhouse' needs {CLICKHOUSE_URL_ENV}"
    return urlunsplit(urlsplit(base)._replace(path=f"/{database}"))


def free_port() -> int:
    """A port that was free a moment ago on 127.0.0.1."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_healthy(url: str, alive: Callable[[], bool], timeout_s: float = START_TIMEOUT_S) -> None:
    """Poll GET /healthz until 200; fail if the collector died or the bounded timeout passed."""
    deadline = time.monotonic() + timeout_s
    with httpx.Client(timeout=1.0) as client:
        while time.monotonic() < deadline:
            if not alive():
                raise RuntimeError("collector exited during start-up")
            try:
                if client.get(url + "/healthz").status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.02)
    raise TimeoutError(f"collector at {url} not healthy within {timeout_s} s")


class _LogCapture:
    """In-process modes: the collector's log records go to the handle's log file, formatted as the CLI does."""

    def __init__(self, path: Path, level: str) -> None:
        self.handler = logging.FileHandler(path, encoding="utf-8")
        self.handler.setFormatter(logging.Formatter(LOG_FORMAT))
        self.level = getattr(logging, level.upper())
        self.handler.setLevel(self.level)
        self.logger = logging.getLogger("collector")
        self.saved_level = self.logger.level

    def open(self) -> _LogCapture:
        # The CLI sets the root level; here only the collector's loggers', and only lowered (a test's caplog level
        # stays in force), restored at close.
        if self.logger.getEffectiveLevel() > self.level:
            self.logger.setLevel(self.level)
        logging.getLogger().addHandler(self.handler)
        return self

    def close(self) -> None:
        logging.getLogger().removeHandler(self.handler)
        self.logger.setLevel(self.saved_level)
        self.handler.close()


@dataclass
class CollectorHandle:
    """A running collector. See the module docstring and `launch_collector`."""

    db_path: Path | str
    """The DuckDB file, or the ClickHouse URL (`store_url`)."""
    port: int | None
    mode: str
    env: dict[str, str]
    log_path: Path
    _process: subprocess.Popen | None = field(default=None, repr=False)
    _server: Any = field(default=None, repr=False)
    _thread: threading.Thread | None = field(default=None, repr=False)
    _test_client: Any = field(default=None, repr=False)
    _http: httpx.Client | None = field(default=None, repr=False)
    _logs: _LogCapture | None = field(default=None, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def url(self) -> str:
        """``http://127.0.0.1:PORT`` (thread and subprocess modes)."""
        assert self.mode != "asgi", "mode='asgi' has no URL: use handle.client, or mode='thread' for real HTTP"
        return f"http://127.0.0.1:{self.port}"

    @property
    def client(self) -> httpx.Client:
        """An httpx.Client for this collector: paths are relative (``client.get("/api/v1/calls")``), every mode."""
        if self.mode == "asgi":
            assert self._test_client is not None, "collector is stopped"
            return self._test_client
        with self._lock:  # tests call it from several threads at once
            if self._http is None:
                self._http = httpx.Client(base_url=self.url, timeout=30)
            return self._http

    def start(self) -> CollectorHandle:
        if self.mode == "subprocess":
            self._start_process()
            wait_healthy(self.url, self._alive)
            return self
        settings = self._settings()
        self._logs = _LogCapture(self.log_path, settings.log_level).open()
        if self.mode == "thread":
            self._start_thread(settings)
            wait_healthy(self.url, self._alive)
        else:
            self._start_asgi(settings)
        return self

    def _settings(self) -> Any:
        from collector import Settings

        return Settings.from_env({**self.env}, db_path=self.db_path, host="127.0.0.1", port=self.port)

    def _start_process(self) -> None:
        command = [
            sys.executable, "-m", "tokenledger", "collector",
            "--db", str(self.db_path), "--host", "127.0.0.1", "--port", str(self.port),
        ]  # fmt: skip
        env = {**os.environ, **self.env}
        log = self.log_path.open("ab")
        self._process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        log.close()

    def _start_thread(self, settings: Any) -> None:
        import uvicorn

        from collector import create_app

        config = uvicorn.Config(create_app(settings), host="127.0.0.1", port=self.port, log_level="warning")
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, name=f"collector-{self.port}", daemon=True)
        self._thread.start()

    def _start_asgi(self, settings: Any) -> None:
        from fastapi.testclient import TestClient

        from collector import create_app

        # raise_server_exceptions=False: answer what a real server answers (the app's handlers choose the status).
        client = TestClient(create_app(settings), raise_server_exceptions=False)
        client.__enter__()  # runs the lifespan: opens, migrates and seeds the store
        self._test_client = client

    @property
    def app(self) -> Any:
        """The FastAPI app (asgi and thread modes), e.g. to reach `app.state.store` in a failure test."""
        if self._test_client is not None:
            return self._test_client.app
        assert self._server is not None, "app needs mode='thread' or mode='asgi'"
        return self._server.config.app

    def _alive(self) -> bool:
        if self._process is not None:
            return self._process.poll() is None
        return self._thread is not None and self._thread.is_alive()

    def _close_http(self) -> None:
        with self._lock:
            if self._http is not None:
                self._http.close()
                self._http = None

    def stop(self) -> None:
        """Stop cleanly (SIGTERM / should_exit / lifespan shutdown), bounded; SIGKILL if it does not go."""
        self._close_http()
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
        if self._test_client is not None:
            self._test_client.__exit__(None, None, None)
            self._test_client = None
        if self._logs is not None:
            self._logs.close()
            self._logs = None

    def kill(self) -> None:
        """SIGKILL the subprocess: no shutdown hook runs (what a crash or OOM kill does)."""
        assert self._process is not None, "kill() needs mode='subprocess'"
        self._close_http()
        self._process.kill()
        self._process.wait(timeout=15)
        self._process = None

    def restart(self) -> CollectorHandle:
        """Stop, then start again on the same file (and port)."""
        self.stop()
        return self.start()

    def logs(self) -> str:
        """What the collector logged so far: the process output, or (in-process) the collector's log records."""
        if self._logs is not None:
            self._logs.handler.flush()
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""


def launch_collector(
    directory: Path, *, mode: str = DEFAULT_MODE, store: str | None = None, db: Path | str | None = None, **env: str
) -> CollectorHandle:
    """Start a collector on `directory / "tokenledger.duckdb"` (or on `store`, default `current_store`: see
    `store_url`; or on `db`, a --db value); the caller stops it (the fixtures do).

    `env` sets ``TOKENLEDGER_*`` settings, e.g. ``TOKENLEDGER_ADMIN_TOKEN="sk-test-not-a-real-key"``. In-process
    modes read only `env`; the subprocess inherits os.environ as well.
    """
    assert mode in MODES, f"mode must be one of {MODES}"
    port = None if mode == "asgi" else free_port()
    handle = CollectorHandle(
        db_path=db if db is not None else store_url(store or current_store, directory, mode),
        port=port,
        mode=mode,
        env={k: str(v) for k, v in env.items()},
        log_path=directory / f"collector-{port or next(_ASGI_IDS)}.log",
    )
    try:
        return handle.start()
    except BaseException:
        handle.stop()
        raise

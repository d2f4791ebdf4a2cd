"""Helpers for the finance tests: a collector with a fixed clock, and a local webhook receiver."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from . import collector as _collector
from .collector import CollectorHandle, free_port


class ClockedCollector(CollectorHandle):
    """A collector in process (thread mode by default) whose clock the test sets: `handle.clock = lambda: when`."""

    clock: Callable[[], datetime]

    def _settings(self) -> Any:
        # The webhook retry delay is shortened so that a test of the retries takes milliseconds.
        return replace(super()._settings(), clock=self.clock, alert_retry_base_s=0.01)


def launch_clocked(directory: Path, now: datetime, *, mode: str = "thread", **env: str) -> ClockedCollector:
    """A collector on `directory/tokenledger.duckdb` (or the conformance suite's store) whose clock says `now`; the
    caller stops it."""
    port = None if mode == "asgi" else free_port()
    handle = ClockedCollector(
        db_path=_collector.store_url(_collector.current_store, directory, mode), port=port, mode=mode,
        env={k: str(v) for k, v in env.items()},
        log_path=directory / f"collector-{port or 'asgi'}.log",
    )  # fmt: skip
    handle.clock = lambda: now
    try:
        return handle.start()  # type: ignore[return-value]
    except BaseException:
        handle.stop()
        raise


class WebhookReceiver:
    """A local HTTP server on a free port that records each JSON body POSTed to it.

    `fail_first` requests are answered 500 (and not recorded as received) to exercise the retries.
    """

    def __init__(self, fail_first: int = 0) -> None:
        self.bodies: list[dict[str, Any]] = []
        self.requests = 0
        self.fail_first = fail_first
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's name)
                length = int(self.headers.get("content-length", "0"))
                body = json.loads(self.rfile.read(length))
                receiver.requests += 1
                if receiver.requests <= receiver.fail_first:
                    self.send_response(500)
                else:
                    receiver.bodies.append(body)
                    self.send_response(200)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/services/T000/B000/s3cr3t-path"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self._thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

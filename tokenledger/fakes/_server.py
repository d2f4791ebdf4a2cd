"""A real HTTP server on 127.0.0.1 in a background thread: the shared machinery of the fake providers.

Each fake is a `ThreadingHTTPServer` (stdlib, no extra dependency) serving HTTP/1.1 with keep-alive, so SDK
connection pools behave as they do against a real API. Streams use chunked transfer encoding, so a stream the
fake cuts mid-way is seen by the client as an incomplete body, as it would be on a dropped connection.

The fakes never store or log a request's credentials: only whether an API key header was present.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from .types import FAILURES, FakePlan, FakeUsage

logger = logging.getLogger("tokenledger.fakes")

UsagePolicy = Callable[[dict[str, Any]], FakeUsage]
"""Request JSON -> the usage the fake reports for it (GenAI convention: input and output include cache/reasoning)."""
PlanPolicy = Callable[[dict[str, Any]], FakePlan]
"""Request JSON -> how to answer it (latency, stream pace, failure, usage), overriding the fake's settings."""

_HOLD_LIMIT_S = 30.0  # a held stream gives up waiting after this, so a forgotten gate cannot hang a test run


@dataclass(frozen=True)
class FakeRequest:
    """One request the fake received. The credential itself is never kept."""

    method: str
    path: str
    body: Any
    had_api_key: bool


@dataclass
class _Config:
    usage: UsagePolicy
    latency_s: float = 0.0
    chunk_delay_s: float = 0.0
    failure: str | None = None
    stream_hold: threading.Event | None = None
    requests: list[FakeRequest] = field(default_factory=list)
    plan: PlanPolicy | None = None
    stream_s: float = 0.0


class _Respond:
    """What a provider handler uses to answer: JSON, an error, a malformed body, or an SSE stream."""

    def __init__(self, handler: BaseHTTPRequestHandler, config: _Config, closing: threading.Event) -> None:
        self._handler = handler
        self._config = config
        self._closing = closing

    def json(self, status: int, payload: Any, headers: dict[str, str] | None = None) -> None:
        self.raw(status, json.dumps(payload).encode(), "application/json", headers)

    def raw(self, status: int, body: bytes, content_type: str, headers: dict[str, str] | None = None) -> None:
        h = self._handler
        h.send_response(status)
        h.send_header("Content-Type", content_type)
        h.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            h.send_header(name, value)
        h.end_headers()
        h.wfile.write(body)
        h.wfile.flush()

    def truncated(self, status: int, body: bytes, content_type: str) -> None:
        """Announce the whole body, send half of it, and drop the connection."""
        h = self._handler
        h.send_response(status)
        h.send_header("Content-Type", content_type)
        h.send_header("Content-Length", str(len(body)))
        h.end_headers()
        h.wfile.write(body[: len(body) // 2])
        h.wfile.flush()
        h.close_connection = True

    def sse(
        self,
        events: Iterable[bytes],
        *,
        cut_after: int | None = None,
        hold_after: int | None = None,
        first_token: int = 0,
    ) -> None:
        """Stream SSE frames in chunked encoding; `cut_after` frames then drop the connection (a cut stream).

        A plan's `stream_s` paces the frames after `first_token` (the index of the first frame carrying text):
        the ones before it go out at once, so the time to first token is the plan's latency."""
        h = self._handler
        h.send_response(200)
        h.send_header("Content-Type", "text/event-stream")
        h.send_header("Cache-Control", "no-cache")
        h.send_header("Transfer-Encoding", "chunked")
        h.end_headers()
        frames = list(events)
        delay_s, paced_from = self._config.chunk_delay_s, 1
        if self._config.stream_s:
            delay_s, paced_from = self._config.stream_s / max(1, len(frames) - 1 - first_token), first_token + 1
        try:
            for index, frame in enumerate(frames):
                if cut_after is not None and index >= cut_after:
                    h.close_connection = True
                    return
                if hold_after is not None and index == hold_after and self._config.stream_hold is not None:
                    self._wait_for_hold()
                if index >= paced_from and delay_s:
                    self._closing.wait(delay_s)  # a fake being closed stops pacing at once
                h.wfile.write(b"%x\r\n%s\r\n" % (len(frame), frame))
                h.wfile.flush()
            h.wfile.write(b"0\r\n\r\n")
            h.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            # The client went away (a cancelled stream): nothing more to send.
            h.close_connection = True

    def _wait_for_hold(self) -> None:
        gate = self._config.stream_hold
        deadline = time.monotonic() + _HOLD_LIMIT_S
        while gate is not None and not gate.is_set() and not self._closing.is_set():
            if time.monotonic() > deadline:
                break
            gate.wait(0.05)


ProviderHandler = Callable[[FakeRequest, _Config, _Respond], None]


def _make_handler(route: dict[str, ProviderHandler], config: _Config, closing: threading.Event, auth: Callable):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True  # headers and body are separate writes: no 40 ms delayed-ACK stall
        server_version = "tokenledger-fake"

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the stdlib's signature
            # The stdlib logs to stderr; keep it quiet and never log headers (they hold the key).
            logger.debug("%s %s", self.command, self.path)

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            respond = _Respond(self, config, closing)
            path = self.path.split("?", 1)[0]
            handle = route.get(path)
            if handle is None:
                respond.json(404, {"error": {"type": "not_found_error", "message": f"no route {path}"}})
                return
            try:
                body = json.loads(raw) if raw else {}
            except json.JSONDecodeError:
                respond.json(400, {"error": {"type": "invalid_request_error", "message": "body is not JSON"}})
                return
            request = FakeRequest("POST", path, body, auth(self.headers))
            config.requests.append(request)
            answer = _planned(config, body)
            respond = _Respond(self, answer, closing)
            if answer.latency_s:
                closing.wait(answer.latency_s)  # not time.sleep: closing the fake ends the wait (Ctrl-C stays fast)
            if answer.failure == "disconnect":
                self.close_connection = True  # no status line at all: the client sees the connection drop
                return
            try:
                handle(request, answer, respond)
            except (BrokenPipeError, ConnectionResetError):
                self.close_connection = True
            except Exception as exc:  # a bug in a usage policy, say: answer 500 rather than drop the connection
                logger.exception("fake %s handler failed", path)
                self.close_connection = True
                try:
                    respond.json(500, {"error": {"type": "fake_error", "message": type(exc).__name__}})
                except OSError:
                    pass

    return Handler


def _planned(config: _Config, body: Any) -> _Config:
    """This request's settings: the fake's own, overridden by its plan policy's answer when it has one."""
    if config.plan is None:
        return config
    plan = config.plan(body if isinstance(body, dict) else {})
    usage = plan.usage
    return dataclasses.replace(
        config,
        latency_s=plan.latency_s,
        stream_s=plan.stream_s,
        failure=plan.failure or config.failure,
        usage=config.usage if usage is None else (lambda _body: usage),
    )


class FakeServer:
    """Base of the fakes: a context manager that serves on 127.0.0.1 until closed."""

    provider = ""
    _routes: dict[str, ProviderHandler] = {}

    def __init__(
        self,
        *,
        usage: UsagePolicy | None = None,
        latency_s: float = 0.0,
        chunk_delay_s: float = 0.0,
        failure: str | None = None,
        stream_hold: threading.Event | None = None,
        plan: PlanPolicy | None = None,
        port: int = 0,
        host: str = "127.0.0.1",
    ) -> None:
        self._config = _Config(usage or default_usage, latency_s, chunk_delay_s, None, stream_hold, plan=plan)
        self.failure = failure
        self._closing = threading.Event()
        handler = _make_handler(self._routes, self._config, self._closing, self._has_api_key)
        self._server = ThreadingHTTPServer((host, port), handler)
        self._server.daemon_threads = True
        self._thread: threading.Thread | None = None

    @staticmethod
    def _has_api_key(headers: Any) -> bool:
        raise NotImplementedError

    # -- configuration a test or the demo may change while the server runs

    @property
    def failure(self) -> str | None:
        """None, or one of `FAILURES`: every request fails that way until reset."""
        return self._config.failure

    @failure.setter
    def failure(self, mode: str | None) -> None:
        if mode is not None and mode not in FAILURES:
            raise ValueError(f"unknown failure mode {mode!r}; expected one of {sorted(FAILURES)}")
        self._config.failure = mode

    @property
    def usage(self) -> UsagePolicy:
        return self._config.usage

    @usage.setter
    def usage(self, policy: UsagePolicy) -> None:
        self._config.usage = policy

    @property
    def requests(self) -> list[FakeRequest]:
        """Requests received so far, oldest first (bodies only; never credentials)."""
        return self._config.requests

    @property
    def port(self) -> int:
        return self._server.server_address[1]

    @property
    def base_url(self) -> str:
        raise NotImplementedError

    # -- lifecycle

    def start(self) -> FakeServer:
        if self._thread is None:
            self._thread = threading.Thread(
                target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
            )
            self._thread.start()
        return self

    def close(self) -> None:
        self._closing.set()
        if self._thread is not None:
            self._server.shutdown()
            self._thread.join(timeout=5)
            self._thread = None
        self._server.server_close()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def default_usage(body: dict[str, Any]) -> FakeUsage:
    """Roughly 4 characters per input token; output bounded by max_tokens. Deterministic for a given request."""
    chars = len(json.dumps(body.get("messages", ""))) + len(json.dumps(body.get("system", "")))
    limit = body.get("max_tokens") or body.get("max_completion_tokens") or 64
    return FakeUsage(input_tokens=max(1, chars // 4), output_tokens=min(int(limit), 12))

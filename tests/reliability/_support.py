"""Helpers of the reliability suite: OTLP bodies in bulk, a process's memory, bounded waits."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable
from pathlib import Path

import httpx
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue

START_NS = 1_764_115_200_000_000_000
PROTO_HEADERS = {"content-type": "application/x-protobuf"}
RETRYABLE = {429, 502, 503, 504}
"""The statuses OTLP exporters retry (with Retry-After); a 400 or 500 is never retried."""


def proto_request(
    span_ids: Iterable[int], *, attrs: dict | None = None, pad: str = "", minimal: bool = False
) -> ExportTraceServiceRequest:
    """A protobuf export of one LLM span per id (trace id and span id derived from it; fixed times). `minimal`: no
    name and no attribute but the input token count (~72 bytes a span, the most spans per byte)."""
    request = ExportTraceServiceRequest()
    resource_spans = request.resource_spans.add()
    resource_spans.resource.attributes.append(KeyValue(key="service.name", value=AnyValue(string_value="rel")))
    scope = resource_spans.scope_spans.add()
    scope.scope.name = "reliability"
    base = {} if minimal else {"gen_ai.operation.name": "chat", "gen_ai.request.model": "claude-haiku-4-5"}
    base.update(attrs or {})
    for number in span_ids:
        span = scope.spans.add()
        span.trace_id = (number + 1).to_bytes(16, "big")
        span.span_id = (number + 1).to_bytes(8, "big")
        span.name = "" if minimal else "chat"
        span.start_time_unix_nano = START_NS + number * 1000
        span.end_time_unix_nano = START_NS + number * 1000 + 5_000_000
        for key, value in base.items():
            span.attributes.append(KeyValue(key=key, value=AnyValue(string_value=value)))
        span.attributes.append(KeyValue(key="gen_ai.usage.input_tokens", value=AnyValue(int_value=10)))
        if pad:
            span.attributes.append(KeyValue(key="note", value=AnyValue(string_value=pad)))
    return request


def span_hex(number: int) -> str:
    """The span id `proto_request` gives span number `number`, as stored."""
    return (number + 1).to_bytes(8, "big").hex()


def memory_kib(pid: int) -> dict[str, int]:
    """VmRSS and VmHWM (peak RSS) of a process, in KiB, from /proc."""
    found = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, rest = line.partition(":")
        if name in ("VmRSS", "VmHWM"):
            found[name] = int(rest.split()[0])
    return found


def wait_until(predicate: Callable[[], object], timeout_s: float = 30.0, what: str = "condition") -> None:
    """Poll until `predicate()` is true; fail after a bounded time."""
    deadline = time.monotonic() + timeout_s
    while not predicate():
        assert time.monotonic() < deadline, f"{what} not reached within {timeout_s} s"
        time.sleep(0.02)


def post_until_acknowledged(
    client: httpx.Client, url: str, body: bytes, headers: dict, *, deadline_s: float, statuses: list[int]
) -> bool:
    """Post like an OTLP exporter: retry 429/502/503/504 and connection errors (honouring Retry-After) until a
    200 or the deadline. Every status seen is appended to `statuses`; True when acknowledged (200)."""
    deadline = time.monotonic() + deadline_s
    while time.monotonic() < deadline:
        try:
            response = client.post(url + "/v1/traces", content=body, headers=headers)
        except httpx.TransportError:
            statuses.append(0)
            time.sleep(0.2)
            continue
        statuses.append(response.status_code)
        if response.status_code == 200:
            return True
        if response.status_code not in RETRYABLE:
            return False
        time.sleep(min(float(response.headers.get("retry-after", "1")), 2.0))
    return False


def stored_span_counts(db_path: Path) -> dict[str, int]:
    """span_id -> rows, read straight from the DuckDB file (the collector must be stopped)."""
    import duckdb

    con = duckdb.connect(str(db_path), read_only=True)
    try:
        return dict(con.execute("SELECT span_id, count(*) FROM calls GROUP BY span_id").fetchall())
    finally:
        con.close()


def json_body(payload: dict) -> bytes:
    return json.dumps(payload).encode()

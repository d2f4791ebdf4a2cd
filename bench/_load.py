"""The ingest load: OTLP export requests of LLM spans shaped like our client's, and concurrent senders.

Every span carries what `llm` sets on a call (model, tokens with cache and reasoning counts, response id, layer,
reported cost, streaming and time to first token, customer and feature) under a resource with a service,
an environment, a team and the SDK's own attributes. Response ids are unique, so the dedupe path runs and every
span is one stored row.
"""

from __future__ import annotations

import base64
import json
import random
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import httpx
from google.protobuf import json_format
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue

from bench._common import percentile
from tokenledger import contract as c

MODELS = ["claude-haiku-4-5", "claude-sonnet-4-5", "grok-4-fast-reasoning", "mystery-model-1"]
LAYERS = ["chat", "analysis", "drafts", "agents"]
CUSTOMERS = ["acme", "globex", "initech", "umbrella"]
OCT_2025_NS = 1_760_000_000_000_000_000
PROTOBUF = "application/x-protobuf"
JSON = "application/json"


def _kv(key: str, value) -> KeyValue:
    if isinstance(value, bool):
        return KeyValue(key=key, value=AnyValue(bool_value=value))
    if isinstance(value, int):
        return KeyValue(key=key, value=AnyValue(int_value=value))
    if isinstance(value, float):
        return KeyValue(key=key, value=AnyValue(double_value=value))
    return KeyValue(key=key, value=AnyValue(string_value=value))


_RESOURCE = {
    c.SERVICE: "bench",
    c.ENVIRONMENT: "prod",
    c.TEAM: "product",
    "telemetry.sdk.name": "opentelemetry",
    "telemetry.sdk.language": "python",
    "telemetry.sdk.version": "1.45.2",
}


def make_request(batch_index: int, size: int, start_ns: int = OCT_2025_NS, id_offset: int = 0):
    """One ExportTraceServiceRequest of `size` LLM spans (ids from `id_offset + batch_index * size`)."""
    rng = random.Random(batch_index)
    request = ExportTraceServiceRequest()
    resource_spans = request.resource_spans.add()
    resource_spans.resource.attributes.extend(_kv(k, v) for k, v in _RESOURCE.items())
    scope_spans = resource_spans.scope_spans.add()
    scope_spans.scope.name = "tokenledger.llm"
    scope_spans.scope.version = "0.1.0"
    for i in range(size):
        span = scope_spans.spans.add()
        n = id_offset + batch_index * size + i
        span.trace_id = (n + 1).to_bytes(16, "big")
        span.span_id = (n + 1).to_bytes(8, "big")
        span.name = "chat"
        span.kind = 3
        span.start_time_unix_nano = start_ns + n * 1_000_000
        span.end_time_unix_nano = span.start_time_unix_nano + rng.randint(200, 5000) * 1_000_000
        model = MODELS[n % len(MODELS)]
        anthropic = model.startswith("claude")
        streaming = n % 3 == 0
        cache_read, cache_write = rng.randint(0, 400), (rng.randint(0, 300) if anthropic else 0)
        attrs = {
            c.OPERATION: "chat",
            c.PROVIDER: "anthropic" if anthropic else "x_ai",
            c.REQUEST_MODEL: model,
            c.REQUEST_MAX_TOKENS: 2048,
            c.RESPONSE_MODEL: model,
            c.RESPONSE_ID: f"msg_{n:016d}",
            c.INPUT_TOKENS: rng.randint(500, 20000) + cache_read + cache_write,
            c.OUTPUT_TOKENS: rng.randint(50, 2000),
            c.CACHE_READ_TOKENS: cache_read,
            c.CACHE_WRITE_TOKENS: cache_write,
            c.REASONING_TOKENS: 0 if anthropic else rng.randint(0, 40),
            c.LAYER: LAYERS[n % len(LAYERS)],
            c.COST_USD: round(rng.uniform(0.0001, 0.05), 6),
            c.PRICING_UNKNOWN: model.startswith("mystery"),
            c.STREAMING: streaming,
            c.CUSTOMER: CUSTOMERS[n % len(CUSTOMERS)],
            c.FEATURE: "summaries",
        }
        if streaming:
            attrs[c.TTFT_MS] = float(rng.randint(150, 900))
        span.attributes.extend(_kv(k, v) for k, v in attrs.items())
    return request


def make_batch(batch_index: int, size: int, start_ns: int = OCT_2025_NS, id_offset: int = 0) -> bytes:
    """`make_request` as protobuf bytes."""
    return make_request(batch_index, size, start_ns, id_offset).SerializeToString()


def to_json(request: ExportTraceServiceRequest) -> bytes:
    """OTLP JSON of a request: protobuf's JSON mapping with hex trace and span ids."""
    data = json_format.MessageToDict(request, use_integers_for_enums=True)  # OTLP JSON: enums as integers
    for resource_spans in data.get("resourceSpans", []):
        for scope_spans in resource_spans.get("scopeSpans", []):
            for span in scope_spans.get("spans", []):
                for key in ("traceId", "spanId"):
                    span[key] = base64.b64decode(span[key]).hex()
    return json.dumps(data).encode()


@dataclass
class LoadResult:
    """What a load run measured on the sender's side."""

    spans_sent: int
    spans_acknowledged: int
    elapsed_s: float
    latencies_ms: list[float] = field(default_factory=list)
    statuses: dict[int, int] = field(default_factory=dict)
    capped: bool = False
    """True when the time cap stopped the senders before every batch went."""

    def figures(self) -> dict:
        """The sender-side figures every load reports: acknowledged spans and their rate, p50/p99, statuses."""
        return {
            "acknowledged": self.spans_acknowledged,
            "acknowledged_per_s": self.spans_acknowledged / self.elapsed_s,
            "p50_ms": percentile(self.latencies_ms, 0.5),
            "p99_ms": percentile(self.latencies_ms, 0.99),
            "statuses": self.statuses,
        }


def send(url: str, bodies: list[bytes], spans_per_body: int, concurrency: int, content_type: str = PROTOBUF,
         time_cap_s: float | None = None) -> LoadResult:  # fmt: skip
    """POST every body to `url` from `concurrency` threads (one HTTP client each); a 200 is an acknowledgement.

    With `time_cap_s`, senders stop taking new bodies once the cap has passed (requests in flight finish)."""
    headers = {"content-type": content_type}
    lock = threading.Lock()
    result = LoadResult(len(bodies) * spans_per_body, 0, 0.0)
    queue = list(reversed(bodies))
    began = time.perf_counter()

    def worker() -> None:
        with httpx.Client(timeout=300) as client:
            while True:
                with lock:
                    if not queue:
                        return
                    if time_cap_s is not None and time.perf_counter() - began > time_cap_s:
                        result.capped = True
                        return
                    body = queue.pop()
                sent = time.perf_counter()
                try:
                    status = client.post(url, content=body, headers=headers).status_code
                except httpx.HTTPError:
                    status = 0
                with lock:
                    result.latencies_ms.append((time.perf_counter() - sent) * 1000)
                    result.statuses[status] = result.statuses.get(status, 0) + 1
                    if status == 200:
                        result.spans_acknowledged += spans_per_body

    with ThreadPoolExecutor(concurrency) as pool:
        for future in [pool.submit(worker) for _ in range(concurrency)]:
            future.result()
    result.elapsed_s = time.perf_counter() - began
    return result

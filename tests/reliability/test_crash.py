"""kill -9 under load: every acknowledged span is stored exactly once, and the file reopens every time.

Two senders run while the collector is killed (SIGKILL, no shutdown hook) at seeded random moments and restarted on
the same file and port: the real OpenTelemetry exporter (BatchSpanProcessor, with its own retries; spans dropped from
its full queue are never acknowledged) and a raw sender that posts protobuf batches and records each batch answered
200. Acknowledged means: the exporter's export returned
SUCCESS, or the raw post got 200. The load is bounded (batches of 20 spans, at most one request in flight each).
"""

from __future__ import annotations

import os
import random
import threading
import time

import httpx
import pytest
from _support import PROTO_HEADERS, post_until_acknowledged, proto_request, span_hex, stored_span_counts
from conftest import launch_collector
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExportResult

pytestmark = pytest.mark.reliability

SEED = int(os.environ.get("TOKENLEDGER_KILL_SEED", "1313"))
KILL_ROUNDS = 20
BATCH = 20


class _AckedExporter:
    """The real OTLP exporter; records the span ids of every export that returned SUCCESS."""

    def __init__(self, url: str) -> None:
        self.inner = OTLPSpanExporter(endpoint=url + "/v1/traces", timeout=30)
        self.acked: list[str] = []
        self.failed = 0

    def export(self, spans):
        result = self.inner.export(spans)
        if result is SpanExportResult.SUCCESS:
            self.acked += [f"{s.context.span_id:016x}" for s in spans]
        else:
            self.failed += len(spans)
        return result

    def shutdown(self) -> None:
        self.inner.shutdown()

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return True


def test_kill_9_under_load_loses_no_acknowledged_span(tmp_path, record_property):
    rng = random.Random(SEED)
    collector = launch_collector(tmp_path, mode="subprocess")
    stop = threading.Event()
    raw_acked: list[str] = []
    statuses: list[int] = []
    exporter = _AckedExporter(collector.url)
    provider = TracerProvider(resource=Resource.create({"service.name": "crash-test"}))
    provider.add_span_processor(BatchSpanProcessor(exporter, schedule_delay_millis=100, max_export_batch_size=50))
    tracer = provider.get_tracer("crash")
    attrs = {"gen_ai.operation.name": "chat", "gen_ai.request.model": "claude-haiku-4-5"}
    attrs["gen_ai.usage.input_tokens"] = 7

    def raw_sender() -> None:
        number = 0
        with httpx.Client(timeout=30) as client:
            while not stop.is_set():
                ids = range(number, number + BATCH)
                body = proto_request(ids).SerializeToString()
                if post_until_acknowledged(
                    client, collector.url, body, PROTO_HEADERS, deadline_s=60, statuses=statuses
                ):
                    raw_acked.extend(span_hex(n) for n in ids)
                number += BATCH

    def sdk_sender() -> None:
        while not stop.is_set():
            tracer.start_span("chat", attributes=attrs).end()
            time.sleep(0.002)

    threads = [threading.Thread(target=raw_sender), threading.Thread(target=sdk_sender)]
    for thread in threads:
        thread.start()
    try:
        for _ in range(KILL_ROUNDS):
            time.sleep(rng.uniform(0.2, 1.5))
            collector.kill()
            time.sleep(rng.uniform(0.0, 0.3))
            collector.start()  # same file and port: it must reopen (WAL replay) every time
        time.sleep(1.0)
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=120)
        provider.shutdown()
    collector.stop()
    stored = stored_span_counts(collector.db_path)
    acked = raw_acked + exporter.acked
    missing = [s for s in acked if s not in stored]
    record_property("kill_rounds", KILL_ROUNDS)
    record_property("acknowledged", len(acked))
    print(
        f"\ncrash: seed {SEED}, {KILL_ROUNDS} kill -9 rounds, {len(acked)} spans acknowledged "
        f"({len(raw_acked)} raw, {len(exporter.acked)} exporter), {len(stored)} stored, {len(missing)} lost, "
        f"{sum(1 for s in statuses if s == 0)} connection errors, statuses {sorted(set(statuses))}"
    )
    assert len(acked) > 1000  # the load really ran across the kills
    assert not missing, f"{len(missing)} acknowledged spans lost, e.g. {missing[:5]}"
    assert all(count == 1 for count in stored.values())
    assert 500 not in statuses

"""Overload (429), a store that cannot write (503), and no 500 ever: always with Retry-After."""

from __future__ import annotations

import json
import logging
import threading
import time

from fastapi.testclient import TestClient
from helpers.otlp import otlp_json_request, otlp_json_span

from collector import Settings, Store, create_app
from collector.otlp import JSON as JSON_TYPE
from collector.otlp import decode_export

# Not in the conformance suite: what this checks does not depend on the store (the API it reads is checked on
# every store by the conformance modules), and its chdb half cost CI minutes.

JSON = {"content-type": "application/json"}
ATTRS = {"gen_ai.operation.name": "chat", "gen_ai.request.model": "claude-haiku-4-5", "gen_ai.usage.input_tokens": 5}


def _body(span_id: str) -> bytes:
    return json.dumps(otlp_json_request([otlp_json_span(span_id, ATTRS)])).encode()


def _wait_until(predicate, timeout_s: float = 10.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not predicate():
        assert time.monotonic() < deadline, "condition not reached in time"
        time.sleep(0.01)


def test_too_many_waiting_writes_is_429_with_retry_after(start_collector, tmp_path):
    collector = start_collector(
        tmp_path, mode="thread", TOKENLEDGER_MAX_PENDING_WRITES="1", TOKENLEDGER_RETRY_AFTER_S="7"
    )
    store = collector.app.state.store
    gate = collector.app.state.write_gate
    first: dict = {}
    with store._write_lock:  # the writer is busy: the first request waits for it
        worker = threading.Thread(
            target=lambda: first.setdefault(
                "r", collector.client.post("/v1/traces", content=_body("01" * 8), headers=JSON, timeout=30)
            )
        )
        worker.start()
        _wait_until(lambda: gate._in_flight == 1)
        second = collector.client.post("/v1/traces", content=_body("02" * 8), headers=JSON, timeout=30)
        assert second.status_code == 429
        assert second.headers["retry-after"] == "7"
        assert collector.client.get("/healthz").status_code == 200  # the event loop stays responsive
    worker.join(timeout=30)
    assert first["r"].status_code == 200
    rows = collector.client.get("/api/v1/calls").json()["rows"]
    assert [r["span_id"] for r in rows] == ["01" * 8]


def test_store_that_cannot_write_is_503_with_retry_after(start_collector, tmp_path):
    collector = start_collector(tmp_path, mode="thread", TOKENLEDGER_RETRY_AFTER_S="3")
    collector.app.state.store.close()  # the DuckDB connection is gone: every write and read fails in DuckDB
    response = collector.client.post("/v1/traces", content=_body("03" * 8), headers=JSON)
    assert response.status_code == 503
    assert response.headers["retry-after"] == "3"
    read = collector.client.get("/api/v1/spend")
    assert read.status_code == 503 and read.headers["retry-after"] == "3"
    assert collector.client.get("/healthz").status_code == 503


class _BuggyStore(Store):
    def spend(self, group_by, where):
        raise KeyError("a bug")


def test_an_unexpected_error_is_logged_and_answered_503_not_500(tmp_path, caplog):
    store = _BuggyStore.open(tmp_path / "bug.duckdb")
    app = create_app(Settings(db_path=tmp_path / "bug.duckdb"), store=store)
    with caplog.at_level(logging.ERROR, logger="collector"), TestClient(app, raise_server_exceptions=False) as client:
        response = client.get("/api/v1/spend")
    store.close()
    assert response.status_code == 503
    assert "retry-after" in response.headers
    assert "a bug" not in response.text
    assert any(r.exc_info and isinstance(r.exc_info[1], KeyError) for r in caplog.records)


def test_waiting_ingests_never_starve_health_and_reads(start_collector, tmp_path):
    # More waiting ingests than the default worker pool (40 threads) but within the pending-write limit.
    pending = 48
    collector = start_collector(tmp_path, mode="thread", TOKENLEDGER_MAX_PENDING_WRITES=str(pending))
    store = collector.app.state.store
    gate = collector.app.state.write_gate
    answers: dict[int, int] = {}

    def send(i: int) -> None:
        response = collector.client.post("/v1/traces", content=_body(f"{i + 1:016x}"), headers=JSON, timeout=60)
        answers[i] = response.status_code

    with store._write_lock:  # a slow writer: every ingest waits for it
        workers = [threading.Thread(target=send, args=(i,)) for i in range(pending)]
        for worker in workers:
            worker.start()
        _wait_until(lambda: gate._in_flight == pending)
        assert collector.client.get("/healthz", timeout=10).status_code == 200
        spend = collector.client.get("/api/v1/spend", timeout=10)
        assert spend.status_code == 200 and spend.json()["rows"] == []
        extra = collector.client.post("/v1/traces", content=_body("ff" * 8), headers=JSON, timeout=10)
        assert extra.status_code == 429 and "retry-after" in extra.headers
    for worker in workers:
        worker.join(timeout=60)
    assert answers == {i: 200 for i in range(pending)}
    assert collector.client.get("/api/v1/calls", params={"limit": 1000}).json()["total"] == pending


class _BuggyWriter(Store):
    def insert_calls(self, rows, **kwargs):
        raise KeyError("a bug in the writer")


def test_an_unexpected_ingest_error_is_a_503_status_in_the_request_encoding(tmp_path):
    from google.rpc.status_pb2 import Status

    store = _BuggyWriter.open(tmp_path / "bug.duckdb")
    app = create_app(Settings(db_path=tmp_path / "bug.duckdb", retry_after_s=4), store=store)
    with TestClient(app, raise_server_exceptions=False) as client:
        as_json = client.post("/v1/traces", content=_body("0a" * 8), headers=JSON)
        payload = otlp_json_request([otlp_json_span("0b" * 8, ATTRS)])
        request = decode_export(json.dumps(payload).encode(), JSON_TYPE).request  # the collector's own JSON decoder
        as_proto = client.post(
            "/v1/traces", content=request.SerializeToString(), headers={"content-type": "application/x-protobuf"}
        )
    store.close()
    assert as_json.status_code == 503 and as_json.headers["retry-after"] == "4"
    assert as_json.json()["code"] == 14 and "a bug" not in as_json.text  # UNAVAILABLE
    assert as_proto.status_code == 503 and as_proto.headers["content-type"] == "application/x-protobuf"
    assert Status.FromString(as_proto.content).code == 14


def test_a_busy_collector_says_429_before_reading_the_body(start_collector, tmp_path):
    collector = start_collector(
        tmp_path, mode="thread", TOKENLEDGER_MAX_PENDING_WRITES="1", TOKENLEDGER_MAX_BODY_BYTES="1000"
    )
    store, gate = collector.app.state.store, collector.app.state.write_gate
    first: dict = {}
    with store._write_lock:
        worker = threading.Thread(
            target=lambda: first.setdefault(
                "r", collector.client.post("/v1/traces", content=_body("01" * 8), headers=JSON, timeout=30)
            )
        )
        worker.start()
        _wait_until(lambda: gate._in_flight == 1)
        # A body over the limit would be a 413 once read: the busy answer comes first, without reading it.
        big = collector.client.post("/v1/traces", content=b"{" + b" " * 5000 + b"}", headers=JSON, timeout=30)
        assert big.status_code == 429
    worker.join(timeout=30)
    assert first["r"].status_code == 200

"""Issue 13's findings, one regression test each (each fails without its fix). Fast: part of `make test`."""

from __future__ import annotations

import gzip
import json
import logging
import socket

import httpx
import pytest
from _support import span_hex, wait_until
from conftest import HAIKU, JSON, otlp_json_request, otlp_json_span
from fastapi.testclient import TestClient

from collector import Settings, create_app

GOOD = "1000000000000001"
BAD = "1000000000000002"


@pytest.fixture
def client(tmp_path):
    app = create_app(Settings(db_path=tmp_path / "t.duckdb"))
    with TestClient(app, raise_server_exceptions=False) as test_client:
        yield test_client


def _rows(client) -> list[dict]:
    return client.get("/api/v1/calls", params={"limit": 1000}).json()["rows"]


def _no_errors(caplog) -> None:
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert not errors, [r.getMessage() for r in errors]


# 1. Multi-member gzip: each member used to copy the rest of the input (quadratic), with no bound on members.


def test_many_gzip_members_are_refused_at_once(client):
    body = gzip.compress(b"") * 5_000  # empty members: an empty request if inflated to the end
    response = client.post("/v1/traces", content=body, headers={**JSON, "content-encoding": "gzip"})
    assert response.status_code == 400
    assert "more than 64 members" in response.json()["message"]


def test_a_few_gzip_members_still_inflate_to_one_body(client):
    raw = json.dumps(otlp_json_request([otlp_json_span(GOOD, HAIKU)])).encode()
    body = gzip.compress(raw[:40]) + gzip.compress(raw[40:]) + b"\0" * 16  # two members and zero padding
    response = client.post("/v1/traces", content=body, headers={**JSON, "content-encoding": "gzip"})
    assert response.status_code == 200, response.text
    assert [r["span_id"] for r in _rows(client)] == [GOOD]


# 2. A slow upload held a write slot with no time limit; as many as TOKENLEDGER_MAX_PENDING_WRITES locked out all.


def _slow_upload(port: int) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", port), timeout=30)
    sock.sendall(
        b"POST /v1/traces HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: application/json\r\n"
        b"content-length: 1000\r\n\r\n" + b'{"resourceSpans"'
    )
    return sock


def test_slow_uploads_cost_no_write_slot_and_time_out(start_collector, tmp_path, send_spans):
    collector = start_collector(
        tmp_path, mode="thread", TOKENLEDGER_MAX_PENDING_WRITES="2", TOKENLEDGER_BODY_TIMEOUT_S="3"
    )
    state = collector.app.state
    slow = [_slow_upload(collector.port) for _ in range(2)]
    try:
        # Both uploads are being read (before the fix: both hold a write slot).
        wait_until(
            lambda: state.write_gate._in_flight == 2 or getattr(state, "buffered_budget", None) and
            state.buffered_budget.used == 32, what="two slow uploads in progress",
        )  # fmt: skip

        def build(tracer):
            tracer.start_span("chat", attributes=HAIKU, start_time=1_764_115_200_000_000_000).end(
                end_time=1_764_115_200_500_000_000
            )

        assert [r.name for r in send_spans(collector.url, build)] == ["SUCCESS"]
        for sock in slow:  # the slow uploads are answered 408 once their time is up
            assert sock.recv(200).split(b" ")[1] == b"408"
    finally:
        for sock in slow:
            sock.close()
    assert state.buffered_budget.used == 0


# 3. Memory: bodies held and decoded count against budgets (the RSS bound itself: test_overload.py, full suite).


def test_json_over_its_decompressed_limit_is_413(tmp_path):
    app = create_app(Settings(db_path=tmp_path / "t.duckdb", max_json_bytes=1000))
    body = json.dumps(otlp_json_request([otlp_json_span(f"{i:016x}", HAIKU) for i in range(1, 20)])).encode()
    with TestClient(app) as test_client:
        headers = {**JSON, "content-encoding": "gzip"}
        response = test_client.post("/v1/traces", content=gzip.compress(body), headers=headers)
        assert response.status_code == 413
        assert app.state.decoded_budget.used == 0 and app.state.buffered_budget.used == 0


def test_a_request_larger_than_one_chunk_lands_whole(client, monkeypatch):
    from collector import ingest

    monkeypatch.setattr(ingest, "CHUNK_ROWS", 3)
    spans = [otlp_json_span(f"{i:016x}", HAIKU) for i in range(1, 11)]
    assert client.post("/v1/traces", json=otlp_json_request(spans)).status_code == 200
    assert len(_rows(client)) == 10


# 4. Client mistakes were 503 "internal error" with tracebacks.


def test_offset_past_bigint_is_400(client, caplog):
    assert client.post("/v1/traces", json=otlp_json_request([otlp_json_span(GOOD, HAIKU)])).status_code == 200
    response = client.get("/api/v1/calls", params={"offset": "9223372036854775808"})
    assert response.status_code == 400
    assert "offset must be at most" in response.json()["detail"]
    _no_errors(caplog)


@pytest.mark.parametrize("effective_from", ["9999-12-31T23:59:59-01:00", "0001-01-01T00:00:00+01:00"])
def test_card_dates_past_the_calendar_in_utc_are_400(client, caplog, effective_from):
    card = {"model": "m-edge", "effective_from": effective_from, "input_usd_per_mtok": "1", "output_usd_per_mtok": "2"}
    response = client.post("/api/v1/rates", json=card)
    assert response.status_code == 400, response.text
    assert "outside years 1 to 9999" in response.json()["detail"]
    _no_errors(caplog)


# 5. A token count present with an empty or null value was stored as 0.


@pytest.mark.parametrize("empty", [{}, {"stringValue": ""}])
def test_an_empty_token_count_rejects_the_span(client, empty):
    bad = otlp_json_span(BAD, HAIKU)
    bad["attributes"] = [a for a in bad["attributes"] if a["key"] != "gen_ai.usage.input_tokens"]
    bad["attributes"].append({"key": "gen_ai.usage.input_tokens", "value": empty})
    response = client.post("/v1/traces", json=otlp_json_request([otlp_json_span(GOOD, HAIKU), bad]))
    assert response.status_code == 200
    partial = response.json()["partialSuccess"]
    assert partial["rejectedSpans"] == "1"
    assert "gen_ai.usage.input_tokens" in partial["errorMessage"]
    assert [r["span_id"] for r in _rows(client)] == [GOOD]


# 6. One schema-level type error in OTLP JSON was a 400 for the whole request (never retried: all spans lost).


def _deep(levels: int) -> dict:
    value: dict = {"intValue": "1"}
    for _ in range(levels):
        value = {"arrayValue": {"values": [value]}}
    return value


@pytest.mark.parametrize(
    "broken",
    [
        {"intValue": 1.5},
        {"intValue": "1.5"},
        {"intValue": True},
        {"intValue": []},
        {"intValue": "9223372036854775808"},
        {"intValue": "1", "stringValue": "x"},
        {"stringValue": "\ud800"},
        _deep(60),
    ],
    ids=["double", "decimal-string", "bool", "list", "int64-overflow", "two-values", "lone-surrogate", "deep"],
)
def test_a_type_error_inside_one_span_rejects_only_that_span(client, broken):
    bad = otlp_json_span(BAD, HAIKU)
    bad["attributes"].append({"key": "extra", "value": broken})
    body = json.dumps(otlp_json_request([otlp_json_span(GOOD, HAIKU), bad])).encode()
    response = client.post("/v1/traces", content=body, headers=JSON)
    assert response.status_code == 200, response.text
    partial = response.json()["partialSuccess"]
    assert partial["rejectedSpans"] == "1"
    assert f"span {BAD}" in partial["errorMessage"]
    assert [r["span_id"] for r in _rows(client)] == [GOOD]


def test_a_type_error_outside_any_span_is_still_400(client):
    body = otlp_json_request([otlp_json_span(GOOD, HAIKU)])
    body["resourceSpans"][0]["resource"]["attributes"].append({"key": "x", "value": {"intValue": 1.5}})
    assert client.post("/v1/traces", json=body).status_code == 400
    assert _rows(client) == []


# 7. A client that disconnects mid-body was an unhandled error with tracebacks (cheap log flooding).


def test_a_client_gone_mid_body_is_a_debug_line(start_collector, tmp_path, caplog):
    caplog.set_level(logging.DEBUG)
    collector = start_collector(tmp_path, mode="thread")
    sock = _slow_upload(collector.port)
    wait_until(lambda: collector.app.state.buffered_budget.used > 0 or collector.app.state.write_gate._in_flight)
    sock.close()
    wait_until(
        lambda: any("disconnect" in r.getMessage() or r.levelno >= logging.ERROR for r in caplog.records),
        what="the disconnect logged",
    )
    _no_errors(caplog)
    assert any(r.levelno == logging.DEBUG and "disconnected" in r.getMessage() for r in caplog.records)


# 8. The schema pages were open with tokens set; offset paging skipped and repeated rows while ingest ran.


@pytest.mark.parametrize("path", ["/openapi.json", "/docs", "/redoc"])
def test_schema_pages_need_the_read_token_when_tokens_are_set(tmp_path, path):
    app = create_app(Settings(db_path=tmp_path / "t.duckdb", read_token="read-token-0123456789"))
    with TestClient(app) as test_client:
        assert test_client.get(path).status_code == 401
        assert test_client.get(path, headers={"authorization": "Bearer read-token-0123456789"}).status_code == 200


def test_cursor_paging_neither_skips_nor_repeats_while_ingest_runs(client):
    def post(numbers, start_ns):
        spans = [otlp_json_span(span_hex(n), HAIKU, start_ns=start_ns + n) for n in numbers]
        assert client.post("/v1/traces", json=otlp_json_request(spans)).status_code == 200

    post(range(10), 1_764_115_200_000_000_000)
    seen, cursor = [], None
    for page in range(20):
        params = {"limit": 3, **({"cursor": cursor} if cursor else {})}
        body = client.get("/api/v1/calls", params=params).json()
        seen += [r["span_id"] for r in body["rows"]]
        post(range(100 + page * 5, 105 + page * 5), 1_764_200_000_000_000_000)  # newer rows arrive between pages
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert sorted(seen) == sorted(span_hex(n) for n in range(10))
    assert client.get("/api/v1/calls", params={"cursor": "not-a-cursor"}).status_code == 400


def test_a_small_compressed_body_is_not_held_up_behind_a_large_one_being_decoded(start_collector, tmp_path):
    collector = start_collector(tmp_path, mode="thread")
    budget = collector.app.state.decoded_budget
    assert budget.try_take(budget.capacity - 1024 * 1024)  # a large body is being decoded: 1 MiB of room is left
    try:
        body = gzip.compress(json.dumps(otlp_json_request([otlp_json_span(GOOD, HAIKU)])).encode())
        headers = {**JSON, "content-encoding": "gzip"}
        response = httpx.post(collector.url + "/v1/traces", content=body, headers=headers, timeout=10)
        assert response.status_code == 200
    finally:
        budget.give(budget.capacity - 1024 * 1024)

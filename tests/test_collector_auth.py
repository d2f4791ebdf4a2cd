"""The three bearer-token scopes; tokens are fake and never printed."""

from __future__ import annotations

import json

import httpx
import pytest
from conftest import otlp_json_request, otlp_json_span
from google.rpc.status_pb2 import Status
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

INGEST = "sk-test-not-a-real-key-ingest"
READ = "sk-test-not-a-real-key-read"
ADMIN = "sk-test-not-a-real-key-admin"
LLM_SPAN = {"gen_ai.operation.name": "chat", "gen_ai.request.model": "m", "gen_ai.usage.input_tokens": 10}
BODY = json.dumps(otlp_json_request([otlp_json_span("00000000000000a1", LLM_SPAN)])).encode()
CARD = {"model": "auth-model", "input_usd_per_mtok": 1, "output_usd_per_mtok": 2, "effective_from": "2025-01-01"}


@pytest.fixture
def collector(start_collector, tmp_path):
    return start_collector(
        tmp_path,
        mode="thread",
        TOKENLEDGER_INGEST_TOKEN=INGEST,
        TOKENLEDGER_READ_TOKEN=READ,
        TOKENLEDGER_ADMIN_TOKEN=ADMIN,
    )


def _auth(token):
    return {"authorization": f"Bearer {token}"} if token else {}


def ingest(url, token):
    return httpx.post(url + "/v1/traces", content=BODY, headers={"content-type": "application/json", **_auth(token)})


def read(url, token):
    return httpx.get(url + "/api/v1/spend", headers=_auth(token))


def add_card(url, token):
    return httpx.post(url + "/api/v1/rates?dry_run=true", json=CARD, headers=_auth(token))


@pytest.mark.parametrize(
    "token, can_ingest, can_read, can_add_card",
    [
        (None, False, False, False),
        ("sk-test-wrong", False, False, False),
        (INGEST, True, False, False),
        (READ, False, True, False),
        (ADMIN, True, True, True),
    ],
)
def test_scopes(collector, token, can_ingest, can_read, can_add_card):
    expected = {True: 200, False: 401}
    assert ingest(collector.url, token).status_code == expected[can_ingest]
    assert read(collector.url, token).status_code == expected[can_read]
    assert add_card(collector.url, token).status_code == expected[can_add_card]
    assert httpx.get(collector.url + "/healthz").status_code == 200  # health needs no token
    # A refused ingest stores nothing; an accepted one stores the call.
    stored = httpx.get(collector.url + "/api/v1/calls", headers=_auth(ADMIN)).json()["rows"]
    assert [r["span_id"] for r in stored] == (["00000000000000a1"] if can_ingest else [])


@pytest.mark.parametrize("token", [None, "sk-test-wrong"])
def test_ingest_401_is_a_google_rpc_status_in_the_request_encoding(collector, token):
    response = ingest(collector.url, token)
    assert response.status_code == 401 and response.headers["www-authenticate"] == "Bearer"
    assert response.headers["content-type"].startswith("application/json")
    assert response.json()["code"] == 16  # UNAUTHENTICATED
    assert "bearer token" in response.json()["message"]
    proto = httpx.post(
        collector.url + "/v1/traces",
        content=ExportTraceServiceRequest().SerializeToString(),
        headers={"content-type": "application/x-protobuf", **_auth(token)},
    )
    assert proto.status_code == 401 and proto.headers["content-type"] == "application/x-protobuf"
    status = Status.FromString(proto.content)
    assert status.code == 16 and "bearer token" in status.message
    assert "sk-test" not in response.text + status.message


def test_401_names_no_token_and_asks_for_bearer(collector):
    response = read(collector.url, "sk-test-wrong")
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
    assert "sk-test" not in response.text


def test_tokens_never_reach_the_log(start_collector, tmp_path):
    collector = start_collector(tmp_path, TOKENLEDGER_ADMIN_TOKEN=ADMIN, TOKENLEDGER_INGEST_TOKEN=INGEST)
    ingest(collector.url, "sk-test-wrong")
    ingest(collector.url, INGEST)
    collector.stop()
    logs = collector.logs()
    assert "routes: bearer token required" in logs
    assert "sk-test" not in logs


def test_open_when_no_token_is_set_and_says_so(start_collector, tmp_path):
    collector = start_collector(tmp_path)
    assert ingest(collector.url, None).status_code == 200
    assert read(collector.url, None).status_code == 200
    assert add_card(collector.url, None).status_code == 200
    collector.stop()
    assert "collector is OPEN" in collector.logs()

"""The three bearer-token scopes; tokens are fake and never printed."""

from __future__ import annotations

import json

import pytest
from google.rpc.status_pb2 import Status
from helpers.otlp import otlp_json_request, otlp_json_span
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

# Not in the conformance suite: what this checks does not depend on the store (the API it reads is checked on
# every store by the conformance modules), and its chdb half cost CI minutes.

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
        mode="asgi",
        TOKENLEDGER_INGEST_TOKEN=INGEST,
        TOKENLEDGER_READ_TOKEN=READ,
        TOKENLEDGER_ADMIN_TOKEN=ADMIN,
    )


def _auth(token):
    return {"authorization": f"Bearer {token}"} if token else {}


def ingest(client, token):
    return client.post("/v1/traces", content=BODY, headers={"content-type": "application/json", **_auth(token)})


def read(client, token):
    return client.get("/api/v1/spend", headers=_auth(token))


def add_card(client, token):
    return client.post("/api/v1/rates?dry_run=true", json=CARD, headers=_auth(token))


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
    assert ingest(collector.client, token).status_code == expected[can_ingest]
    assert read(collector.client, token).status_code == expected[can_read]
    assert add_card(collector.client, token).status_code == expected[can_add_card]
    assert collector.client.get("/healthz").status_code == 200  # health needs no token
    # A refused ingest stores nothing; an accepted one stores the call.
    stored = collector.client.get("/api/v1/calls", headers=_auth(ADMIN)).json()["rows"]
    assert [r["span_id"] for r in stored] == (["00000000000000a1"] if can_ingest else [])


@pytest.mark.parametrize("token", [None, "sk-test-wrong"])
def test_ingest_401_is_a_google_rpc_status_in_the_request_encoding(collector, token):
    response = ingest(collector.client, token)
    assert response.status_code == 401 and response.headers["www-authenticate"] == "Bearer"
    assert response.headers["content-type"].startswith("application/json")
    assert response.json()["code"] == 16  # UNAUTHENTICATED
    assert "bearer token" in response.json()["message"]
    proto = collector.client.post(
        "/v1/traces",
        content=ExportTraceServiceRequest().SerializeToString(),
        headers={"content-type": "application/x-protobuf", **_auth(token)},
    )
    assert proto.status_code == 401 and proto.headers["content-type"] == "application/x-protobuf"
    status = Status.FromString(proto.content)
    assert status.code == 16 and "bearer token" in status.message
    assert "sk-test" not in response.text + status.message


def test_401_names_no_token_and_asks_for_bearer(collector):
    response = read(collector.client, "sk-test-wrong")
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
    assert "sk-test" not in response.text


@pytest.mark.e2e
def test_tokens_never_reach_the_log(start_collector, tmp_path):
    # The real process: everything it prints (uvicorn included) is checked, not only the collector's log records.
    collector = start_collector(
        tmp_path, mode="subprocess", TOKENLEDGER_ADMIN_TOKEN=ADMIN, TOKENLEDGER_INGEST_TOKEN=INGEST
    )
    ingest(collector.client, "sk-test-wrong")
    ingest(collector.client, INGEST)
    collector.stop()
    logs = collector.logs()
    assert "routes: bearer token required" in logs
    assert "sk-test" not in logs


def test_open_when_no_token_is_set_and_says_so(start_collector, tmp_path):
    collector = start_collector(tmp_path, mode="asgi")
    assert ingest(collector.client, None).status_code == 200
    assert read(collector.client, None).status_code == 200
    assert add_card(collector.client, None).status_code == 200
    collector.stop()
    assert "collector is OPEN" in collector.logs()

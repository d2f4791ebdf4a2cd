"""The three bearer-token scopes; tokens are fake and never printed."""

from __future__ import annotations

import json

import httpx
import pytest
from conftest import otlp_json_request, otlp_json_span

INGEST = "sk-test-not-a-real-key-ingest"
READ = "sk-test-not-a-real-key-read"
ADMIN = "sk-test-not-a-real-key-admin"
BODY = json.dumps(
    otlp_json_request(
        [otlp_json_span("00000000000000a1", {"gen_ai.operation.name": "chat", "gen_ai.request.model": "m"})]
    )
).encode()
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

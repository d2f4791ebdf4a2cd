"""GET /api/v1/substitutions: what policy-substituted calls cost, and what the requested model would have cost."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import httpx
import pytest
from conftest import launch_collector, otlp_json_request
from test_collector_api import HOUR, NOV1, _call

import rates

pytestmark = pytest.mark.conformance  # runs on every store (tests/plugins/collector.py)

SONNET, HAIKU = "claude-sonnet-4-5", "claude-haiku-4-5"
AT = datetime.fromtimestamp((NOV1 + HOUR) / 1e9, UTC)
CALLS = [  # (span id, used, requested, input, output, environment)
    ("d000000000000001", HAIKU, SONNET, 1_000, 100, "prod"),
    ("d000000000000002", HAIKU, SONNET, 250_000, 0, "prod"),  # above Sonnet 4.5's 200k tier: priced per call
    ("d000000000000003", HAIKU, "mystery-big-model", 1_000, 100, "prod"),  # no card: would-have-cost unknown
    ("d000000000000004", HAIKU, SONNET, 2_000, 0, "staging"),
    ("d000000000000005", HAIKU, None, 5_000, 0, "prod"),  # ran what it asked for: not a substitution
]


def _price(model: str, tokens_in: int, tokens_out: int) -> Decimal:
    return rates.price_call(rates.default_book(), model, rates.Usage(tokens_in, tokens_out), at=AT).cost_usd


@pytest.fixture(scope="module")
def api(store_kind, tmp_path_factory):  # store_kind: one per store (conformance)
    collector = launch_collector(tmp_path_factory.mktemp("policy"), mode="thread")
    try:
        for env in ("prod", "staging"):
            spans = [
                _call(sid, used, NOV1 + HOUR, layer="drafts", tokens=(i, o), **(
                    {"tokenledger.policy.requested_model": req} if req else {}
                ))
                for sid, used, req, i, o, e in CALLS
                if e == env
            ]  # fmt: skip
            resource = {"service.name": "worker", "deployment.environment.name": env}
            response = httpx.post(collector.url + "/v1/traces", json=otlp_json_request(spans, resource=resource))
            assert response.status_code == 200
        yield collector
    finally:
        collector.stop()


def test_substitutions_price_the_requested_model_per_call(api):
    response = httpx.get(api.url + "/api/v1/substitutions", timeout=10)
    assert response.status_code == 200, response.text
    rows = response.json()["rows"]
    got = {(r["requested_model"], r["environment"]): r for r in rows}
    assert set(got) == {(SONNET, "prod"), ("mystery-big-model", "prod"), (SONNET, "staging")}
    prod = got[SONNET, "prod"]
    assert (prod["model"], prod["layer"], prod["service"], prod["calls"]) == (HAIKU, "drafts", "worker", 2)
    assert Decimal(prod["cost_usd"]) == _price(HAIKU, 1_000, 100) + _price(HAIKU, 250_000, 0)
    want = _price(SONNET, 1_000, 100) + _price(SONNET, 250_000, 0)
    assert Decimal(prod["requested_cost_usd"]) == want
    # per call, not on the summed tokens: the big call alone crosses the tier, the small one does not
    assert want != _price(SONNET, 251_000, 100)
    assert Decimal(got[SONNET, "staging"]["requested_cost_usd"]) == _price(SONNET, 2_000, 0)
    assert got["mystery-big-model", "prod"]["requested_cost_usd"] is None  # unknown, never "0"


def test_substitutions_follow_the_filters(api):
    rows = httpx.get(api.url + "/api/v1/substitutions", params={"environment": "staging"}, timeout=10).json()["rows"]
    assert [(r["requested_model"], r["calls"]) for r in rows] == [(SONNET, 1)]
    empty = httpx.get(api.url + "/api/v1/substitutions", params={"start": "2030-01-01"}, timeout=10).json()["rows"]
    assert empty == []

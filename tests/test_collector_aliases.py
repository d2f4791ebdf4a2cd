"""A card that brings new aliases prices those names' stored calls under every card of the model, audited."""

from __future__ import annotations

import json

import pytest
from helpers.otlp import otlp_json_request, otlp_json_span

pytestmark = pytest.mark.conformance  # runs on every store (tests/plugins/collector.py)

JUNE = 1_748_736_000 * 10**9  # 2025-06-01
DECEMBER = 1_764_547_200 * 10**9  # 2025-12-01


def _span(span_id: str, model: str, start_ns: int) -> dict:
    attrs = {"gen_ai.operation.name": "chat", "gen_ai.request.model": model, "gen_ai.usage.input_tokens": 1_000_000}
    return otlp_json_span(span_id, attrs, start_ns=start_ns)


def test_new_aliases_reprice_their_calls_under_the_earlier_cards_too(start_collector, tmp_path):
    collector = start_collector(tmp_path, mode="asgi")
    client = collector.client
    first = {"model": "acme-x", "input_usd_per_mtok": 1, "output_usd_per_mtok": 1, "effective_from": "2025-01-01"}
    assert client.post("/api/v1/rates", json=first).status_code == 201
    spans = [_span("00000000000000a1", "acme-x-alias", JUNE), _span("00000000000000a2", "acme-x-alias", DECEMBER)]
    body = json.dumps(otlp_json_request(spans)).encode()
    assert client.post("/v1/traces", content=body, headers={"content-type": "application/json"}).status_code == 200
    second = {**first, "input_usd_per_mtok": 2, "effective_from": "2025-11-01", "aliases": ["acme-x-alias"]}

    preview = client.post("/api/v1/rates", params={"dry_run": "true"}, json=second).json()
    assert (preview["rows"], preview["unpriced_rows"], preview["new_cost_usd"]) == (2, 2, "3")

    applied = client.post("/api/v1/rates", json=second)
    assert applied.status_code == 201
    assert (applied.json()["rows"], applied.json()["new_cost_usd"]) == (2, "3")
    rows = {r["span_id"]: r for r in client.get("/api/v1/calls").json()["rows"]}
    assert (rows["00000000000000a1"]["card_id"], rows["00000000000000a1"]["cost_usd"]) == ("acme-x@2025-01-01", "1")
    assert (rows["00000000000000a2"]["card_id"], rows["00000000000000a2"]["cost_usd"]) == ("acme-x@2025-11-01", "2")
    assert not any(r["pricing_unknown"] for r in rows.values())
    assert client.get("/api/v1/review").json()["models"] == []
    audits = client.get("/api/v1/repricings").json()["repricings"]
    assert [(a["card_id"], a["rows"], a["new_cost_usd"]) for a in audits] == [
        ("acme-x@2025-01-01", 1, "1"),  # newest first: the earlier card's audit for the new alias
        ("acme-x@2025-11-01", 1, "2"),
        ("acme-x@2025-01-01", 0, "0"),
    ]
    assert "acme-x-alias" in audits[0]["note"]

"""An estimated row names no card: `card_id` is null when `pricing_unknown`, so no card's figures mix estimates in."""

from __future__ import annotations

import json

import duckdb
import pytest
from helpers.otlp import otlp_json_request, otlp_json_span

pytestmark = pytest.mark.conformance  # runs on every store (tests/plugins/collector.py)

JSON = {"content-type": "application/json"}
UNKNOWN = {
    "gen_ai.operation.name": "chat",
    "gen_ai.request.model": "mystery-model-9",
    "gen_ai.usage.input_tokens": 1000,
}
HAIKU = {**UNKNOWN, "gen_ai.request.model": "claude-haiku-4-5"}


def test_an_estimated_row_stores_no_card_id_and_a_priced_one_does(start_collector, tmp_path):
    collector = start_collector(tmp_path, mode="asgi")
    spans = [otlp_json_span("00000000000000f1", UNKNOWN), otlp_json_span("00000000000000f2", HAIKU)]
    body = json.dumps(otlp_json_request(spans)).encode()
    assert collector.client.post("/v1/traces", content=body, headers=JSON).status_code == 200
    rows = {r["span_id"]: r for r in collector.client.get("/api/v1/calls").json()["rows"]}
    estimated, priced = rows["00000000000000f1"], rows["00000000000000f2"]
    assert estimated["pricing_unknown"] is True and estimated["card_id"] is None
    assert estimated["cost_usd"] == "0.001"  # the estimate is kept, at the default model's rates
    assert priced["pricing_unknown"] is False and priced["card_id"] == "claude-haiku-4-5@2023-01-01"
    # A card for the model prices the row and names the card.
    card = {"model": "mystery-model-9", "input_usd_per_mtok": 2, "output_usd_per_mtok": 4}
    card["effective_from"] = "2025-01-01"
    assert collector.client.post("/api/v1/rates", json=card).status_code == 201
    (row,) = collector.client.get("/api/v1/calls", params={"model": "mystery-model-9"}).json()["rows"]
    assert (row["card_id"], row["cost_usd"], row["pricing_unknown"]) == ("mystery-model-9@2025-01-01", "0.002", False)


@pytest.mark.duckdb_only("a DuckDB migration of rows stored before it")
def test_rows_estimated_before_are_cleared_by_a_migration(start_collector, tmp_path):
    from collector.store import Store

    store = Store.open(tmp_path / "tokenledger.duckdb")
    store._con.execute(
        """
        INSERT INTO calls (trace_id, span_id, start_time, end_time, duration_ms, model, input_tokens, output_tokens,
            cache_read_tokens, cache_write_tokens, reasoning_tokens, cost_usd, pricing_unknown, card_id, status,
            streaming, attribution_score, ingested_at)
        VALUES ('t', 's1', TIMESTAMPTZ '2025-11-26 00:00:00+00', TIMESTAMPTZ '2025-11-26 00:00:01+00', 1000, 'x', 1, 0,
            0, 0, 0, 1, true, 'claude-haiku-4-5@2023-01-01', 'ok', false, 0, now())
        """
    )
    store._con.execute("DELETE FROM _migrations WHERE name = 'm004_estimates_name_no_card'")
    store.close()
    collector = start_collector(tmp_path, mode="asgi")
    collector.stop()
    con = duckdb.connect(str(tmp_path / "tokenledger.duckdb"))
    try:
        assert con.execute("SELECT card_id FROM calls").fetchall() == [(None,)]
    finally:
        con.close()

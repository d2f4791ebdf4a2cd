"""Cards seeded at start-up reprice history like a card from the API (audited); a changed shipped card is reported."""

from __future__ import annotations

import duckdb
from fastapi.testclient import TestClient
from helpers.otlp import otlp_json_request, otlp_json_span

from collector import Settings, Store, create_app
from collector.store._migrations import migrate

OPUS = {
    "gen_ai.operation.name": "chat",
    "gen_ai.request.model": "claude-opus-4-1",
    "gen_ai.usage.input_tokens": 1_000_000,
    "gen_ai.usage.output_tokens": 0,
}


def _store_without(path, model: str) -> Store:
    """A store on `path` whose rate_cards lack `model` (a file from before that card shipped), not re-seeded."""
    Store.open(path).close()
    con = duckdb.connect(str(path))
    con.execute("SET GLOBAL TimeZone = 'UTC'")
    migrate(con)
    con.execute("DELETE FROM rate_cards WHERE model = ?", [model])
    return Store(con, str(path))


def test_a_card_seeded_at_start_reprices_stored_rows_with_an_audit_row(start_collector, tmp_path):
    path = tmp_path / "tokenledger.duckdb"
    store = _store_without(path, "claude-opus-4-1")
    app = create_app(Settings(db_path=path), store=store)
    with TestClient(app) as client:
        response = client.post("/v1/traces", json=otlp_json_request([otlp_json_span("00000000000000a1", OPUS)]))
        assert response.status_code == 200
        (row,) = client.get("/api/v1/calls").json()["rows"]
        assert row["pricing_unknown"] is True
        # Estimated at the genai-prices snapshot's price of the model (issue 17 item 5), not at haiku rates.
        assert row["estimate_source"] == "genai-prices 0.2.3 snapshot (model claude-opus-4-1)"
    store.close()

    collector = start_collector(tmp_path, mode="asgi")  # starting on the file (Store.open, as the CLI) seeds the card
    (row,) = collector.client.get("/api/v1/calls").json()["rows"]
    assert row["pricing_unknown"] is False
    assert row["card_id"] == "claude-opus-4-1@2023-01-01" and row["estimate_source"] is None
    assert row["cost_usd"] == "15"
    assert collector.client.get("/api/v1/review").json()["models"] == []
    audits = collector.client.get("/api/v1/repricings").json()["repricings"]
    assert [(a["card_id"], a["rows"], a["old_cost_usd"], a["new_cost_usd"], a["note"]) for a in audits] == [
        ("claude-opus-4-1@2023-01-01", 1, "15", "15", "seeded from rates/cards.toml")
    ]
    collector.restart()  # nothing left to seed: no second audit row
    assert len(collector.client.get("/api/v1/repricings").json()["repricings"]) == 1


def test_a_shipped_card_that_differs_from_the_stored_one_is_logged_and_the_stored_one_kept(start_collector, tmp_path):
    path = tmp_path / "tokenledger.duckdb"
    Store.open(path).close()
    con = duckdb.connect(str(path))
    con.execute("UPDATE rate_cards SET input_usd_per_mtok = 99 WHERE model = 'claude-opus-4-1'")
    con.close()
    collector = start_collector(tmp_path, mode="asgi")  # logs(): the collector's log records
    cards = collector.client.get("/api/v1/rates").json()["cards"]
    (opus,) = [c for c in cards if c["model"] == "claude-opus-4-1"]
    assert opus["input_usd_per_mtok"] == "99"
    logs = collector.logs()
    assert "claude-opus-4-1@2023-01-01" in logs and "differs from the stored card" in logs
    assert collector.client.get("/api/v1/repricings").json()["repricings"] == []

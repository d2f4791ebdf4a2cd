"""Issue 17 migrations (m007-m011) on a database written before them: rows and cards keep their figures."""

from __future__ import annotations

from datetime import UTC, datetime

import duckdb

from collector.store._migrations import MIGRATIONS, migrate


def test_the_pricing_migrations_upgrade_a_populated_database(tmp_path):
    con = duckdb.connect(str(tmp_path / "old.duckdb"))
    con.execute("SET GLOBAL TimeZone = 'UTC'")
    con.execute("CREATE TABLE _migrations (name VARCHAR PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL)")
    now = datetime(2026, 1, 1, tzinfo=UTC)
    for step in MIGRATIONS[:4]:  # the schema as shipped before issue 17
        step(con)
        con.execute("INSERT INTO _migrations VALUES (?, ?)", [step.__name__, now])
    con.execute(
        """INSERT INTO calls (trace_id, span_id, start_time, end_time, duration_ms, model, input_tokens, output_tokens,
           cache_read_tokens, cache_write_tokens, reasoning_tokens, cost_usd, pricing_unknown, card_id, status,
           streaming, attribution_score, ingested_at)
           VALUES ('t1', 's1', ?, ?, 1, 'claude-haiku-4-5', 10, 1, 0, 5, 0, 0.5, false, 'claude-haiku-4-5@2023-01-01',
                   'ok', false, 0, ?),
                  ('t2', 's2', ?, ?, 1, 'acme', 10, 1, 0, 0, 0, 0.25, true, NULL, 'ok', false, 0, ?)""",
        [now] * 6,
    )
    con.execute(
        """INSERT INTO rate_cards (model, effective_from, aliases, input_usd_per_mtok, output_usd_per_mtok,
           cache_read_usd_per_mtok, cache_write_usd_per_mtok, long_context_above_input_tokens,
           long_context_cache_write_usd_per_mtok, source, note, origin, created_at)
           VALUES ('acme', ?, [], 1, 2, 0.1, 1.25, 1000, 2.5, 's', '', 'api', ?)""",
        [now, now],
    )
    applied = migrate(con)
    assert applied == [  # the finance migrations of issue 14 run too (m005, m006), then issue 17's
        "m005_budgets_and_alerts",
        "m006_attribution",
        "m007_pricing_cache_write_1h",
        "m008_pricing_card_model",
        "m009_pricing_service_tiers",
        "m010_pricing_estimate_source",
        "m011_pricing_web_search",
        "m012_reconciliation_provider_reports",
    ]
    rows = con.execute(
        """SELECT span_id, cost_usd, cache_write_1h_tokens, card_model, service_tier, estimate_source,
           web_search_requests, web_search_cost_usd FROM calls ORDER BY span_id"""
    ).fetchall()
    assert [r[1:] for r in rows] == [
        (0.5, 0, "claude-haiku-4-5", None, None, 0, 0),
        (0.25, 0, None, None, "default: claude-haiku-4-5-20251001 rates", 0, 0),
    ]
    card = con.execute(
        """SELECT cache_write_1h_usd_per_mtok, long_context_cache_write_1h_usd_per_mtok, service_tiers,
           web_search_usd_per_kcount FROM rate_cards"""
    ).fetchone()
    assert card == (1.25, 2.5, "{}", None)  # priced as before: 1-hour writes at the cache-write rate


def test_a_seeded_card_without_the_new_prices_follows_the_shipped_file_and_reprices(start_collector, tmp_path):
    from helpers.otlp import otlp_json_request, otlp_json_span

    from tokenledger import contract as t

    path = tmp_path / "tokenledger.duckdb"
    collector = start_collector(tmp_path, mode="asgi")
    attrs = {"gen_ai.operation.name": "chat", "gen_ai.request.model": "claude-sonnet-4-5",
             "gen_ai.usage.input_tokens": 120_000, "gen_ai.usage.output_tokens": 1_000,
             "gen_ai.usage.cache_creation.input_tokens": 100_000, t.CACHE_WRITE_1H_TOKENS: 100_000}  # fmt: skip
    span = otlp_json_span("00000000000000a1", attrs, start_ns=1_793_491_200_000_000_000)  # 2026-11-01
    assert collector.client.post("/v1/traces", json=otlp_json_request([span])).status_code == 200
    collector.stop()
    # What the migrations leave on a database seeded before issue 17, and the call priced with it then.
    con = duckdb.connect(str(path))
    con.execute(
        """UPDATE rate_cards SET cache_write_1h_usd_per_mtok = cache_write_usd_per_mtok,
           long_context_cache_write_1h_usd_per_mtok = long_context_cache_write_usd_per_mtok, service_tiers = '{}',
           web_search_usd_per_kcount = NULL WHERE model = 'claude-sonnet-4-5'"""
    )
    con.execute("UPDATE calls SET cost_usd = 0.45")
    con.close()
    collector.start()
    (row,) = collector.client.get("/api/v1/calls").json()["rows"]
    assert row["cost_usd"] == "0.675"  # 1-hour writes at 2x input, as genai-prices bills them
    cards = [c for c in collector.client.get("/api/v1/rates").json()["cards"] if c["model"] == "claude-sonnet-4-5"]
    assert all(c["cache_write_1h_usd_per_mtok"] == "6" and c["web_search_usd_per_kcount"] == "10" for c in cards)
    audits = collector.client.get("/api/v1/repricings").json()["repricings"]
    assert [(a["old_cost_usd"], a["new_cost_usd"]) for a in audits] == [("0.45", "0.675")]
    assert "1-hour cache-write" in audits[0]["note"]

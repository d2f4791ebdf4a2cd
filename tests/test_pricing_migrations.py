"""Issue 17 migrations (m005-m009) on a database written before them: rows and cards keep their figures."""

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
    assert applied == [
        "m005_pricing_cache_write_1h",
        "m006_pricing_card_model",
        "m007_pricing_service_tiers",
        "m008_pricing_estimate_source",
        "m009_pricing_web_search",
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

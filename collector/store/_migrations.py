"""DuckDB schema as an ordered list of small named migrations, each recorded in `_migrations` once applied.

Add a migration by appending a new function; never edit one that has shipped.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import duckdb

Migration = Callable[[duckdb.DuckDBPyConnection], None]
MIGRATIONS: list[Migration] = []
migration = MIGRATIONS.append

MONEY = "DECIMAL(38, 12)"
"""USD amounts and USD-per-million-token rates: exact, 12 decimal places."""


@migration
def m001_calls(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(
        f"""
        CREATE TABLE calls (
            trace_id VARCHAR NOT NULL,
            span_id VARCHAR NOT NULL,
            response_id VARCHAR,
            start_time TIMESTAMPTZ NOT NULL,
            end_time TIMESTAMPTZ NOT NULL,
            duration_ms DOUBLE NOT NULL,
            service VARCHAR,
            environment VARCHAR,
            layer VARCHAR,
            provider VARCHAR,
            request_model VARCHAR,
            model VARCHAR,
            input_tokens BIGINT NOT NULL,
            output_tokens BIGINT NOT NULL,
            cache_read_tokens BIGINT NOT NULL,
            cache_write_tokens BIGINT NOT NULL,
            reasoning_tokens BIGINT NOT NULL,
            cost_usd {MONEY} NOT NULL,
            pricing_unknown BOOLEAN NOT NULL,
            card_id VARCHAR,
            reported_cost_usd {MONEY},
            reported_cost_source VARCHAR,
            status VARCHAR NOT NULL,
            error_type VARCHAR,
            streaming BOOLEAN NOT NULL,
            ttft_ms DOUBLE,
            requested_model VARCHAR,
            operation VARCHAR,
            span_name VARCHAR,
            scope_name VARCHAR,
            scope_version VARCHAR,
            attribution_score INTEGER NOT NULL,
            ingested_at TIMESTAMPTZ NOT NULL,
            PRIMARY KEY (trace_id, span_id)
        )
        """
    )


@migration
def m002_rate_cards(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(
        f"""
        CREATE TABLE rate_cards (
            model VARCHAR NOT NULL,
            effective_from TIMESTAMPTZ NOT NULL,
            provider VARCHAR,
            aliases VARCHAR[] NOT NULL,
            input_usd_per_mtok {MONEY} NOT NULL,
            output_usd_per_mtok {MONEY} NOT NULL,
            cache_read_usd_per_mtok {MONEY} NOT NULL,
            cache_write_usd_per_mtok {MONEY} NOT NULL,
            long_context_above_input_tokens BIGINT,
            long_context_input_usd_per_mtok {MONEY},
            long_context_output_usd_per_mtok {MONEY},
            long_context_cache_read_usd_per_mtok {MONEY},
            long_context_cache_write_usd_per_mtok {MONEY},
            source VARCHAR NOT NULL,
            note VARCHAR NOT NULL,
            origin VARCHAR NOT NULL,
            created_at TIMESTAMPTZ NOT NULL,
            PRIMARY KEY (model, effective_from)
        )
        """
    )


@migration
def m003_repricings(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("CREATE SEQUENCE repricing_ids START 1")
    con.execute(
        f"""
        CREATE TABLE repricings (
            id BIGINT PRIMARY KEY DEFAULT nextval('repricing_ids'),
            repriced_at TIMESTAMPTZ NOT NULL,
            model VARCHAR NOT NULL,
            card_id VARCHAR NOT NULL,
            effective_from TIMESTAMPTZ NOT NULL,
            rows BIGINT NOT NULL,
            old_cost_usd {MONEY} NOT NULL,
            new_cost_usd {MONEY} NOT NULL,
            note VARCHAR NOT NULL
        )
        """
    )


@migration
def m004_estimates_name_no_card(con: duckdb.DuckDBPyConnection) -> None:
    # Estimated rows used to carry the default model's card_id, mixing estimates into that card's figures.
    con.execute("UPDATE calls SET card_id = NULL WHERE pricing_unknown")


@migration
def m005_budgets_and_alerts(con: duckdb.DuckDBPyConnection) -> None:
    # scope: the read filter as JSON ({"layer": ["analysis"]}); thresholds: fractions of the amount.
    con.execute("CREATE SEQUENCE budget_ids START 1")
    con.execute(
        f"""
        CREATE TABLE budgets (
            id BIGINT PRIMARY KEY DEFAULT nextval('budget_ids'),
            name VARCHAR NOT NULL,
            amount_usd {MONEY} NOT NULL,
            period VARCHAR NOT NULL,
            scope VARCHAR NOT NULL,
            thresholds DECIMAL(12, 6)[] NOT NULL,
            created_at TIMESTAMPTZ NOT NULL
        )
        """
    )
    # One alert per budget, kind (spend threshold or forecast), threshold and period: the key that keeps a restart
    # (or two evaluations racing) from alerting twice. Alerts outlive their budget (the name is copied).
    con.execute("CREATE SEQUENCE alert_ids START 1")
    con.execute(
        f"""
        CREATE TABLE alerts (
            id BIGINT PRIMARY KEY DEFAULT nextval('alert_ids'),
            budget_id BIGINT NOT NULL,
            budget_name VARCHAR NOT NULL,
            kind VARCHAR NOT NULL,
            threshold DECIMAL(12, 6) NOT NULL,
            period VARCHAR NOT NULL,
            period_start TIMESTAMPTZ NOT NULL,
            period_end TIMESTAMPTZ NOT NULL,
            amount_usd {MONEY} NOT NULL,
            spent_usd {MONEY} NOT NULL,
            forecast_usd {MONEY} NOT NULL,
            created_at TIMESTAMPTZ NOT NULL,
            webhook VARCHAR NOT NULL,
            attempts INTEGER NOT NULL,
            delivered_at TIMESTAMPTZ,
            last_error VARCHAR,
            UNIQUE (budget_id, kind, threshold, period_start)
        )
        """
    )


@migration
def m006_attribution(con: duckdb.DuckDBPyConnection) -> None:
    # Who a call is charged to. Rows stored before have NULL, which the reads show as "unattributed".
    for column in ("team", "cost_center", "customer", "feature", "conversation_id"):
        con.execute(f"ALTER TABLE calls ADD COLUMN {column} VARCHAR")


@migration
def m007_pricing_cache_write_1h(con: duckdb.DuckDBPyConnection) -> None:
    # Issue 17 item 1: 1-hour cache writes. A stored card keeps its old price (1-hour writes at the cache-write
    # rate) until a new card says otherwise; stored calls had no 1-hour count, so 0 is what they were priced with.
    con.execute("ALTER TABLE calls ADD COLUMN cache_write_1h_tokens BIGINT NOT NULL DEFAULT 0")
    con.execute(f"ALTER TABLE rate_cards ADD COLUMN cache_write_1h_usd_per_mtok {MONEY}")
    con.execute("UPDATE rate_cards SET cache_write_1h_usd_per_mtok = cache_write_usd_per_mtok")
    con.execute(f"ALTER TABLE rate_cards ADD COLUMN long_context_cache_write_1h_usd_per_mtok {MONEY}")
    con.execute(
        "UPDATE rate_cards SET long_context_cache_write_1h_usd_per_mtok = long_context_cache_write_usd_per_mtok"
    )


@migration
def m008_pricing_card_model(con: duckdb.DuckDBPyConnection) -> None:
    # Issue 17 item 4: the card's model beside the name as sent, so spend by model groups a model's name variants.
    con.execute("ALTER TABLE calls ADD COLUMN card_model VARCHAR")
    con.execute("UPDATE calls SET card_model = regexp_extract(card_id, '^(.*)@', 1) WHERE card_id IS NOT NULL")


@migration
def m009_pricing_service_tiers(con: duckdb.DuckDBPyConnection) -> None:
    # Issue 17 item 2: the call's service tier (standard, batch, priority, flex, fast) and each card's multipliers,
    # as JSON text {"batch": "0.5"} (decimal strings: exact). Stored calls had no tier: standard, as they were priced.
    con.execute("ALTER TABLE calls ADD COLUMN service_tier VARCHAR")
    con.execute("ALTER TABLE rate_cards ADD COLUMN service_tiers VARCHAR NOT NULL DEFAULT '{}'")


@migration
def m010_pricing_estimate_source(con: duckdb.DuckDBPyConnection) -> None:
    # Issue 17 item 5: what an estimate's rates are. Stored estimates were all at the default model's rates.
    con.execute("ALTER TABLE calls ADD COLUMN estimate_source VARCHAR")
    con.execute("UPDATE calls SET estimate_source = 'default: claude-haiku-4-5-20251001 rates' WHERE pricing_unknown")


@migration
def m011_pricing_web_search(con: duckdb.DuckDBPyConnection) -> None:
    # Issue 17 item 3: server-side web searches, billed per search apart from tokens. Stored calls ran none known.
    con.execute("ALTER TABLE calls ADD COLUMN web_search_requests BIGINT NOT NULL DEFAULT 0")
    con.execute(f"ALTER TABLE calls ADD COLUMN web_search_cost_usd {MONEY} DEFAULT 0")
    con.execute(f"ALTER TABLE rate_cards ADD COLUMN web_search_usd_per_kcount {MONEY}")


@migration
def m012_reconciliation_provider_reports(con: duckdb.DuckDBPyConnection) -> None:
    # Issue 16: the providers' own usage and cost per day and model (imported files, fetched reports). A figure the
    # provider did not give is NULL (unknown), never 0. One row per (provider, day, model): a new report replaces.
    con.execute(
        f"""
        CREATE TABLE provider_reports (
            provider VARCHAR NOT NULL,
            day DATE NOT NULL,
            model VARCHAR NOT NULL,
            input_tokens BIGINT,
            output_tokens BIGINT,
            cache_read_tokens BIGINT,
            cache_write_tokens BIGINT,
            cost_usd {MONEY},
            service_tiers VARCHAR,
            source VARCHAR NOT NULL,
            imported_at TIMESTAMPTZ NOT NULL,
            PRIMARY KEY (provider, day, model)
        )
        """
    )


def migrate(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Apply the migrations not yet recorded, each in its own transaction. Returns the names applied."""
    con.execute("CREATE TABLE IF NOT EXISTS _migrations (name VARCHAR PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL)")
    done = {name for (name,) in con.execute("SELECT name FROM _migrations").fetchall()}
    applied = []
    for step in MIGRATIONS:
        if step.__name__ in done:
            continue
        con.begin()
        try:
            step(con)
            con.execute("INSERT INTO _migrations VALUES (?, ?)", [step.__name__, datetime.now(UTC)])
            con.commit()
        except BaseException:
            con.rollback()
            raise
        applied.append(step.__name__)
    return applied

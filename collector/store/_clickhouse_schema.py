"""ClickHouse schema as an ordered list of small named migrations, recorded in `_migrations` once applied.

Several collector replicas may start at once against one database: every migration is idempotent (`IF NOT
EXISTS` everywhere), so two replicas applying the same one both succeed and leave one schema, and `_migrations`
(a ReplacingMergeTree keyed by name) keeps one row per name however many recorded it. Add a migration by appending;
never edit one that has shipped. On a cluster, `cluster` puts `ON CLUSTER` on each DDL and the tables become
`ReplicatedMergeTree` variants (docs/deploy.md).

Dedupe: uniqueness is eventual on ClickHouse (ReplacingMergeTree collapses rows of one key at merge time), so reads
are exact by reading `FINAL`. A call's key is its response id when it has one, else (trace_id, span_id):
`call_key`. `_version` chooses the surviving copy: the richer attribution wins, then the earliest stored (as on
DuckDB: exporters retry, and order of arrival must not flip the answer), then the latest repricing revision.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

Run = Callable[..., None]
"""`run(sql, parameters=None)`: one statement, parameters by name (`{name:Type}`)."""
MIGRATIONS: list[Callable[[Run, str], None]] = []
migration = MIGRATIONS.append

MONEY = "Decimal(38, 12)"
TIME = "DateTime64(6, 'UTC')"
LOW = "LowCardinality(Nullable(String))"

_SCORE_SHIFT, _ARRIVAL_SHIFT = 56, 12
_ARRIVAL_MAX = (1 << 44) - 1
REVISION_MAX = (1 << _ARRIVAL_SHIFT) - 1


def call_version(attribution_score: int, ingested_at: datetime) -> int:
    """`_version` of a newly stored copy: attribution score (8 bits), then arrival (earlier is larger: 44 bits of
    milliseconds, 557 years), then the repricing revision (12 bits; 0 here, +1 per repricing of the row)."""
    score = max(0, min(int(attribution_score), 255))
    arrival = _ARRIVAL_MAX - int(ingested_at.timestamp() * 1000)
    return (score << _SCORE_SHIFT) | (arrival << _ARRIVAL_SHIFT)


def engine(kind: str, version: str, cluster: str) -> str:
    """The table engine: `kind`MergeTree(version), replicated on a cluster (the path macros set per server)."""
    if not cluster:
        return f"{kind}MergeTree({version})"
    path = "'/clickhouse/tables/{shard}/{database}/{table}'"
    args = ", ".join([path, "'{replica}'", *([version] if version else [])])
    return f"Replicated{kind}MergeTree({args})"


def _on(cluster: str) -> str:
    return f" ON CLUSTER '{cluster}'" if cluster else ""


@migration
def m001_calls(run: Run, cluster: str) -> None:
    low = LOW
    run(
        f"""
        CREATE TABLE IF NOT EXISTS calls{_on(cluster)} (
            call_key String,
            trace_id String, span_id String, response_id Nullable(String),
            start_time {TIME}, end_time {TIME}, duration_ms Float64,
            service {low}, environment {low}, layer {low}, provider {low}, request_model {low}, model {low},
            input_tokens Int64, output_tokens Int64, cache_read_tokens Int64, cache_write_tokens Int64,
            reasoning_tokens Int64,
            cost_usd {MONEY}, pricing_unknown Bool, card_id {low},
            reported_cost_usd Nullable({MONEY}), reported_cost_source {low},
            status LowCardinality(String), error_type {low}, streaming Bool, ttft_ms Nullable(Float64),
            requested_model {low}, operation {low}, span_name Nullable(String), scope_name {low},
            scope_version {low}, attribution_score Int32, ingested_at {TIME},
            team {low}, cost_center {low}, customer {low}, feature {low}, conversation_id Nullable(String),
            cache_write_1h_tokens Int64 DEFAULT 0, card_model {low}, service_tier {low}, estimate_source {low},
            web_search_requests Int64 DEFAULT 0, web_search_cost_usd Nullable({MONEY}),
            _version UInt64
        ) ENGINE = {engine("Replacing", "_version", cluster)}
        ORDER BY call_key
        """
    )


@migration
def m002_rate_cards(run: Run, cluster: str) -> None:
    tiers = ", ".join(
        f"{prefix}{name} {kind}"
        for prefix, kind in (("", MONEY), ("long_context_", f"Nullable({MONEY})"))
        for name in (
            "input_usd_per_mtok", "output_usd_per_mtok", "cache_read_usd_per_mtok", "cache_write_usd_per_mtok",
            "cache_write_1h_usd_per_mtok",
        )
    )  # fmt: skip
    run(
        f"""
        CREATE TABLE IF NOT EXISTS rate_cards{_on(cluster)} (
            model String, effective_from {TIME}, provider Nullable(String), aliases Array(String),
            {tiers}, long_context_above_input_tokens Nullable(Int64),
            service_tiers String, web_search_usd_per_kcount Nullable({MONEY}),
            source String, note String, origin String, created_at {TIME},
            _version UInt64
        ) ENGINE = {engine("Replacing", "_version", cluster)}
        ORDER BY (model, effective_from)
        """
    )


@migration
def m003_repricings(run: Run, cluster: str) -> None:
    # _version: the first audit row of an id wins (seeding replicas racing write the same id; see _clickhouse_con).
    run(
        f"""
        CREATE TABLE IF NOT EXISTS repricings{_on(cluster)} (
            id Int64, repriced_at {TIME}, model String, card_id String, effective_from {TIME}, rows Int64,
            old_cost_usd {MONEY}, new_cost_usd {MONEY}, note String, _version UInt64
        ) ENGINE = {engine("Replacing", "_version", cluster)}
        ORDER BY id
        """
    )


@migration
def m004_budgets_and_alerts(run: Run, cluster: str) -> None:
    from ._clickhouse_budgets import create  # its module holds the rest of what budgets are on ClickHouse

    create(run, cluster)


@migration
def m005_provider_reports(run: Run, cluster: str) -> None:
    from ._clickhouse_reports import create  # reconciliation's table, beside its ClickHouse statements

    create(run, cluster)


def migrate(run: Run, query: Callable[[str], list[tuple]], cluster: str = "") -> list[str]:
    """Apply the migrations not yet recorded (each idempotent, so concurrent replicas may both apply one)."""
    run(
        f"CREATE TABLE IF NOT EXISTS _migrations{_on(cluster)} (name String, applied_at {TIME}) "
        f"ENGINE = {engine('Replacing', '', cluster)} ORDER BY name"
    )
    done = {name for (name,) in query("SELECT name FROM _migrations FINAL")}
    applied = []
    for step in MIGRATIONS:
        if step.__name__ in done:
            continue
        step(run, cluster)
        run(
            f"INSERT INTO _migrations (name, applied_at) SELECT {{name:String}}, {{at:{TIME}}}",
            {"name": step.__name__, "at": datetime.now(UTC)},
        )
        applied.append(step.__name__)
    return applied

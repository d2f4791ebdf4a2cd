"""Store benchmark: the same load on DuckDB and on embedded ClickHouse (chdb), in the same run.

    .venv/bin/python bench/stores.py [--batches 40] [--batch-size 512] [--rows 1000000]

For each store, the real collector (`python -m tokenledger collector --db ...`): OTLP ingest throughput (1 and 4
clients, then the same batches replayed: the dedupe path), then read-API latency and repricing over `--rows`
synthetic calls (the same rows in both: `bench/ingest.py`'s fill, copied into ClickHouse). Prints figures; asserts
nothing. chdb is ClickHouse in the collector's process; a ClickHouse server is another process (or machine), so
its figures will differ. Needs the clickhouse extra (`make install-dev`).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._common import ROOT, median, start_collector, stop  # noqa: E402
from bench._load import make_request, send  # noqa: E402

READS = {
    "spend group_by=layer (json)": ("/api/v1/spend", {"group_by": "layer"}),
    "spend group_by=day,layer (arrow)": ("/api/v1/spend", {"group_by": "day,layer", "format": "arrow"}),
    "spend group_by=day,model,provider (json)": ("/api/v1/spend", {"group_by": "day,model,provider"}),
    "spend group_by=team,customer (json)": ("/api/v1/spend", {"group_by": "team,customer"}),
    "spend customer=acme by day (json)": ("/api/v1/spend", {"group_by": "day", "customer": "acme"}),
    "spend last 7 days by layer (json)": ("/api/v1/spend", {"group_by": "layer", "start": "2025-11-24"}),
    "latency group_by=layer": ("/api/v1/latency", {"group_by": "layer"}),
    "calls limit=100": ("/api/v1/calls", {"limit": 100}),
    "review": ("/api/v1/review", {}),
}
"""The reads of the BENCHMARKS.md table, on both stores."""

REPLAY_START_NS = 1_760_000_000_000_000_000


def fill(db: Path, rows: int) -> None:
    """Synthetic calls written straight into a new DuckDB file's `calls` table, every column named (the shape of
    `bench/ingest.py`'s fill: a third unpriced `mystery` calls, teams, customers, conversations)."""
    import duckdb

    from collector.store import Store

    Store.open(db).close()  # create and migrate
    con = duckdb.connect(str(db))
    con.execute(
        """
        INSERT INTO calls (trace_id, span_id, response_id, start_time, end_time, duration_ms, service, environment,
            layer, provider, request_model, model, input_tokens, output_tokens, cache_read_tokens, cache_write_tokens,
            reasoning_tokens, cost_usd, pricing_unknown, status, streaming, ttft_ms, operation, span_name,
            scope_name, attribution_score, ingested_at, team, cost_center, customer, conversation_id,
            cache_write_1h_tokens, web_search_requests, web_search_cost_usd, estimate_source)
        SELECT printf('%032x', i), printf('%016x', i), 'resp_' || i,
               TIMESTAMPTZ '2025-10-01 00:00:00+00' + to_seconds(i * 2.6),
               TIMESTAMPTZ '2025-10-01 00:00:00+00' + to_seconds(i * 2.6 + 1.5), 1500 + (i % 977),
               ['bff', 'backend'][1 + i % 2], 'prod', ['chat', 'analysis', 'drafts', 'agents'][1 + i % 4],
               ['anthropic', 'x_ai'][1 + i % 2], 'm',
               ['claude-haiku-4-5', 'grok-4-fast-reasoning', 'mystery'][1 + i % 3],
               1000 + i % 5000, 100 + i % 700, 0, 0, 0,
               ((1000 + i % 5000) * 1 + (100 + i % 700) * 5)::DECIMAL(38, 12) / 1000000, i % 3 = 2,
               CASE WHEN i % 50 = 0 THEN 'error' ELSE 'ok' END, i % 3 = 0, CASE WHEN i % 3 = 0 THEN 300 + i % 200 END,
               'chat', 'chat', 'bench', 0, TIMESTAMPTZ '2025-12-01 00:00:00+00',
               ['product', 'data-platform'][1 + i % 2], ['CC-100', 'CC-200'][1 + i % 2],
               ['acme', 'globex', 'initech', 'umbrella', NULL][1 + i % 5], 'conv-' || (i // 7), 0, 0, 0,
               CASE WHEN i % 3 = 2 THEN 'default' END
        FROM range(?) t(i)
        """,
        [rows],
    )
    con.close()


def copy_to_clickhouse(duck: Path, url: str) -> None:
    """The filled DuckDB `calls` rows into a ClickHouse store (run in a process of its own: chdb serves one data
    path per process, and the collector needs it next)."""
    import duckdb
    import pyarrow as pa
    import pyarrow.compute as pc

    from collector.store import open_store
    from collector.store._clickhouse import STORED_COLUMNS
    from collector.store._clickhouse_schema import call_version

    store = open_store(url)
    con = duckdb.connect(str(duck), read_only=True)
    try:
        table = con.sql("SELECT * FROM calls").to_arrow_table()
    finally:
        con.close()
    keys = pc.binary_join_element_wise("r:", table.column("response_id"), "")
    version = call_version(0, table.column("ingested_at")[0].as_py())
    table = table.append_column("call_key", keys).append_column("_version", pa.array([version] * table.num_rows,
                                                                                         pa.uint64()))  # fmt: skip
    table = table.select(list(STORED_COLUMNS))
    for offset in range(0, table.num_rows, 200_000):
        store._client.insert_arrow("calls", table.slice(offset, 200_000))
    store._client.insert_arrow("calls", table.slice(0, table.num_rows // 10))  # a tenth stored twice: replays
    measure_dedupe(store)
    store.close()


DEDUPE_READS = {
    "FINAL (what the store uses)": "SELECT layer, count(), sum(cost_usd) FROM calls FINAL GROUP BY layer",
    "argMax per call_key": (
        "SELECT layer, count(), sum(cost) FROM (SELECT call_key, argMax(layer, _version) AS layer, "
        "argMax(cost_usd, _version) AS cost FROM calls GROUP BY call_key) GROUP BY layer"
    ),
    "no dedupe (wrong: counts replays twice)": "SELECT layer, count(), sum(cost_usd) FROM calls GROUP BY layer",
}


def measure_dedupe(store) -> None:
    """Spend by layer read three ways over the unmerged parts (a tenth of the rows stored twice)."""
    for label, sql in DEDUPE_READS.items():
        times, rows = [], None
        for _ in range(5):
            began = time.perf_counter()
            rows = store._client.native_rows(sql)
            times.append((time.perf_counter() - began) * 1000)
        calls = sum(r[1] for r in rows or [])
        print(f"DEDUPE | spend by layer, {label} | {sorted(times)[2]:.1f} ms | {calls:,} calls", flush=True)


def _ingest(url: str, bodies: list[bytes], size: int, concurrency: int) -> float:
    """Spans/s acknowledged (a 200 is committed) for `bodies` sent from `concurrency` clients."""
    result = send(url + "/v1/traces", bodies, size, concurrency)
    return result.spans_acknowledged / result.elapsed_s


def _reads(url: str, repeats: int = 7) -> dict[str, float]:
    """Median milliseconds of each of `READS` (the synthetic calls of `fill` are in October-November 2025)."""
    times: dict[str, list[float]] = {}
    with httpx.Client(base_url=url, timeout=600) as client:
        for _ in range(repeats):
            for name, (path, params) in READS.items():
                began = time.perf_counter()
                client.get(path, params=params).raise_for_status()
                times.setdefault(name, []).append((time.perf_counter() - began) * 1000)
    return {name: median(ms) for name, ms in times.items()}


def run_store(name: str, db: str, args: argparse.Namespace, reads_db: str, duck_filled: Path) -> dict[str, str]:
    out: dict[str, str] = {}
    bodies = {  # distinct ids per run; the replay sends the 1-client bodies again
        concurrency: [make_request(b, args.batch_size, id_offset=concurrency * 10**9).SerializeToString()
                      for b in range(args.batches)]
        for concurrency in (1, 4)
    }  # fmt: skip
    process, url = start_collector(db)  # type: ignore[arg-type]
    try:
        for concurrency in (1, 4):
            rate = _ingest(url, bodies[concurrency], args.batch_size, concurrency)
            out[f"ingest, {args.batches} x {args.batch_size} spans, {concurrency} client(s)"] = f"{rate:,.0f} spans/s"
        rate = _ingest(url, bodies[1], args.batch_size, 1)  # all replays
        out[f"replay of the same {args.batches} x {args.batch_size} spans, 1 client"] = f"{rate:,.0f} spans/s"
        (row,) = httpx.get(url + "/api/v1/spend", params={"group_by": "none"}).json()["rows"]
        out["calls stored after ingest + replay"] = f"{row['calls']:,}"
    finally:
        stop(process)
    began = time.perf_counter()
    if name == "duckdb":
        fill(Path(reads_db), args.rows)
    else:
        code = "import sys; sys.path.insert(0, 'bench'); import stores; stores.copy_to_clickhouse(*sys.argv[1:])"
        subprocess.run([sys.executable, "-c", code, str(duck_filled), reads_db], cwd=ROOT, check=True)
    out[f"fill {args.rows:,} rows"] = f"{time.perf_counter() - began:.1f} s"
    process, url = start_collector(reads_db)  # type: ignore[arg-type]
    try:
        for label, ms in _reads(url).items():
            out[f"read: {label}"] = f"{ms:.1f} ms"
        card = {"model": "mystery", "input_usd_per_mtok": 2, "output_usd_per_mtok": 8, "effective_from": "2025-01-01"}
        for label, params in (("preview", {"dry_run": "true"}), ("apply", {})):
            began = time.perf_counter()
            answer = httpx.post(url + "/api/v1/rates", params=params, json=card, timeout=600).json()
            ms = (time.perf_counter() - began) * 1000
            out[f"rates: POST card {label} ({answer['rows']:,} rows)"] = f"{ms:.0f} ms"
        (row,) = httpx.get(url + "/api/v1/spend", params={"group_by": "none"}).json()["rows"]
        out["spend total after repricing"] = f"{row['cost_usd']} USD"
    finally:
        stop(process)
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batches", type=int, default=40)
    parser.add_argument("--batch-size", type=int, default=512)
    parser.add_argument("--rows", type=int, default=1_000_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        duck_reads = base / "reads.duckdb"
        results = {
            "duckdb": run_store("duckdb", str(base / "ingest.duckdb"), args, str(duck_reads), duck_reads),
            "chdb": run_store("chdb", f"chdb://{base}/ingest-ch", args, f"chdb://{base}/reads-ch", duck_reads),
        }
    print(f"| what ({args.rows:,} stored rows for reads) | DuckDB | chdb |")
    print("| --- | --- | --- |")
    for key in results["duckdb"]:
        print(f"| {key} | {results['duckdb'][key]} | {results['chdb'].get(key, '')} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())

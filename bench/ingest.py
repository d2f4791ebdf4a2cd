"""Collector benchmark: OTLP ingest throughput over HTTP, and read-API latency over a large table.

    .venv/bin/python bench/ingest.py [--batches 40] [--batch-size 512] [--rows 1000000]

Starts the real collector (`python -m tokenledger collector`) on a temporary DuckDB file. Prints figures; asserts
nothing (speed belongs here, not in tests). Record results in BENCHMARKS.md with the command and the machine.
"""

from __future__ import annotations

import argparse
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue

from tokenledger import contract as c

ROOT = Path(__file__).resolve().parent.parent
MODELS = ["claude-haiku-4-5", "claude-sonnet-4-5", "grok-4-fast-reasoning", "mystery-model-1"]
LAYERS = ["chat", "analysis", "drafts", "agents"]


def _kv(key, value) -> KeyValue:
    if isinstance(value, bool):
        return KeyValue(key=key, value=AnyValue(bool_value=value))
    if isinstance(value, int):
        return KeyValue(key=key, value=AnyValue(int_value=value))
    return KeyValue(key=key, value=AnyValue(string_value=value))


def make_batch(batch_index: int, size: int, start_ns: int, id_offset: int = 0) -> bytes:
    """One ExportTraceServiceRequest of `size` LLM spans shaped like our client's, as protobuf bytes."""
    rng = random.Random(batch_index)
    request = ExportTraceServiceRequest()
    resource_spans = request.resource_spans.add()
    resource_spans.resource.attributes.append(_kv(c.SERVICE, "bench"))
    scope_spans = resource_spans.scope_spans.add()
    scope_spans.scope.name = "tokenledger.llm"
    for i in range(size):
        span = scope_spans.spans.add()
        n = id_offset + batch_index * size + i
        span.trace_id = n.to_bytes(16, "big")
        span.span_id = (n + 1).to_bytes(8, "big")
        span.name = "chat"
        span.kind = 3
        span.start_time_unix_nano = start_ns + n * 1_000_000
        span.end_time_unix_nano = span.start_time_unix_nano + rng.randint(200, 5000) * 1_000_000
        model = MODELS[n % len(MODELS)]
        span.attributes.extend(
            [
                _kv(c.OPERATION, "chat"),
                _kv(c.PROVIDER, "anthropic" if model.startswith("claude") else "x_ai"),
                _kv(c.REQUEST_MODEL, model),
                _kv(c.RESPONSE_MODEL, model),
                _kv(c.RESPONSE_ID, f"msg_{n:012d}"),
                _kv(c.INPUT_TOKENS, rng.randint(500, 20000)),
                _kv(c.OUTPUT_TOKENS, rng.randint(50, 2000)),
                _kv(c.CACHE_READ_TOKENS, rng.randint(0, 400)),
                _kv(c.LAYER, LAYERS[n % len(LAYERS)]),
                _kv(c.COST_USD, "0.0123"),
                _kv(c.STREAMING, n % 3 == 0),
            ]
        )
    return request.SerializeToString()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start(db: Path) -> tuple[subprocess.Popen, str]:
    port = free_port()
    env = {**os.environ, "TOKENLEDGER_LOG_LEVEL": "warning"}
    command = [sys.executable, "-m", "tokenledger", "collector", "--db", str(db), "--port", str(port)]
    process = subprocess.Popen(command, cwd=ROOT, env=env)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(url + "/healthz", timeout=1).status_code == 200:
                return process, url
        except httpx.TransportError:
            time.sleep(0.1)
    process.kill()
    raise SystemExit("collector did not start")


OCT_2025_NS = 1_760_000_000_000_000_000


def bench_ingest(url: str, batches: int, size: int, concurrency: int, start_ns: int = OCT_2025_NS) -> float:
    bodies = [make_batch(b, size, start_ns, id_offset=concurrency * 10**9) for b in range(batches)]
    headers = {"content-type": "application/x-protobuf"}
    with httpx.Client(timeout=60) as client:

        def send(body: bytes) -> None:
            response = client.post(url + "/v1/traces", content=body, headers=headers)
            response.raise_for_status()

        began = time.perf_counter()
        with ThreadPoolExecutor(concurrency) as pool:
            list(pool.map(send, bodies))
        elapsed = time.perf_counter() - began
    return batches * size / elapsed


def fill(db: Path, rows: int) -> None:
    """Synthetic rows written straight into the calls table (the collector is not running yet)."""
    import duckdb

    from collector.store import Store

    Store.open(db).close()  # create and migrate
    con = duckdb.connect(str(db))
    con.execute(
        """
        INSERT INTO calls
        SELECT printf('%032x', i), printf('%016x', i), 'resp_' || i,
               TIMESTAMPTZ '2025-10-01 00:00:00+00' + to_seconds(i * 2.6),
               TIMESTAMPTZ '2025-10-01 00:00:00+00' + to_seconds(i * 2.6 + 1.5), 1500 + (i % 977),
               ['bff', 'backend'][1 + i % 2], 'prod', ['chat', 'analysis', 'drafts', 'agents'][1 + i % 4],
               ['anthropic', 'x_ai'][1 + i % 2], 'm',
               ['claude-haiku-4-5', 'grok-4-fast-reasoning', 'mystery'][1 + i % 3],
               1000 + i % 5000, 100 + i % 700, 0, 0, 0,
               ((1000 + i % 5000) * 1 + (100 + i % 700) * 5)::DECIMAL(38, 12) / 1000000, i % 3 = 2, NULL,
               NULL, NULL, CASE WHEN i % 50 = 0 THEN 'error' ELSE 'ok' END, NULL, i % 3 = 0,
               CASE WHEN i % 3 = 0 THEN 300 + i % 200 END, NULL, 'chat', 'chat', 'bench', NULL, 0, now(),
               ['product', 'data-platform'][1 + i % 2], ['CC-100', 'CC-200'][1 + i % 2],
               ['acme', 'globex', 'initech', 'umbrella', NULL][1 + i % 5], NULL, 'conv-' || (i // 7)
        FROM range(?) t(i)
        """,
        [rows],
    )
    con.close()


def bench_reads(url: str, repeats: int = 7) -> dict[str, float]:
    queries = {
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
    out = {}
    with httpx.Client(timeout=120) as client:
        for name, (path, params) in queries.items():
            times = []
            for _ in range(repeats):
                began = time.perf_counter()
                client.get(url + path, params=params).raise_for_status()
                times.append((time.perf_counter() - began) * 1000)
            out[name] = statistics.median(times)
    return out


def bench_finance(db: Path, budgets: int = 10) -> None:
    """Budget evaluation and the month-end forecast over the filled table, in process, "now" inside its month."""
    from datetime import UTC, datetime
    from decimal import Decimal

    from collector.alerts import evaluate
    from collector.projections import month_end_table
    from collector.store import CallFilter, Store

    now = datetime(2025, 10, 25, 12, tzinfo=UTC)
    store = Store.open(db)
    try:
        for i in range(budgets):
            scope = {"layer": [["chat", "analysis", "drafts", "agents"][i % 4]]} if i % 2 else {}
            store.add_budget(
                name=f"b{i}", amount_usd=Decimal(100 + i), period=["day", "week", "month"][i % 3],
                scope_json=__import__("json").dumps(scope), thresholds=[Decimal("0.5"), Decimal(1)], created_at=now,
            )  # fmt: skip
        for label in ("first (records alerts)", "again (nothing new)"):
            began = time.perf_counter()
            evaluate(store, now, webhook=False)
            print(f"budgets: evaluate {budgets} budgets, {label}: {(time.perf_counter() - began) * 1000:.0f} ms")
        for keys in ([], ["layer"], ["customer"]):
            began = time.perf_counter()
            month_end_table(store, keys, CallFilter(), now)
            ms = (time.perf_counter() - began) * 1000
            print(f"forecast: month end group_by={','.join(keys) or 'none'}: {ms:.0f} ms")
    finally:
        store.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batches", type=int, default=40)
    parser.add_argument("--batch-size", type=int, default=512)
    parser.add_argument("--rows", type=int, default=1_000_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "ingest.duckdb"
        process, url = start(db)
        try:
            for concurrency in (1, 4):
                rate = bench_ingest(url, args.batches, args.batch_size, concurrency)
                print(f"ingest: {args.batches} x {args.batch_size} spans, {concurrency} client(s): {rate:,.0f} spans/s")
        finally:
            process.terminate()
            process.wait(30)
        db = Path(tmp) / "reads.duckdb"
        began = time.perf_counter()
        fill(db, args.rows)
        print(f"filled {args.rows:,} rows in {time.perf_counter() - began:.1f} s")
        process, url = start(db)
        try:
            # 2025-10-20: inside the stored range, so the dedupe window overlaps stored rows.
            rate = bench_ingest(url, args.batches, args.batch_size, 1, start_ns=1_760_918_400_000_000_000)
            shape = f"{args.batches} x {args.batch_size} spans"
            print(f"ingest into {args.rows:,} stored rows: {shape}, 1 client: {rate:,.0f} spans/s")
            for name, ms in bench_reads(url).items():
                print(f"read: {name}: median {ms:.1f} ms over {args.rows:,} rows")
            card = {"model": "mystery", "input_usd_per_mtok": 2, "output_usd_per_mtok": 8}
            card["effective_from"] = "2025-01-01"
            for label, params in (("preview", {"dry_run": "true"}), ("apply", {})):
                began = time.perf_counter()
                answer = httpx.post(url + "/api/v1/rates", params=params, json=card, timeout=600).json()
                ms = (time.perf_counter() - began) * 1000
                print(f"rates: POST card {label}: {answer['rows']:,} rows repriced in {ms:.0f} ms")
        finally:
            process.terminate()
            process.wait(30)
        bench_finance(db)
    return 0


if __name__ == "__main__":
    sys.exit(main())

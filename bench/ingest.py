"""Ingest throughput: OTLP/HTTP into the real collector process, counted in the store afterwards.

    .venv/bin/python bench/ingest.py [--batches 160] [--batch-size 512] [--concurrency 4] [--json]

Starts `tokenledger collector` on a new DuckDB file, posts pre-encoded export requests (`bench/_load.py`) from
concurrent senders, then stops it and counts the rows in the file. Prints figures; asserts nothing (speed belongs
here, not in tests). `bench/run.py` runs it with the other figures for `make bench`.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._common import ROOT, load_average, peak_rss_mib, start_collector, stop
from bench._load import JSON, PROTOBUF, make_request, send, to_json

WARM_UP_ID_OFFSET = 10**12
"""Ids of the warm-up batch (sent first, not timed): far from the timed batches' ids."""


def encode(batches: int, size: int, kind: str) -> list[bytes]:
    """The timed bodies: `batches` requests of `size` spans in protobuf or OTLP JSON."""
    requests = (make_request(b, size) for b in range(batches))
    return [r.SerializeToString() if kind == PROTOBUF else to_json(r) for r in requests]


def count_rows(db: Path) -> int:
    import duckdb

    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute("SELECT count(*) FROM calls").fetchone()[0]


def bench_ingest(batches: int, size: int, concurrency: int, kind: str = PROTOBUF, root: Path = ROOT) -> dict:
    """One load run against a fresh collector: spans/s acknowledged and persisted, p50/p99 latency, peak RSS."""
    bodies = encode(batches, size, kind)
    warm_up = make_request(0, size, id_offset=WARM_UP_ID_OFFSET)
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "ingest.duckdb"
        process, url = start_collector(db, root)
        try:
            # One batch first: the first unknown model loads the genai-prices snapshot (~140 ms, once per process).
            warm = warm_up.SerializeToString() if kind == PROTOBUF else to_json(warm_up)
            send(url + "/v1/traces", [warm], size, 1, kind)
            load = load_average()
            result = send(url + "/v1/traces", bodies, size, concurrency, kind)
            rss = peak_rss_mib(process.pid)
        finally:
            stop(process)
        stored = count_rows(db) - size
    return {
        "kind": "protobuf" if kind == PROTOBUF else "json",
        "batches": batches,
        "batch_size": size,
        "concurrency": concurrency,
        **result.figures(),
        "persisted": stored,
        "persisted_per_s": stored / result.elapsed_s,
        "peak_rss_mib": rss,
        "load_average": load,
    }


def describe(figure: dict) -> str:
    return (
        f"ingest {figure['kind']}: {figure['batches']} x {figure['batch_size']} spans, "
        f"{figure['concurrency']} senders: {figure['persisted_per_s']:,.0f} spans/s persisted "
        f"({figure['persisted']:,} rows), {figure['acknowledged_per_s']:,.0f} acknowledged, "
        f"p50 {figure['p50_ms']:.0f} ms, p99 {figure['p99_ms']:.0f} ms, "
        f"statuses {figure['statuses']}, collector peak RSS {figure['peak_rss_mib']:.0f} MiB "
        f"(load average {figure['load_average']})"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batches", type=int, default=160)
    parser.add_argument("--batch-size", type=int, default=512)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--json", action="store_true", help="send OTLP JSON instead of protobuf")
    parser.add_argument("--root", type=Path, default=ROOT, help="run the collector of another checkout (baseline)")
    args = parser.parse_args()
    kind = JSON if args.json else PROTOBUF
    print(describe(bench_ingest(args.batches, args.batch_size, args.concurrency, kind, args.root)), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

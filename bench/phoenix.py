"""The same OTLP load against Arize Phoenix, for comparison: acknowledged and persisted spans/s.

    .venv/bin/python bench/phoenix.py [--batches 24] [--time-cap 60]

Installs `arize-phoenix` (PHOENIX_VERSION, from PyPI) into its own virtual environment under the bench's work folder
(.bench/phoenix-venv, kept between runs), runs `phoenix serve` on localhost with a new working directory (its
SQLite file), posts the same protobuf export requests as the tokenledger run to its OTLP/HTTP endpoint, and counts
the rows of its `spans` table until they stop growing. Phoenix is far slower, so it gets a smaller load and a time
cap (both printed). Phoenix accepts only protobuf on /v1/traces.
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._common import WORK, free_port, load_average, peak_rss_mib, stop, wait_http
from bench._load import PROTOBUF, make_batch, send

PHOENIX_VERSION = "20.26.1"
SETTLE_S = 15.0
"""Phoenix persists in the background: counting stops once the table has not grown for this long."""


def ensure_phoenix(work: Path = WORK) -> Path:
    """The `phoenix` command of a virtual environment with arize-phoenix PHOENIX_VERSION, installed once."""
    venv = work / "phoenix-venv"
    command = venv / "bin" / "phoenix"
    marker = venv / f".installed-{PHOENIX_VERSION}"
    if not marker.exists():
        print(f"phoenix: installing arize-phoenix=={PHOENIX_VERSION} into {venv} (once)...", flush=True)
        began = time.monotonic()
        subprocess.run([sys.executable, "-m", "venv", "--clear", str(venv)], check=True)
        pip = [str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
        subprocess.run([*pip, f"arize-phoenix=={PHOENIX_VERSION}"], check=True)
        marker.touch()
        print(f"phoenix: installed in {time.monotonic() - began:.0f} s", flush=True)
    return command


def _stored(db: Path) -> int:
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5) as con:
            return con.execute("SELECT count(*) FROM spans").fetchone()[0]
    except sqlite3.Error:  # not created yet, or busy
        return -1


def bench_phoenix(batches: int, size: int, concurrency: int, time_cap_s: float, work: Path = WORK) -> dict:
    """Phoenix under the load (capped): acknowledged and persisted spans/s, latency, peak RSS."""
    command = ensure_phoenix(work)
    bodies = [make_batch(b, size) for b in range(batches)]
    with tempfile.TemporaryDirectory() as tmp:
        port = free_port()
        env = {
            **os.environ, "PHOENIX_WORKING_DIR": tmp, "PHOENIX_PORT": str(port), "PHOENIX_HOST": "127.0.0.1",
            "PHOENIX_GRPC_PORT": str(free_port()), "PHOENIX_TELEMETRY_ENABLED": "false",
        }  # fmt: skip
        log = open(Path(tmp) / "phoenix.log", "wb")
        process = subprocess.Popen([str(command), "serve"], env=env, stdout=log, stderr=subprocess.STDOUT)
        url = f"http://127.0.0.1:{port}"
        try:
            wait_http(url + "/healthz", process, 180)
            load = load_average()
            began = time.perf_counter()
            result = send(url + "/v1/traces", bodies, size, concurrency, PROTOBUF, time_cap_s)
            db = Path(tmp) / "phoenix.db"
            stored, changed = 0, time.perf_counter()
            deadline = began + 2 * time_cap_s  # persistence gets as long again as the senders had
            while time.perf_counter() < deadline and stored < result.spans_acknowledged:
                time.sleep(0.5)
                now = _stored(db)  # -1 while the file is busy or not there yet: no news, not "nothing stored"
                if now > stored:
                    stored, changed = now, time.perf_counter()
                elif stored and time.perf_counter() - changed > SETTLE_S:
                    break
            rss = peak_rss_mib(process.pid)
        finally:
            stop(process)
            log.close()
    return {
        "batches_offered": batches,
        "batches_sent": len(result.latencies_ms),
        "batch_size": size,
        "concurrency": concurrency,
        "time_cap_s": time_cap_s,
        "capped": result.capped,
        **result.figures(),
        "persisted": stored,
        "persisted_per_s": stored / (changed - began),
        "peak_rss_mib": rss,
        "load_average": load,
    }


def describe(figure: dict) -> str:
    cap = f", stopped by the {figure['time_cap_s']:.0f} s cap" if figure["capped"] else ""
    return (
        f"phoenix {PHOENIX_VERSION}: {figure['batches_sent']} of {figure['batches_offered']} x {figure['batch_size']} "
        f"spans sent by {figure['concurrency']} senders{cap}: {figure['acknowledged_per_s']:,.0f} spans/s "
        f"acknowledged ({figure['acknowledged']:,}), {figure['persisted_per_s']:,.0f} spans/s persisted "
        f"({figure['persisted']:,} rows), p50 {figure['p50_ms']:.0f} ms, p99 {figure['p99_ms']:.0f} ms, statuses "
        f"{figure['statuses']}, peak RSS {figure['peak_rss_mib'] or 0:.0f} MiB (load average {figure['load_average']})"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batches", type=int, default=24)
    parser.add_argument("--batch-size", type=int, default=512)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--time-cap", type=float, default=60.0, help="seconds the senders may run")
    args = parser.parse_args()
    print(describe(bench_phoenix(args.batches, args.batch_size, args.concurrency, args.time_cap)), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

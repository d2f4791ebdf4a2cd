"""`make bench`: every figure of issue 12 in one run, and the table for BENCHMARKS.md.

    .venv/bin/python bench/run.py            # the full set (about 10-15 minutes on the 2-core session machine)
    .venv/bin/python bench/run.py --quick    # smaller loads and 1M rows only, for iteration

Runs, one after the other: ingest into tokenledger (protobuf, then OTLP JSON; 4 senders of 512-span batches),
the same protobuf load against Arize Phoenix (smaller and time-capped), the client overhead, and the read API
over 1M and 10M stored calls. Prints each figure as it comes (with the load average: the machine is shared),
then the Markdown table, also written to .bench/results.md with the raw figures in results.json.
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import client, ingest, phoenix, reads
from bench._common import WORK
from bench._load import JSON, PROTOBUF

FULL = {"pb_batches": 240, "json_batches": 80, "phoenix_batches": 24, "phoenix_cap_s": 60, "calls": 2000,
        "rows": (1_000_000, 10_000_000), "repeats": 5}  # fmt: skip
QUICK = {"pb_batches": 60, "json_batches": 20, "phoenix_batches": 8, "phoenix_cap_s": 30, "calls": 400,
         "rows": (1_000_000,), "repeats": 3}  # fmt: skip


def _ratio(ours: float, theirs: float | None) -> str:
    if not theirs:
        return "n/a"
    ratio = ours / theirs
    return f"{ratio:,.0f}x" if ratio >= 10 else f"{ratio:.2f}x"


def table(figures: dict) -> str:
    """The BENCHMARKS.md table: figure, tokenledger, Phoenix, ratio, target (with the load average per figure)."""
    pb, js, phx, cl = figures["ingest_protobuf"], figures["ingest_json"], figures.get("phoenix"), figures["client"]
    rows = [("figure", "tokenledger", "Phoenix 20.26.1", "ratio", "target", "load avg")]
    phx_load = f" / {phx['load_average']}" if phx else ""
    rows.append((
        "ingest, protobuf, 4 senders x 512-span batches: persisted spans/s (counted in the store)",
        f"{pb['persisted_per_s']:,.0f} ({pb['persisted']:,} spans)",
        f"{phx['persisted_per_s']:,.0f} ({phx['persisted']:,} spans, {phx['batches_sent']} batches, "
        f"{phx['time_cap_s']:.0f} s cap)" if phx else "not run",
        _ratio(pb["persisted_per_s"], phx and phx["persisted_per_s"]), ">= 25,000", pb["load_average"] + phx_load,
    ))  # fmt: skip
    rows.append((
        "ingest, protobuf: acknowledged spans/s", f"{pb['acknowledged_per_s']:,.0f}",
        f"{phx['acknowledged_per_s']:,.0f}" if phx else "not run",
        _ratio(pb["acknowledged_per_s"], phx and phx["acknowledged_per_s"]), "", pb["load_average"] + phx_load,
    ))  # fmt: skip
    rows.append((
        "ingest, protobuf: request latency p50 / p99", f"{pb['p50_ms']:,.0f} / {pb['p99_ms']:,.0f} ms",
        f"{phx['p50_ms']:,.0f} / {phx['p99_ms']:,.0f} ms" if phx else "not run", "", "p99 < 500 ms",
        pb["load_average"] + phx_load,
    ))  # fmt: skip
    rows.append((
        "ingest, protobuf: peak RSS", f"{pb['peak_rss_mib']:,.0f} MiB",
        f"{phx['peak_rss_mib']:,.0f} MiB" if phx and phx["peak_rss_mib"] else "n/a", "", "reported",
        pb["load_average"],
    ))  # fmt: skip
    rows.append((
        "ingest, OTLP JSON, 4 senders x 512-span batches: persisted spans/s",
        f"{js['persisted_per_s']:,.0f} (p99 {js['p99_ms']:,.0f} ms, peak RSS {js['peak_rss_mib']:,.0f} MiB)",
        "no JSON endpoint", "", ">= 12,000", js["load_average"],
    ))  # fmt: skip
    rows.append((
        "client: `llm.simple_complete` over the bare SDK call, median", f"+{cl['overhead_us']:,.0f} us "
        f"(+{cl['overhead_pct']:.1f}%; {cl['sdk_median_us']:,.0f} vs {cl['llm_median_us']:,.0f} us, "
        f"{cl['calls']:,} calls each)", "", "", "< 100 us", cl["load_average"],
    ))  # fmt: skip
    rows.append((
        "client: `import llm` (fresh interpreter) / with the xAI path's SDKs",
        f"{cl['import_llm_s']:.3f} s / {cl['import_llm_xai_s']:.2f} s", "", "", "", cl["load_average"],
    ))  # fmt: skip
    for read in figures["reads"]:
        n = f"{read['rows'] // 1_000_000}M"
        for name, ms in read["median_ms"].items():
            target = "< 150 ms at 10M" if not name.startswith("overview:") or name.endswith("set") else ""
            rows.append((f"read, {n} calls: {name} (median)", f"{ms:,.1f} ms", "", "", target, read["load_average"]))
        rows.append((f"read, {n} calls: collector peak RSS", f"{read['peak_rss_mib']:,.0f} MiB", "", "", "reported",
                     read["load_average"]))  # fmt: skip
    lines = ["| " + " | ".join(rows[0]) + " |", "|" + " --- |" * len(rows[0])]
    lines += ["| " + " | ".join(r) + " |" for r in rows[1:]]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller loads, 1M rows only")
    parser.add_argument("--no-phoenix", action="store_true", help="leave Phoenix out")
    args = parser.parse_args()
    plan = QUICK if args.quick else FULL
    began = time.monotonic()
    figures: dict = {"started": datetime.now(UTC).isoformat(timespec="seconds"), "quick": args.quick,
                     "machine": f"{platform.node()}, {platform.machine()}, {__import__('os').cpu_count()} CPUs, "
                                f"Python {platform.python_version()}"}  # fmt: skip
    figures["ingest_protobuf"] = ingest.bench_ingest(plan["pb_batches"], 512, 4, PROTOBUF)
    print(ingest.describe(figures["ingest_protobuf"]), flush=True)
    if not args.no_phoenix:
        figures["phoenix"] = phoenix.bench_phoenix(plan["phoenix_batches"], 512, 4, plan["phoenix_cap_s"])
        print(phoenix.describe(figures["phoenix"]), flush=True)
    figures["ingest_json"] = ingest.bench_ingest(plan["json_batches"], 512, 4, JSON)
    print(ingest.describe(figures["ingest_json"]), flush=True)
    figures["client"] = client.bench_client(plan["calls"])
    print(client.describe(figures["client"]), flush=True)
    figures["reads"] = []
    for rows in plan["rows"]:
        figures["reads"].append(reads.bench_reads(rows, plan["repeats"]))
        print(reads.describe(figures["reads"][-1]), flush=True)
    figures["elapsed_s"] = time.monotonic() - began
    markdown = table(figures)
    WORK.mkdir(parents=True, exist_ok=True)
    (WORK / "results.json").write_text(json.dumps(figures, indent=2))
    (WORK / "results.md").write_text(markdown + "\n")
    print(f"\n{markdown}\n\nmake bench: {figures['elapsed_s'] / 60:.1f} min ({figures['machine']})", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

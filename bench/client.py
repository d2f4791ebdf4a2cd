"""Client overhead: `llm.simple_complete` against the bare SDK call, both against the same local fake provider.

    .venv/bin/python bench/client.py [--calls 2000]

One event loop, a local fake Anthropic (`python -m tokenledger.fakes`, in its own process); the bare call goes through
the same cached `anthropic.AsyncAnthropic` that `simple_complete` uses (same options: the SDK's own tracing off, as
`llm` sets it), so the difference is the client's own work: settings, policy, the span, usage. The OpenTelemetry
SDK is set up as a service would (TracerProvider + BatchSpanProcessor; the exporter drops the spans, so the
figure is the client's work, not a collector's). The two kinds of call alternate in blocks of 50, so load on the
shared machine hits both alike; the overhead is the difference of the medians, in wall time and in the calling
thread's CPU time (steadier on a shared machine). Also times `import llm` in a fresh
interpreter (median of 5), alone and with the xAI path's SDKs a service using only xAI loads on its first call.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._common import ROOT, free_port, load_average

MODEL = "claude-haiku-4-5"
SYSTEM, PROMPT = "You are terse.", "Say hello."
BLOCK = 50


def _telemetry() -> None:
    from opentelemetry import trace
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter, SpanExportResult

    class Drop(SpanExporter):
        def export(self, spans):
            return SpanExportResult.SUCCESS

    provider = TracerProvider()
    provider.add_span_processor(BatchSpanProcessor(Drop()))
    trace.set_tracer_provider(provider)


async def _measure(calls: int) -> dict[str, list[float]]:
    import llm
    from llm._anthropic import ADAPTER
    from llm._settings import load_settings

    # The very SDK client `simple_complete` uses (same options, same connection pool): the difference is our work.
    bare = ADAPTER.client(load_settings(), MODEL)

    async def sdk() -> None:
        message = await bare.messages.create(
            model=MODEL, max_tokens=256, system=SYSTEM, messages=[{"role": "user", "content": PROMPT}]
        )
        "".join(block.text for block in message.content if block.type == "text")

    async def ours() -> None:
        await llm.simple_complete(MODEL, SYSTEM, PROMPT, 256, None, layer="chat")

    times: dict[str, list[float]] = {"sdk": [], "llm": [], "sdk_cpu": [], "llm_cpu": []}
    for _ in range(20):  # warm both paths: connections, first imports
        await sdk()
        await ours()
    for block in range(max(1, calls // BLOCK)):
        order = (("sdk", sdk), ("llm", ours)) if block % 2 == 0 else (("llm", ours), ("sdk", sdk))
        for name, call in order:
            for _ in range(BLOCK):
                began, cpu = time.perf_counter(), time.thread_time()
                await call()
                times[name].append((time.perf_counter() - began) * 1e6)
                # This thread's CPU: the client's own work, whatever the shared machine does to the wall clock.
                times[name + "_cpu"].append((time.thread_time() - cpu) * 1e6)
    await llm.aclose_clients()
    return times


def _import_s(code: str, repeats: int = 5) -> float:
    """Median wall time of `code` in a fresh interpreter (python start-up subtracted)."""
    probe = f"import time; t = time.perf_counter(); {code}; print(time.perf_counter() - t)"
    runs = []
    for _ in range(repeats):
        out = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True)
        runs.append(float(out.stdout.strip()))
    return statistics.median(runs)


def _fake_anthropic() -> tuple[subprocess.Popen, str]:
    """`python -m tokenledger.fakes` in its own process: its CPU must not share the measuring process's GIL."""
    command = [sys.executable, "-m", "tokenledger.fakes", "--anthropic-port", str(free_port())]
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, text=True)
    for line in process.stdout:  # type: ignore[union-attr]
        if line.startswith("ANTHROPIC_BASE_URL="):
            return process, line.split("=", 1)[1].strip()
    raise SystemExit("the fake provider did not start")


def bench_client(calls: int) -> dict:
    """Microseconds `simple_complete` adds per call over the bare SDK call (median), and `import llm` time."""
    _telemetry()
    fake, base_url = _fake_anthropic()
    try:
        os.environ["ANTHROPIC_API_KEY"] = "sk-test-not-a-real-key"
        os.environ["ANTHROPIC_BASE_URL"] = base_url
        load = load_average()
        times = asyncio.run(_measure(calls))
    finally:
        fake.terminate()
        fake.wait(10)
    sdk, ours = statistics.median(times["sdk"]), statistics.median(times["llm"])
    sdk_cpu, ours_cpu = statistics.median(times["sdk_cpu"]), statistics.median(times["llm_cpu"])
    return {
        "calls": len(times["sdk"]),
        "sdk_median_us": sdk,
        "llm_median_us": ours,
        "overhead_us": ours - sdk,
        "overhead_pct": (ours - sdk) / sdk * 100,
        "sdk_cpu_median_us": sdk_cpu,
        "llm_cpu_median_us": ours_cpu,
        "cpu_overhead_us": ours_cpu - sdk_cpu,
        "import_llm_s": _import_s("import llm"),
        "import_llm_xai_s": _import_s("import llm, openai, langchain_xai, langchain_core.messages"),
        "load_average": load,
    }


def describe(figure: dict) -> str:
    return (
        f"client: {figure['calls']:,} calls each: bare SDK median {figure['sdk_median_us']:,.0f} us, "
        f"llm.simple_complete {figure['llm_median_us']:,.0f} us: +{figure['overhead_us']:,.0f} us per call "
        f"(+{figure['overhead_pct']:.1f}%); CPU of the calling thread: {figure['sdk_cpu_median_us']:,.0f} vs "
        f"{figure['llm_cpu_median_us']:,.0f} us, +{figure['cpu_overhead_us']:,.0f} us; "
        f"import llm {figure['import_llm_s']:.3f} s, with the xAI path's SDKs "
        f"{figure['import_llm_xai_s']:.2f} s (load average {figure['load_average']})"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=2000)
    args = parser.parse_args()
    print(describe(bench_client(args.calls)), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

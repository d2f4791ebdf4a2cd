"""Client overhead: `llm.simple_complete` against the bare SDK call, both against the same local fake provider.

    .venv/bin/python bench/client.py [--calls 2000]

One process, one event loop, one local FakeAnthropic server (tokenledger.fakes). The application's OpenTelemetry
SDK is set up as a service would (TracerProvider + BatchSpanProcessor; the exporter drops the spans, so the
figure is the client's work, not a collector's). The two kinds of call alternate in blocks of 50, so load on the
shared machine hits both alike; the overhead is the difference of the medians. Also times `import llm` in a fresh
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

from bench._common import ROOT, load_average

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


async def _measure(calls: int, base_url: str) -> dict[str, list[float]]:
    import anthropic

    import llm

    bare = anthropic.AsyncAnthropic(api_key=os.environ["ANTHROPIC_API_KEY"], base_url=base_url)

    async def sdk() -> None:
        message = await bare.messages.create(
            model=MODEL, max_tokens=256, system=SYSTEM, messages=[{"role": "user", "content": PROMPT}]
        )
        "".join(block.text for block in message.content if block.type == "text")

    async def ours() -> None:
        await llm.simple_complete(MODEL, SYSTEM, PROMPT, 256, None, layer="chat")

    times: dict[str, list[float]] = {"sdk": [], "llm": []}
    for _ in range(20):  # warm both paths: connections, first imports
        await sdk()
        await ours()
    for block in range(max(1, calls // BLOCK)):
        order = (("sdk", sdk), ("llm", ours)) if block % 2 == 0 else (("llm", ours), ("sdk", sdk))
        for name, call in order:
            for _ in range(BLOCK):
                began = time.perf_counter()
                await call()
                times[name].append((time.perf_counter() - began) * 1e6)
    await bare.close()
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


def bench_client(calls: int) -> dict:
    """Microseconds `simple_complete` adds per call over the bare SDK call (median), and `import llm` time."""
    from tokenledger.fakes import FakeAnthropic

    _telemetry()
    with FakeAnthropic() as fake:
        os.environ["ANTHROPIC_API_KEY"] = "sk-test-not-a-real-key"
        os.environ["ANTHROPIC_BASE_URL"] = fake.base_url
        load = load_average()
        times = asyncio.run(_measure(calls, fake.base_url))
    sdk, ours = statistics.median(times["sdk"]), statistics.median(times["llm"])
    return {
        "calls": len(times["sdk"]),
        "sdk_median_us": sdk,
        "llm_median_us": ours,
        "overhead_us": ours - sdk,
        "overhead_pct": (ours - sdk) / sdk * 100,
        "import_llm_s": _import_s("import llm"),
        "import_llm_xai_s": _import_s("import llm, openai, langchain_xai, langchain_core.messages"),
        "load_average": load,
    }


def describe(figure: dict) -> str:
    return (
        f"client: {figure['calls']:,} calls each: bare SDK median {figure['sdk_median_us']:,.0f} us, "
        f"llm.simple_complete {figure['llm_median_us']:,.0f} us: +{figure['overhead_us']:,.0f} us per call "
        f"(+{figure['overhead_pct']:.1f}%); import llm {figure['import_llm_s']:.3f} s, with the xAI path's SDKs "
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

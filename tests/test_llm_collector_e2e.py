"""End to end: a service using `llm` (its own process, configure_telemetry) -> real OTLP -> the real collector.

Checks that the span contract and the collector's mapping agree: one row per call, with the layer, the
normalised tokens, the policy substitution, streaming, and a server price equal to the client's estimate.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from decimal import Decimal

import httpx
import pytest
from helpers.llm import ANTHROPIC_KEY, XAI_KEY

from tokenledger.fakes import FakeUsage

SERVICE = textwrap.dedent(
    """
    import asyncio, llm

    async def main():
        log = None
        await llm.simple_complete("claude-haiku-4-5", "s", "hi", 256, log, layer="drafts")
        await llm.simple_complete("grok-4-fast-reasoning", "s", "hi", 256, log, layer="analysis")
        async for _ in llm.stream_chat("claude-sonnet-4-5", "s", [{"role": "user", "content": "hi"}], 256, log):
            pass
        await llm.aclose_clients()

    provider = llm.configure_telemetry(service_name="drafts-service", endpoint=URL, environment="test")
    asyncio.run(main())
    provider.shutdown()  # flushes: when the process exits, the collector has committed every span
    """
)

pytestmark = [pytest.mark.e2e, pytest.mark.usefixtures("close_llm_clients")]


def test_calls_made_through_llm_land_in_the_collector_priced(start_collector, tmp_path, fake_anthropic, fake_xai):
    fake_anthropic.usage = lambda body: FakeUsage(
        input_tokens=12_000, output_tokens=800, cache_read_tokens=10_000, cache_write_tokens=500
    )
    fake_xai.usage = lambda body: FakeUsage(
        input_tokens=9_000, output_tokens=700, cache_read_tokens=4_000, reasoning_tokens=300
    )
    collector = start_collector(tmp_path, mode="thread")
    env = {
        "ANTHROPIC_API_KEY": ANTHROPIC_KEY,
        "ANTHROPIC_BASE_URL": fake_anthropic.base_url,
        "XAI_API_KEY": XAI_KEY,
        "XAI_BASE_URL": fake_xai.base_url,
        "LLM_MAX_RETRIES": "0",
        "PATH": "",
    }
    code = f"URL = {collector.url!r}\n" + SERVICE
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr

    response = httpx.get(f"{collector.url}/api/v1/calls", params={"format": "json", "limit": "10"}, timeout=30)
    assert response.status_code == 200, response.text
    rows = {row["layer"]: row for row in response.json()["rows"]}
    assert set(rows) == {"drafts", "analysis", "chat"}
    for row in rows.values():
        assert row["service"] == "drafts-service" and row["environment"] == "test"

    drafts, analysis, chat = rows["drafts"], rows["analysis"], rows["chat"]
    assert (drafts["provider"], drafts["input_tokens"], drafts["cache_read_tokens"]) == ("anthropic", 12_000, 10_000)
    assert drafts["cache_write_tokens"] == 500 and drafts["output_tokens"] == 800
    assert (analysis["provider"], analysis["input_tokens"], analysis["output_tokens"]) == ("x_ai", 9_000, 700)
    assert analysis["reasoning_tokens"] == 300 and analysis["cache_read_tokens"] == 4_000
    assert chat["streaming"] is True and chat["requested_model"] == "claude-sonnet-4-5"
    assert chat["ttft_ms"] is not None and chat["ttft_ms"] > 0
    for row in rows.values():
        # The collector's own price (the truth) agrees with what our client put on the span.
        assert row["pricing_unknown"] is False
        assert Decimal(row["cost_usd"]) == Decimal(row["reported_cost_usd"]) > 0

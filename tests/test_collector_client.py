"""Our own `llm` client, end to end: real calls against the fake Anthropic server, spans over OTLP to the collector.

The client uses the global tracer provider (`llm.configure_telemetry`), so the application runs in a child process.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from decimal import Decimal

import httpx
import pytest

# Not in the conformance suite: what this checks does not depend on the store (the API it reads is checked on
# every store by the conformance modules), and its chdb half cost CI minutes.

_APP = textwrap.dedent(
    """
    import asyncio, logging, os, sys
    import llm
    from tokenledger.fakes import FakeAnthropic, FakeUsage

    url = sys.argv[1]
    provider = llm.configure_telemetry(service_name="bff", endpoint=url, environment="test")
    usage = FakeUsage(input_tokens=1500, output_tokens=80, cache_read_tokens=1000, cache_write_tokens=200)
    log = logging.getLogger("app")
    with FakeAnthropic(usage=lambda body: usage) as fake:
        os.environ["ANTHROPIC_API_KEY"] = "sk-test-not-a-real-key"
        os.environ["ANTHROPIC_BASE_URL"] = fake.base_url

        async def main():
            await llm.simple_complete("claude-haiku-4-5-20251001", "sys", "hi", 100, log, layer="drafts")
            await llm.simple_complete("claude-opus-4-1", "sys", "hi", 100, log, layer="analysis")  # restricted
            messages = [{"role": "user", "content": "hi"}]
            async for _ in llm.stream_chat("claude-haiku-4-5-20251001", "sys", messages, 100, log):
                pass
            await llm.aclose_clients()

        asyncio.run(main())
    provider.shutdown()
    """
)


@pytest.fixture
def collector(start_collector, tmp_path):
    return start_collector(tmp_path, mode="thread")


@pytest.mark.e2e
def test_client_spans_land_priced_with_our_attribution(collector, tmp_path):
    script = tmp_path / "app.py"
    script.write_text(_APP)
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.endswith("_API_KEY") and not k.startswith(("TOKENLEDGER_", "OTEL_"))
    }
    env.pop("RESTRICT_MODELS", None)
    done = subprocess.run(
        [sys.executable, str(script), collector.url], capture_output=True, text=True, timeout=120, env=env, cwd=tmp_path
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert "sk-test-not-a-real-key" not in done.stdout + done.stderr

    stored = httpx.get(collector.url + "/api/v1/calls").json()["rows"]
    assert len(stored) == 3  # one row per call, even with the SDK's own tracing: no duplicate of ours either
    rows = {r["layer"]: r for r in stored}
    assert set(rows) == {"drafts", "analysis", "chat"}
    for row in rows.values():
        assert (row["service"], row["environment"], row["provider"]) == ("bff", "test", "anthropic")
        assert (row["input_tokens"], row["cache_read_tokens"], row["cache_write_tokens"]) == (1500, 1000, 200)
        assert row["pricing_unknown"] is False
        assert row["reported_cost_source"] == "tokenledger.cost_usd"
        assert Decimal(row["reported_cost_usd"]) == Decimal(row["cost_usd"])  # client and server agree
    assert Decimal(rows["drafts"]["cost_usd"]) == Decimal("0.00105")
    assert rows["analysis"]["requested_model"] == "claude-opus-4-1"
    assert rows["analysis"]["model"].startswith("claude-haiku-4-5")
    assert rows["chat"]["streaming"] is True and rows["chat"]["ttft_ms"] is not None
    assert rows["drafts"]["streaming"] is False

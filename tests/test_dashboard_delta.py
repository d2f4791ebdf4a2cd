"""The Overview's headline deltas: a change with no previous spend to compare against is neutral, not red."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from opentelemetry.sdk.trace.export import SpanExportResult
from opentelemetry.trace import SpanKind
from streamlit.testing.v1 import AppTest

# Not in the conformance suite: what this checks does not depend on the store (the API it reads is checked on
# every store by the conformance modules), and its chdb half cost CI minutes.

APP = Path(__file__).resolve().parent.parent / "dashboard" / "app.py"
READ = "sk-test-not-a-real-key-read"
INGEST = "sk-test-not-a-real-key-ingest"


def _one_call_in_october(tracer) -> None:
    start_ns = int(datetime(2026, 10, 5, 12, tzinfo=UTC).timestamp()) * 10**9
    attrs = {
        "gen_ai.operation.name": "chat",
        "gen_ai.provider.name": "anthropic",
        "gen_ai.request.model": "claude-sonnet-4-6",
        "gen_ai.response.model": "claude-sonnet-4-6",
        "gen_ai.usage.input_tokens": 1000,
        "gen_ai.usage.output_tokens": 100,
        "tokenledger.layer": "chat",
    }
    span = tracer.start_span("chat claude-sonnet-4-6", kind=SpanKind.CLIENT, start_time=start_ns, attributes=attrs)
    span.end(end_time=start_ns + 2_000_000_000)


def test_no_previous_spend_gives_a_neutral_n_a_delta(start_collector, send_spans, tmp_path, monkeypatch):
    # October has spend, September none: what a fresh demo with a short backfill showed as a red "↑ n/a".
    handle = start_collector(tmp_path, mode="thread", TOKENLEDGER_READ_TOKEN=READ, TOKENLEDGER_INGEST_TOKEN=INGEST)
    results = send_spans(handle.url, _one_call_in_october, headers={"Authorization": f"Bearer {INGEST}"})
    assert results and all(r == SpanExportResult.SUCCESS for r in results)
    monkeypatch.setenv("TOKENLEDGER_COLLECTOR_URL", handle.url)
    monkeypatch.setenv("TOKENLEDGER_READ_TOKEN", READ)
    at = AppTest.from_file(str(APP), default_timeout=60)
    at.query_params.update({"from": "2026-10-01", "to": "2026-10-31"})
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    shown = {m.label: m.proto for m in at.metric}
    for label in ("Priced spend", "Total incl. estimates"):
        proto = shown[label]
        assert proto.delta == "n/a", label
        colour, arrow = type(proto).MetricColor.Name(proto.color), type(proto).MetricDirection.Name(proto.direction)
        assert (colour, arrow) == ("GRAY", "NONE"), label  # was RED and UP: "n/a" read as a rise in spend

"""The demo's provider report: built from the ledger, imported through the real route, it shows one day of missing
spans and one day of price mismatch, everything else matching; importing it twice changes nothing."""

from __future__ import annotations

from datetime import UTC, date, datetime

import httpx
from helpers.otlp import otlp_json_request, otlp_json_span

from tokenledger.demo.reconciliation import chosen_days, import_provider_report

DAYS = [date(2026, 11, d) for d in (2, 3, 4, 5, 6)]
MODELS = ("claude-haiku-4-5-20251001", "claude-sonnet-4-6")


def _spans() -> list[dict]:
    spans = []
    for d, day in enumerate(DAYS):
        for m, model in enumerate(MODELS):
            start = datetime(day.year, day.month, day.day, 10 + m, tzinfo=UTC)
            spans.append(otlp_json_span(f"e{d:07x}{m:08x}", {
                "gen_ai.operation.name": "chat", "gen_ai.provider.name": "anthropic", "gen_ai.request.model": model,
                "gen_ai.usage.input_tokens": 400_000 + 10_000 * d, "gen_ai.usage.output_tokens": 20_000 * (m + 1),
                "gen_ai.usage.cache_read.input_tokens": 100_000,
            }, start_ns=int(start.timestamp()) * 10**9))  # fmt: skip
    spans.append(otlp_json_span("e00000000000000f", {  # another provider: not in the report, not reconciled
        "gen_ai.operation.name": "chat", "gen_ai.provider.name": "x_ai", "gen_ai.request.model": "grok-4",
        "gen_ai.usage.input_tokens": 1000, "gen_ai.usage.output_tokens": 10,
    }, start_ns=int(datetime(2026, 11, 3, 9, tzinfo=UTC).timestamp()) * 10**9))  # fmt: skip
    return spans


def test_the_demo_report_shows_missing_spans_and_a_price_mismatch(start_collector, tmp_path):
    handle = start_collector(tmp_path, mode="thread")
    assert httpx.post(handle.url + "/v1/traces", json=otlp_json_request(_spans())).status_code == 200
    today = date(2026, 11, 7)
    line = import_provider_report(handle.url, 5, today, {}, {})
    missing_day, price_day = chosen_days(DAYS)
    assert line is not None and str(missing_day) in line and str(price_day) in line
    rows = httpx.get(handle.url + "/api/v1/reconciliation").json()["rows"]
    causes = {(r["day"], r["model"]): r["cause"] for r in rows}
    assert {r["provider"] for r in rows} == {"anthropic"}
    assert len(causes) == len(DAYS) * len(MODELS)  # the haiku snapshot name matched its card's model
    assert {c for (day, _), c in causes.items() if day == missing_day.isoformat()} == {"missing_spans"}
    assert sorted(c for (day, _), c in causes.items() if day == price_day.isoformat()) == ["ok", "price_mismatch"]
    assert {c for (day, _), c in causes.items() if day not in (missing_day.isoformat(), price_day.isoformat())} == {
        "ok"}  # fmt: skip
    import_provider_report(handle.url, 5, today, {}, {})
    assert httpx.get(handle.url + "/api/v1/reconciliation").json()["rows"] == rows


def test_chosen_days_are_two_distinct_days():
    assert chosen_days([date(2026, 1, 1)]) is None
    assert chosen_days([date(2026, 1, 2), date(2026, 1, 1)]) == (date(2026, 1, 1), date(2026, 1, 2))
    missing, price = chosen_days([date(2026, 1, d) for d in range(1, 31)])
    assert missing < price

"""Anthropic's usage and cost reports, fetched with the real anthropic SDK from a local fake of the Usage and Cost
Analytics API (tokenledger/fakes/_anthropic_admin.py: documented shapes, pagination included): the figures, the
CLI into a real collector (twice: nothing changes), the collector's daily fetch, and the key kept out of every
message."""

from __future__ import annotations

import logging
import time
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import httpx
import pytest
from helpers.collector import CollectorHandle, free_port
from helpers.otlp import otlp_json_request, otlp_json_span

from collector import anthropic_reports
from collector.config import Settings, SettingsError
from tokenledger import cli
from tokenledger.fakes import AdminUsage, FakeAnthropicAdmin

KEY = "sk-ant-admin01-test-not-a-real-key"
ADMIN = "tl-admin-test-not-a-real-token"
AUTH = {"Authorization": f"Bearer {ADMIN}"}
HAIKU, SONNET = "claude-haiku-4-5-20251001", "claude-sonnet-4-5-20250929"
NOV = [date(2026, 11, d) for d in range(1, 31)]
USAGE = [
    # Nov 2: haiku at two tiers (summed), with cache reads and both cache-write durations
    AdminUsage(NOV[1], HAIKU, "standard", uncached_input_tokens=6_000, cache_read_input_tokens=4_000,
               cache_creation_5m_input_tokens=500, cache_creation_1h_input_tokens=500, output_tokens=1_000,
               cost_cents=Decimal("1.9375")),
    AdminUsage(NOV[1], HAIKU, "batch", uncached_input_tokens=1_000, output_tokens=100, cost_cents=Decimal("0.075")),
    AdminUsage(NOV[1], None, uncached_input_tokens=0, cost_cents=Decimal("5")),  # code execution: no model
    *(AdminUsage(day, SONNET, uncached_input_tokens=1_000, output_tokens=100, cost_cents=Decimal("0.45"))
      for day in NOV[2:8]),
    AdminUsage(date(2026, 12, 2), SONNET, uncached_input_tokens=1_000, output_tokens=100,
               cost_cents=Decimal("0.45")),  # past a 31-day window
]  # fmt: skip


@pytest.fixture
def fake():
    with FakeAnthropicAdmin(USAGE, admin_key=KEY) as server:
        yield server


def test_fetch_follows_pages_and_windows_and_adds_the_cache_to_input(fake, caplog):
    caplog.set_level(logging.DEBUG)  # the SDK's and httpx's debug logs too: the key is in none of them
    with anthropic_reports.make_client(KEY, fake.base_url) as client:
        fetched = anthropic_reports.fetch(date(2026, 11, 1), date(2026, 12, 2), client=client, page_rows=2)
    assert caplog.records and KEY not in caplog.text
    rows = {(r.day, r.model): r for r in fetched.rows}
    haiku = rows[(NOV[1], HAIKU)]
    assert (haiku.input_tokens, haiku.output_tokens) == (6_000 + 4_000 + 1_000 + 1_000, 1_100)
    assert (haiku.cache_read_tokens, haiku.cache_write_tokens) == (4_000, 1_000)
    assert haiku.cost_usd == Decimal("0.020125") and haiku.service_tiers == "batch; standard"
    assert len([r for r in fetched.rows if r.model == SONNET]) == 7  # six in November, one in December
    assert (fetched.skipped_usage_rows, fetched.skipped_cost_usd) == (1, Decimal("0.05"))
    pages = [r.query.get("page") for r in fake.requests]
    assert sum(p is not None for p in pages) >= 4  # pagination followed on both endpoints
    starts = sorted({r.query["starting_at"][0] for r in fake.requests})
    assert starts == ["2026-11-01T00:00:00Z", "2026-12-02T00:00:00Z"]  # [Nov 1, Dec 2) then [Dec 2, Dec 3)
    assert all(r.key_ok for r in fake.requests)
    assert {tuple(r.query["group_by[]"]) for r in fake.requests} == {("model", "service_tier"), ("model",)}


def test_a_refused_key_is_an_error_that_never_holds_the_key(fake):
    wrong = "sk-ant-admin01-wrong-key-not-real"
    with pytest.raises(anthropic_reports.ReportFetchError) as caught:
        anthropic_reports.fetch(NOV[0], NOV[3], admin_key=wrong, base_url=fake.base_url)
    assert "401" in str(caught.value) and wrong not in str(caught.value) and KEY not in str(caught.value)
    with pytest.raises(anthropic_reports.ReportFetchError, match="2026-01-01"):
        anthropic_reports.fetch(date(2025, 12, 1), date(2025, 12, 2), admin_key=KEY, base_url=fake.base_url)


def _ledger(collector: CollectorHandle) -> None:
    """The ledger for Nov 2 (haiku) and Nov 3-8 (sonnet), one call a day, except Nov 5 where a call is missing."""
    spans = [otlp_json_span("f000000000000001", {
        "gen_ai.operation.name": "chat", "gen_ai.provider.name": "anthropic", "gen_ai.request.model": HAIKU,
        "gen_ai.usage.input_tokens": 12_000, "gen_ai.usage.output_tokens": 1_100,
        "gen_ai.usage.cache_read.input_tokens": 4_000, "gen_ai.usage.cache_creation.input_tokens": 1_000,
    }, start_ns=int(datetime(2026, 11, 2, 9, tzinfo=UTC).timestamp()) * 10**9)]  # fmt: skip
    for index, day in enumerate(NOV[2:8]):
        if day == NOV[4]:
            continue
        spans.append(otlp_json_span(f"f1000000000000{index:02x}", {
            "gen_ai.operation.name": "chat", "gen_ai.provider.name": "anthropic", "gen_ai.request.model": SONNET,
            "gen_ai.usage.input_tokens": 1_000, "gen_ai.usage.output_tokens": 100,
        }, start_ns=int(datetime(day.year, day.month, day.day, 9, tzinfo=UTC).timestamp()) * 10**9))  # fmt: skip
    response = collector.client.post("/v1/traces", json=otlp_json_request(spans), headers=AUTH)
    assert response.status_code == 200, response.text


def _causes(collector: CollectorHandle) -> list[tuple[str, str, str, str | None]]:
    response = collector.client.get(
        "/api/v1/reconciliation",
        params={"provider": "anthropic", "start": "2026-11-01", "end": "2026-11-30"},
        headers=AUTH,
    )
    assert response.status_code == 200, response.text
    return [(r["day"], r["model"], r["cause"], r["provider_cost_usd"]) for r in response.json()["rows"]]


def test_the_cli_fetches_into_the_collector_and_a_repeated_fetch_changes_nothing(
    fake, start_collector, tmp_path, monkeypatch, capsys
):
    collector = start_collector(tmp_path, mode="thread", TOKENLEDGER_ADMIN_TOKEN=ADMIN)
    _ledger(collector)
    monkeypatch.setenv("ANTHROPIC_ADMIN_KEY", KEY)
    monkeypatch.setenv("ANTHROPIC_ADMIN_BASE_URL", fake.base_url)
    monkeypatch.setenv("TOKENLEDGER_ADMIN_TOKEN", ADMIN)
    argv = ["reconcile", "anthropic", "--start", "2026-11-01", "--end", "2026-11-30", "--collector", collector.url]
    assert cli.main(argv) == 0
    first = _causes(collector)
    assert cli.main(argv) == 0
    out = capsys.readouterr().out
    assert "Stored 7 rows (7 new, 0 replaced)" in out and "Stored 7 rows (0 new, 7 replaced)" in out
    assert KEY not in out
    assert _causes(collector) == first
    causes = {(day, model): cause for day, model, cause, _ in first}
    assert causes[("2026-11-02", "claude-haiku-4-5")] == "ok"  # tokens agree, cost within a cent
    assert causes[("2026-11-03", "claude-sonnet-4-5")] == "ok"
    assert causes[("2026-11-05", "claude-sonnet-4-5")] == "provider_only"
    stored = collector.app.state.store.query("SELECT count(*) AS n, min(source) AS s FROM provider_reports")
    assert stored.to_pylist() == [{"n": 7, "s": anthropic_reports.SOURCE}]


def test_the_cli_without_a_key_says_so(monkeypatch, capsys):
    monkeypatch.delenv("ANTHROPIC_ADMIN_KEY", raising=False)
    assert cli.main(["reconcile", "anthropic", "--start", "2026-11-01", "--end", "2026-11-02"]) == 2
    assert "ANTHROPIC_ADMIN_KEY" in capsys.readouterr().err


class _FastDaily(CollectorHandle):
    def _settings(self):
        return replace(super()._settings(), reconcile_first_delay_s=0.0,
                       clock=lambda: datetime(2026, 11, 9, 6, tzinfo=UTC))  # fmt: skip


def test_the_collector_fetches_daily_when_the_key_and_the_switch_are_set(fake, tmp_path):
    env = {"ANTHROPIC_ADMIN_KEY": KEY, "ANTHROPIC_ADMIN_BASE_URL": fake.base_url, "TOKENLEDGER_RECONCILE_DAILY": "1"}
    port = free_port()
    handle = _FastDaily(db_path=tmp_path / "t.duckdb", port=port, mode="thread", env=env,
                        log_path=tmp_path / "collector.log")  # fmt: skip
    handle.start()
    try:
        deadline = datetime.now(UTC) + timedelta(seconds=20)
        rows: list = []
        while not rows and datetime.now(UTC) < deadline:  # bounded wait for the background task
            rows = httpx.get(handle.url + "/api/v1/reconciliation", params={"provider": "anthropic"}).json()["rows"]
            time.sleep(0.05)
        days = sorted({r["day"] for r in rows})
        assert days == [f"2026-11-0{d}" for d in range(2, 9)]  # the 7 days before the clock's day
        assert KEY not in handle.logs()
    finally:
        handle.stop()


def test_settings_parse_the_switch_strictly_and_need_the_key():
    assert not Settings.from_env({}).reconcile_daily
    assert Settings.from_env({"TOKENLEDGER_RECONCILE_DAILY": "yes", "ANTHROPIC_ADMIN_KEY": KEY}).reconcile_daily
    with pytest.raises(SettingsError, match="TOKENLEDGER_RECONCILE_DAILY"):
        Settings.from_env({"TOKENLEDGER_RECONCILE_DAILY": "on", "ANTHROPIC_ADMIN_KEY": KEY})
    with pytest.raises(SettingsError, match="ANTHROPIC_ADMIN_KEY"):
        Settings.from_env({"TOKENLEDGER_RECONCILE_DAILY": "true"})
    assert KEY not in repr(Settings.from_env({"ANTHROPIC_ADMIN_KEY": KEY}))

"""The Reconciliation page (AppTest against a real collector fed the reconciliation data set over OTLP and its
provider file through the import route), and the polars helpers behind it."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import polars as pl
import pytest
from helpers.reconciliation import LEDGER, cost, ledger_request, report
from streamlit.testing.v1 import AppTest
from test_dashboard_app import APP

from dashboard import reconciliation
from dashboard.money import MONEY, format_usd

PERIOD = {"from": "2025-11-01", "to": "2025-11-30"}


def _feed(handle) -> None:
    assert handle.client.post("/v1/traces", json=ledger_request()).status_code == 200
    response = handle.client.post("/api/v1/reconciliation/import", params={"provider": "anthropic"},
                                  content=report().encode())  # fmt: skip
    assert response.status_code == 200, response.text


def _open(handle, monkeypatch, period=PERIOD) -> AppTest:
    monkeypatch.setenv("TOKENLEDGER_COLLECTOR_URL", handle.url)
    for name in ("TOKENLEDGER_READ_TOKEN", "TOKENLEDGER_ADMIN_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    at = AppTest.from_file(str(APP), default_timeout=60)
    at.query_params.update(period)
    at.run()
    at.switch_page("views/reconciliation.py").run()
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    return at


def test_the_page_shows_variance_causes_a_total_and_what_to_do(start_collector, tmp_path, monkeypatch):
    handle = start_collector(tmp_path, mode="thread")
    _feed(handle)
    at = _open(handle, monkeypatch)
    assert at.title[0].value == "Reconciliation"
    ledger = sum((cost(d, m) for d, m in {(d, m) for d, m, *_ in LEDGER}), Decimal(0))
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Ledger cost"] == format_usd(ledger)
    assert metrics["Rows not ok"] == "5 of 8"  # missing, extra, price, ledger only, provider only
    table = at.dataframe[0].value
    assert list(table["model"])[-1] == "Total"
    assert set(table["cause"][:-1]) == set(reconciliation.CAUSES)
    assert table["cause"].iloc[-1] == "5 not ok"
    texts = " ".join(m.value for m in at.markdown)
    for code in ("missing_spans", "extra_spans", "price_mismatch", "ledger_only", "provider_only"):
        assert f"**{code}**" in texts
    assert "rate card" in texts and "not instrumented" in texts


def test_the_page_without_a_report_says_how_to_get_one(start_collector, tmp_path, monkeypatch):
    handle = start_collector(tmp_path, mode="thread")
    at = _open(handle, monkeypatch)
    assert any("No provider report" in i.value for i in at.info)


def _frame(rows: list[dict]) -> pl.DataFrame:
    base = {k: None for k in reconciliation.SCHEMA}
    filled = [{**base, "ledger_calls": 1, "ledger_input_tokens": 10, "ledger_output_tokens": 1,
               "ledger_unpriced_calls": 0, **r} for r in rows]  # fmt: skip
    return pl.DataFrame(filled, schema=reconciliation.SCHEMA)


def test_totals_leave_unknown_provider_costs_out_and_say_so():
    frame = _frame([
        {"day": date(2026, 1, 1), "model": "a", "ledger_cost_usd": Decimal("2"), "provider_cost_usd": Decimal("3"),
         "delta_cost_usd": Decimal("-1"), "cause": "missing_spans"},
        {"day": date(2026, 1, 2), "model": "a", "ledger_cost_usd": Decimal("5"), "cause": "ledger_only"},
    ])  # fmt: skip
    t = reconciliation.totals(frame)
    assert (t.ledger_cost_usd, t.provider_cost_usd, t.delta_cost_usd) == (Decimal(7), Decimal(3), Decimal(-1))
    assert (t.provider_unknown_rows, t.rows_not_ok) == (1, 2)
    total = reconciliation.with_total(frame).row(-1, named=True)
    assert (total["model"], total["provider_cost_usd"], total["delta_cost_usd"]) == ("Total", Decimal(3), Decimal(-1))
    assert total["provider_input_tokens"] is None  # no provider gave tokens: unknown, not 0
    summary = reconciliation.cause_summary(frame)
    assert summary.get_column("cause").to_list() == ["missing_spans", "ledger_only"]
    assert summary.get_column("delta_cost_usd").to_list() == [Decimal(-1), None]
    assert summary.schema["delta_cost_usd"] == MONEY


def test_no_known_provider_cost_is_unknown_never_zero():
    frame = _frame([{"day": date(2026, 1, 1), "model": "a", "ledger_cost_usd": Decimal("2"), "cause": "ok"}])
    t = reconciliation.totals(frame)
    assert (t.provider_cost_usd, t.delta_cost_usd) == (None, None)
    assert reconciliation.table(pl.DataFrame()).schema == pl.Schema(reconciliation.SCHEMA)


@pytest.mark.parametrize("providers", [(), ("anthropic",)])
def test_for_providers_keeps_the_chosen_ones(providers):
    frame = _frame([{"provider": "anthropic", "cause": "ok", "ledger_cost_usd": Decimal(1)},
                    {"provider": "x_ai", "cause": "ok", "ledger_cost_usd": Decimal(1)}])  # fmt: skip
    assert reconciliation.for_providers(frame, providers).height == (2 if not providers else 1)


def test_variance_chart_sums_per_day_and_cause_and_leaves_unknown_out():
    frame = _frame([
        {"day": date(2026, 1, 1), "model": "a", "cause": "missing_spans", "delta_cost_usd": Decimal("-1.5"),
         "ledger_cost_usd": Decimal(1)},
        {"day": date(2026, 1, 1), "model": "b", "cause": "missing_spans", "delta_cost_usd": Decimal("-0.5"),
         "ledger_cost_usd": Decimal(1)},
        {"day": date(2026, 1, 2), "model": "a", "cause": "ledger_only", "ledger_cost_usd": Decimal(1)},
    ])  # fmt: skip
    values = reconciliation.variance_chart(frame).to_dict()["datasets"]
    (rows,) = values.values()
    assert [(r["day"], r["cause"], r["delta_cost_usd"], r["models"]) for r in rows] == [
        ("2026-01-01", "missing_spans", -2.0, "a, b")]  # fmt: skip

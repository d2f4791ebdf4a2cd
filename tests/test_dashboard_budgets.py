"""The Budgets page and the Overview's forecast: plain data functions, and the page under AppTest against a real
collector (fixed clock) fed real OTLP."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import httpx
import polars as pl
import pytest
from helpers.finance import launch_clocked
from streamlit.testing.v1 import AppTest

from dashboard import budgets
from dashboard.money import MONEY

APP = Path(__file__).resolve().parent.parent / "dashboard" / "app.py"
NOW = datetime(2026, 11, 16, 12, tzinfo=UTC)
ADMIN = "sk-test-not-a-real-key-admin"
NS = 1_000_000_000


def _budget(**over):
    return {
        "id": 1, "name": "analysis monthly", "amount_usd": "500", "period": "month", "scope": {"layer": ["analysis"]},
        "thresholds": ["0.5", "0.8", "1"], "period_start": "2026-11-01T00:00:00+00:00",
        "period_end": "2026-12-01T00:00:00+00:00", "spent_usd": "412.5", "priced_usd": "400",
        "estimated_usd": "12.5", "forecast_usd": "610", "forecast_low_usd": "540", "forecast_high_usd": "680",
        "forecast_method": "weekday_weekend (28 days of history)", "status": "forecast_over", **over,
    }  # fmt: skip


def test_budgets_frame_progress_and_text():
    frame = budgets.budgets_frame([_budget(), _budget(id=2, name="all", scope={}, status="over", spent_usd="600")])
    first, second = frame.iter_rows(named=True)
    assert first["spent_usd"] == Decimal("412.5") and frame.schema["spent_usd"] == MONEY
    assert first["used"] == pytest.approx(0.825) and second["used"] == pytest.approx(1.2)
    assert (first["scope_text"], second["scope_text"]) == ("layer: analysis", "all calls")
    assert (first["status_text"], second["status_text"]) == ("Forecast over budget", "Over budget")
    assert budgets.progress_text(first) == "$412.50 of $500.00 (82%) · forecast $610.00 ($540.00 to $680.00)"
    assert budgets.budgets_frame([]).is_empty()


def test_alerts_frame():
    alerts = [
        {"created_at": "2026-11-16T12:00:00+00:00", "budget_name": "b", "kind": "threshold", "threshold": "0.8",
         "period_start": "2026-11-01T00:00:00+00:00", "spent_usd": "400", "amount_usd": "500", "forecast_usd": "610",
         "webhook": "delivered"},
        {"created_at": "2026-11-16T12:00:00+00:00", "budget_name": "b", "kind": "forecast", "threshold": "1",
         "period_start": "2026-11-01T00:00:00+00:00", "spent_usd": "400", "amount_usd": "500", "forecast_usd": "610",
         "webhook": "pending"},
    ]  # fmt: skip
    frame = budgets.alerts_frame(alerts)
    assert frame.get_column("crossed").to_list() == ["spend reached 80%", "forecast over 100%"]
    assert frame.get_column("created_at").to_list()[0] == "2026-11-16 12:00"
    assert frame.get_column("spent_usd").to_list()[0] == Decimal(400)
    assert budgets.alerts_frame([]).is_empty()


def test_budget_request_from_the_form():
    body = budgets.budget_request(" team ", "$1,500", "week", {"layer": ["chat"], "model": []}, "50%, 0.9, 100%")
    assert body == {"name": "team", "amount_usd": "1500", "period": "week", "thresholds": ["0.5", "0.9", "1"],
                    "scope": {"layer": ["chat"]}}  # fmt: skip
    assert "thresholds" not in budgets.budget_request("x", "5", "day", {}, "")
    for args, message in [
        (("", "5", "day", {}, ""), "name"),
        (("x", "lots", "day", {}, ""), "amount"),
        (("x", "-1", "day", {}, ""), "above"),
        (("x", "5", "day", {}, "half"), "Thresholds"),
    ]:
        with pytest.raises(ValueError, match=message):
            budgets.budget_request(*args)


def test_month_chart_data_runs_from_month_to_date_to_the_forecast():
    daily = pl.DataFrame({"day": [date(2026, 11, 1), date(2026, 11, 3)], "cost_usd": [Decimal(10), Decimal(5)]})
    daily = daily.with_columns(pl.col("cost_usd").cast(MONEY))
    forecast = {"month_to_date_usd": "15", "forecast_usd": "45", "forecast_low_usd": "30", "forecast_high_usd": "60"}
    actual, projection = budgets.month_chart_data(daily, forecast, date(2026, 11, 5))
    assert actual.get_column("cumulative_usd").to_list() == [10, 10, 15, 15, 15]  # day 2 had no spend
    first, last = projection.row(0, named=True), projection.row(-1, named=True)
    assert first["day"] == date(2026, 11, 5) and last["day"] == date(2026, 11, 30)
    assert (first["forecast_usd"], first["low_usd"], first["high_usd"]) == (15, 15, 15)
    assert (last["forecast_usd"], last["low_usd"], last["high_usd"]) == (45, 30, 60)
    _, none = budgets.month_chart_data(daily.head(0), None, date(2026, 11, 5))
    assert none.is_empty()


@pytest.fixture
def collector(tmp_path, send_spans, monkeypatch):
    handle = launch_clocked(tmp_path, NOW, TOKENLEDGER_ADMIN_TOKEN=ADMIN, TOKENLEDGER_ALERT_INTERVAL_S="3600")
    start = int(datetime(2026, 11, 16, 9, tzinfo=UTC).timestamp()) * NS

    def build(tracer):
        for i, (layer, customer) in enumerate((("analysis", "acme"), ("analysis", "acme"), ("chat", "globex"))):
            attrs = {"gen_ai.operation.name": "chat", "gen_ai.request.model": "mystery-model-9",
                     "gen_ai.usage.input_tokens": 1_000_000, "gen_ai.usage.output_tokens": 0,
                     "tokenledger.layer": layer, "tokenledger.customer": customer}  # fmt: skip
            tracer.start_span("chat", start_time=start + i * NS, attributes=attrs).end(end_time=start + i * NS + NS)

    send_spans(handle.url, build, headers={"Authorization": f"Bearer {ADMIN}"}, resource={"tokenledger.team": "data"})
    headers = {"Authorization": f"Bearer {ADMIN}"}
    for body in (
        {"name": "analysis monthly", "amount_usd": "1.5", "period": "month", "scope": {"layer": "analysis"}},
        {"name": "chat daily", "amount_usd": "100", "period": "day", "scope": {"layer": "chat"}},
    ):
        assert httpx.post(handle.url + "/api/v1/budgets", json=body, headers=headers).status_code == 201
    assert httpx.post(handle.url + "/api/v1/alerts/evaluate", headers=headers, timeout=30).status_code == 200
    monkeypatch.setenv("TOKENLEDGER_COLLECTOR_URL", handle.url)
    monkeypatch.setenv("TOKENLEDGER_ADMIN_TOKEN", ADMIN)
    yield handle
    handle.stop()


def _open_budgets() -> AppTest:
    at = AppTest.from_file(str(APP), default_timeout=60)
    at.run()
    at.switch_page("views/budgets.py").run()
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    return at


def test_budgets_page_shows_progress_status_and_alerts_and_creates_and_deletes(collector):
    at = _open_budgets()
    assert at.title[0].value == "Budgets"
    bars = at.get("progress")
    texts = [b.proto.text for b in bars]
    # 2M unpriced tokens estimated at $1/Mtok: $2.00 of $1.50; chat's $1.00 of $100.
    assert texts[0].startswith("$2.00 of $1.50 (133%)") and texts[1].startswith("$1.00 of $100.00 (1%)")
    markdown = " ".join(m.value for m in at.markdown)
    assert "**analysis monthly** · monthly · layer: analysis" in markdown
    badges = [b.proto.body for b in at.get("badge")] if at.get("badge") else markdown
    assert "Over budget" in str(badges)
    alerts = at.dataframe[0].value
    assert set(alerts["Crossed"] if "Crossed" in alerts else alerts["crossed"]) == {
        "spend reached 50%", "spend reached 80%", "spend reached 100%"}  # fmt: skip

    at.text_input[0].set_value("drafts weekly")
    at.text_input[1].set_value("25")
    at.selectbox[0].set_value("week")
    submit = next(b for b in at.button if b.label == "Create budget")
    submit.click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert any("Created budget 'drafts weekly'" in s.value for s in at.success)
    listed = httpx.get(collector.url + "/api/v1/budgets", headers={"Authorization": f"Bearer {ADMIN}"}).json()
    assert [b["name"] for b in listed["budgets"]][-1] == "drafts weekly"

    next(b for b in at.button if b.key == "delete_budget_2").click().run()
    assert any("Deleted budget 'chat daily'" in s.value for s in at.success)
    listed = httpx.get(collector.url + "/api/v1/budgets", headers={"Authorization": f"Bearer {ADMIN}"}).json()
    assert [b["name"] for b in listed["budgets"]] == ["analysis monthly", "drafts weekly"]


def test_overview_shows_the_month_end_forecast(collector):
    at = AppTest.from_file(str(APP), default_timeout=60)
    at.query_params.update({"from": "2026-11-01", "to": "2026-11-30"})
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    metrics = {m.label: m.value for m in at.metric}
    # The collector's clock says 2026-11-16 12:00: $3.00 spent today, no complete day before it, so a plain run
    # rate of $6.00 a day for the 14.5 days left.
    assert metrics["Month to date (incl. estimates)"] == "$3.00"
    assert metrics["Month-end forecast"] == "$90.00"
    assert any("run_rate (0 days of history)" in c.value for c in at.caption)


def test_spend_page_breaks_down_and_filters_by_customer_and_team(collector):
    at = AppTest.from_file(str(APP), default_timeout=60)
    at.query_params.update({"from": "2026-11-01", "to": "2026-11-30"})
    at.run()
    at.switch_page("views/spend.py").run()
    assert not at.exception, [e.value for e in at.exception]
    tables = {tuple(df.value.columns)[0]: df.value for df in at.dataframe}
    customers = dict(zip(tables["customer"]["customer"], tables["customer"]["total_usd"], strict=True))
    assert customers == {"acme": "$2.00", "globex": "$1.00"}
    assert list(tables["team"]["team"]) == ["data"]
    assert set(tables["feature"]["feature"]) == {"unattributed"}
    at.multiselect(key="f_customer").set_value(["acme"]).run()
    assert not at.exception
    assert next(m.value for m in at.metric if m.label == "Calls") == "2"
    assert at.query_params["customer"] in ("acme", ["acme"])  # shareable in the URL like every filter

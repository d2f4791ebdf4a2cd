"""Budgets: CRUD and validation, spend with estimates, alerts once per threshold and period, across restarts,
delivered to a local webhook with retries; and the forecast route."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from decimal import Decimal

import httpx
import pytest
from conftest import HAIKU, otlp_json_request, otlp_json_span
from helpers.finance import WebhookReceiver, launch_clocked

pytestmark = pytest.mark.conformance  # runs on every store (tests/plugins/collector.py)

NOW = datetime(2026, 11, 16, 12, tzinfo=UTC)
NS = 1_000_000_000
TODAY_9AM = int(datetime(2026, 11, 16, 9, tzinfo=UTC).timestamp()) * NS
ADMIN = {"Authorization": "Bearer admin-test-token"}
READ = {"Authorization": "Bearer read-test-token"}
TOKENS = {"TOKENLEDGER_ADMIN_TOKEN": "admin-test-token", "TOKENLEDGER_READ_TOKEN": "read-test-token"}


@pytest.fixture
def collector(tmp_path):
    handle = launch_clocked(tmp_path, NOW, **TOKENS, TOKENLEDGER_ALERT_INTERVAL_S="3600")
    yield handle
    handle.stop()


@pytest.fixture
def webhook():
    receiver = WebhookReceiver()
    yield receiver
    receiver.close()


def _budget(url, body, headers=ADMIN, timeout=30):
    return httpx.post(url + "/api/v1/budgets", json=body, headers=headers, timeout=10)


def _send_unpriced(send_spans, url, count, *, input_tokens=200_000, layer="analysis", start=TODAY_9AM):
    """`count` calls of a model with no card: each estimated at the default model's $1/Mtok input rate."""

    def build(tracer):
        for i in range(count):
            span = tracer.start_span(
                "chat mystery-model",
                start_time=start + i * NS,
                attributes={
                    "gen_ai.operation.name": "chat",
                    "gen_ai.request.model": "mystery-model-9",
                    "gen_ai.usage.input_tokens": input_tokens,
                    "gen_ai.usage.output_tokens": 0,
                    "tokenledger.layer": layer,
                },
            )
            span.end(end_time=start + i * NS + NS // 2)

    results = send_spans(url, build, headers={"Authorization": "Bearer admin-test-token"})
    assert all(r.name == "SUCCESS" for r in results)


def test_budgets_crud(collector):
    body = {"name": "analysis monthly", "amount_usd": "500", "period": "month", "scope": {"layer": "analysis"},
            "thresholds": [0.5, 0.8, 1.0]}  # fmt: skip
    created = _budget(collector.url, body)
    assert created.status_code == 201, created.text
    budget_id = created.json()["id"]
    assert created.json()["scope"] == {"layer": ["analysis"]}
    assert created.json()["thresholds"] == ["0.5", "0.8", "1"]
    listed = httpx.get(collector.url + "/api/v1/budgets", headers=READ, timeout=30).json()["budgets"]
    assert [b["id"] for b in listed] == [budget_id]
    got = listed[0]
    assert got["period_start"] == "2026-11-01T00:00:00+00:00" and got["period_end"] == "2026-12-01T00:00:00+00:00"
    assert (got["spent_usd"], got["priced_usd"], got["estimated_usd"], got["status"]) == ("0", "0", "0", "ok")
    assert _budget(collector.url, body, headers=READ, timeout=30).status_code == 401  # creating needs the admin token
    assert httpx.delete(f"{collector.url}/api/v1/budgets/{budget_id}", headers=READ, timeout=30).status_code == 401
    assert httpx.delete(f"{collector.url}/api/v1/budgets/{budget_id}", headers=ADMIN, timeout=30).status_code == 200
    assert httpx.delete(f"{collector.url}/api/v1/budgets/{budget_id}", headers=ADMIN, timeout=30).status_code == 404
    assert httpx.get(collector.url + "/api/v1/budgets", headers=READ, timeout=30).json() == {"budgets": []}


def test_week_and_day_periods(collector):
    for period in ("day", "week"):
        assert _budget(collector.url, {"name": period, "amount_usd": 1, "period": period}).status_code == 201
    listed = httpx.get(collector.url + "/api/v1/budgets", headers=READ, timeout=30).json()["budgets"]
    got = {b["name"]: b for b in listed}
    assert got["day"]["period_start"] == "2026-11-16T00:00:00+00:00"
    assert got["week"]["period_start"] == "2026-11-16T00:00:00+00:00"  # a Monday
    assert got["week"]["period_end"] == "2026-11-23T00:00:00+00:00"
    assert got["day"]["scope"] == {} and got["day"]["thresholds"] == ["0.5", "0.8", "1"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"amount_usd": "5", "period": "month"}, "name"),
        ({"name": "x", "period": "month"}, "amount_usd"),
        ({"name": "x", "amount_usd": "-5", "period": "month"}, "amount_usd"),
        ({"name": "x", "amount_usd": "lots", "period": "month"}, "amount_usd"),
        ({"name": "x", "amount_usd": "1.0000000000001", "period": "month"}, "amount_usd"),
        ({"name": "x", "amount_usd": "5", "period": "year"}, "period"),
        ({"name": "x", "amount_usd": "5", "period": "month", "scope": {"layr": "chat"}}, "scope.layr"),
        ({"name": "x", "amount_usd": "5", "period": "month", "scope": {"layer": []}}, "scope.layer"),
        ({"name": "x", "amount_usd": "5", "period": "month", "scope": "chat"}, "scope"),
        ({"name": "x", "amount_usd": "5", "period": "month", "thresholds": [0]}, "thresholds"),
        ({"name": "x", "amount_usd": "5", "period": "month", "thresholds": "0.5"}, "thresholds"),
        ({"name": "x", "amount_usd": "5", "period": "month", "thresholds": [True]}, "thresholds"),
        ({"name": "x", "amount_usd": "5", "period": "month", "colour": "red"}, "colour"),
        ([1, 2], "JSON object"),
    ],
)
def test_bad_budgets_are_400_naming_the_field(collector, body, field):
    response = _budget(collector.url, body)
    assert response.status_code == 400
    assert field in response.json()["detail"]


def test_bad_budget_requests(collector):
    bad_json = httpx.post(collector.url + "/api/v1/budgets", content=b"{", headers=ADMIN, timeout=30)
    assert bad_json.status_code == 400
    assert httpx.delete(collector.url + "/api/v1/budgets/abc", headers=ADMIN, timeout=30).status_code == 400
    alerts = httpx.get(collector.url + "/api/v1/alerts", params={"limit": "-1"}, headers=READ, timeout=30)
    assert alerts.status_code == 400


def _evaluate(url):
    """Evaluate now; the ids this evaluation recorded. An ingest also nudges the background evaluator, which may
    record an alert first (the route then returns []): assert on `_alerts` or the webhook, not on this list."""
    response = httpx.post(url + "/api/v1/alerts/evaluate", headers=ADMIN, timeout=30)
    assert response.status_code == 200, response.text
    return response.json()["new_alerts"]


def _alerts(url):
    return httpx.get(url + "/api/v1/alerts", headers=READ, timeout=30).json()["alerts"]


def test_thresholds_alert_once_each_with_estimates_and_survive_a_restart(tmp_path, send_spans, webhook):
    env = {**TOKENS, "TOKENLEDGER_ALERT_INTERVAL_S": "3600", "TOKENLEDGER_ALERT_WEBHOOK_URL": webhook.url}
    collector = launch_clocked(tmp_path, NOW, **env)
    try:
        body = {"name": "analysis monthly", "amount_usd": "1", "period": "month", "scope": {"layer": "analysis"},
                "thresholds": [0.5, 1.0]}  # fmt: skip
        assert _budget(collector.url, body).status_code == 201
        _send_unpriced(send_spans, collector.url, 1, layer="chat")  # out of scope: no alert
        _send_unpriced(send_spans, collector.url, 3)  # 3 x 200k tokens, unpriced: estimated $0.60
        _evaluate(collector.url)
        _evaluate(collector.url)  # a second evaluation adds nothing
        kinds = sorted((b["kind"], b["threshold"]) for b in webhook.bodies)
        # The spend crossed 50 %; the run rate of today (0.60 in 12 h) forecasts far past $1.
        assert kinds == [("forecast", "1"), ("threshold", "0.5")]
        spend_alert = next(b for b in webhook.bodies if b["kind"] == "threshold")
        assert spend_alert["spent_usd"] == "0.6" and spend_alert["amount_usd"] == "1"
        assert "analysis monthly" in spend_alert["text"] and "$0.60 of $1.00" in spend_alert["text"]
        status = httpx.get(collector.url + "/api/v1/budgets", headers=READ, timeout=30).json()["budgets"][0]
        assert (status["spent_usd"], status["priced_usd"], status["estimated_usd"]) == ("0.6", "0", "0.6")
        assert status["status"] == "forecast_over"

        _send_unpriced(send_spans, collector.url, 2, start=TODAY_9AM + 3600 * NS)  # now $1.00: crosses 100 %
        _evaluate(collector.url)
        assert [(b["kind"], b["threshold"]) for b in webhook.bodies[2:]] == [("threshold", "1")]
        status = httpx.get(collector.url + "/api/v1/budgets", headers=READ, timeout=30).json()["budgets"][0]
        assert status["status"] == "over"

        collector.restart()
        assert _evaluate(collector.url) == []
        assert len(webhook.bodies) == 3  # no repeat after the restart
        stored = _alerts(collector.url)
        assert len(stored) == 3 and {a["webhook"] for a in stored} == {"delivered"}
    finally:
        collector.stop()


def test_a_new_period_alerts_again(tmp_path, send_spans):
    collector = launch_clocked(tmp_path, NOW, **TOKENS, TOKENLEDGER_ALERT_INTERVAL_S="3600")
    try:
        assert _budget(collector.url, {"name": "daily", "amount_usd": "0.1", "period": "day",
                                       "thresholds": [1]}).status_code == 201  # fmt: skip
        _send_unpriced(send_spans, collector.url, 1)
        _evaluate(collector.url)
        # the spend threshold; past the amount, no forecast alert
        assert [(a["kind"], a["threshold"]) for a in _alerts(collector.url)] == [("threshold", "1")]
        tomorrow = datetime(2026, 11, 17, 12, tzinfo=UTC)
        _send_unpriced(send_spans, collector.url, 1, start=int(tomorrow.timestamp()) * NS - 3600 * NS)
        collector.clock = lambda: tomorrow
        collector.restart()  # the evaluator's first pass at start-up sees the new day
        _evaluate(collector.url)
        periods = {a["period_start"] for a in _alerts(collector.url) if a["kind"] == "threshold"}
        assert periods == {"2026-11-16T00:00:00+00:00", "2026-11-17T00:00:00+00:00"}
    finally:
        collector.stop()


def test_webhook_failures_are_retried_and_the_url_is_not_logged(tmp_path, send_spans, caplog):
    receiver = WebhookReceiver(fail_first=2)
    env = {**TOKENS, "TOKENLEDGER_ALERT_INTERVAL_S": "3600", "TOKENLEDGER_ALERT_WEBHOOK_URL": receiver.url}
    collector = launch_clocked(tmp_path, NOW, **env)
    try:
        assert _budget(collector.url, {"name": "all", "amount_usd": "100", "period": "month",
                                       "thresholds": [0.001]}).status_code == 201  # fmt: skip
        _send_unpriced(send_spans, collector.url, 1)
        _evaluate(collector.url)
        assert receiver.requests == 3 and len(receiver.bodies) == 1
        (alert,) = _alerts(collector.url)
        assert alert["webhook"] == "delivered" and alert["attempts"] == 3
        assert "127.0.0.1" in caplog.text and "s3cr3t" not in caplog.text
    finally:
        collector.stop()
        receiver.close()


def test_ingest_nudges_the_evaluator(collector, send_spans):
    assert _budget(collector.url, {"name": "all", "amount_usd": "0.01", "period": "month"}).status_code == 201
    _send_unpriced(send_spans, collector.url, 1)
    deadline = time.monotonic() + 15  # bounded poll: the interval is an hour, so only the nudge can do it
    while time.monotonic() < deadline and not _alerts(collector.url):
        time.sleep(0.1)
    assert {a["kind"] for a in _alerts(collector.url)} >= {"threshold"}


DAY_NS = 86_400 * NS


def test_forecast_route_constant_spend(tmp_path):
    now = datetime(2026, 11, 16, tzinfo=UTC)  # 15 complete days, 15 to come
    collector = launch_clocked(tmp_path, now)
    try:
        nov1 = int(datetime(2026, 11, 1, tzinfo=UTC).timestamp()) * NS
        start = nov1 - 20 * DAY_NS  # October's last 20 days too: the pattern's history
        spans = []
        for day in range(35):
            for layer in ("chat", "analysis"):
                attrs = {**HAIKU, "tokenledger.layer": layer}  # 0.0015 USD each
                spans.append(otlp_json_span(f"{day:08x}{len(spans):08x}", attrs, start_ns=start + day * DAY_NS))
        assert httpx.post(collector.url + "/v1/traces", json=otlp_json_request(spans)).status_code == 200
        rows = httpx.get(collector.url + "/api/v1/forecast", params={"group_by": "layer"}).json()["rows"]
        assert [r["layer"] for r in rows] == ["analysis", "chat"]
        for row in rows:
            assert Decimal(row["month_to_date_usd"]) == Decimal("0.0015") * 15
            assert Decimal(row["forecast_usd"]) == Decimal("0.0015") * 30
            assert row["forecast_low_usd"] == row["forecast_high_usd"] == row["forecast_usd"]
            assert row["method"].startswith("weekday_weekend") and row["month_start"] == "2026-11-01"
        (total,) = httpx.get(collector.url + "/api/v1/forecast", params={"group_by": "none",
                                                                         "layer": "chat"}).json()["rows"]  # fmt: skip
        assert Decimal(total["forecast_usd"]) == Decimal("0.045")
        for params in ({"start": "2026-11-01"}, {"group_by": "day"}, {"group_by": "layer,trace_id"}):
            assert httpx.get(collector.url + "/api/v1/forecast", params=params).status_code == 400
    finally:
        collector.stop()

"""The read-API client against the real collector: Arrow in, exact Decimals out, and clear errors."""

from __future__ import annotations

from decimal import Decimal

import polars as pl
import pytest
from helpers.collector import free_port, launch_collector
from helpers.otlp import export_spans
from test_dashboard_app import ADMIN, IN_PERIOD, PERIOD, READ, SEED, expected_by_layer, feed

from dashboard import CollectorUnavailable, NotAuthorized, ReadClient, RequestRejected, spend
from dashboard.money import MONEY

pytestmark = pytest.mark.conformance  # runs on every store (tests/plugins/collector.py)


@pytest.fixture(scope="module")
def collector(store_kind, tmp_path_factory):  # store_kind: one per store (conformance)
    """One collector holding SEED for the module: every test here only reads (a preview writes nothing)."""
    handle = launch_collector(
        tmp_path_factory.mktemp("client"), mode="thread", TOKENLEDGER_ADMIN_TOKEN=ADMIN, TOKENLEDGER_READ_TOKEN=READ
    )
    try:
        feed(
            handle.url,
            lambda url, build, **kw: export_spans(url, build, headers={"Authorization": f"Bearer {ADMIN}"}, **kw),
        )
        yield handle
    finally:
        handle.stop()


PARAMS = {"start": PERIOD["from"], "end": PERIOD["to"]}


def test_spend_by_layer_is_exact(collector):
    with ReadClient(collector.url, read_token=READ) as client:
        frame = client.spend(["layer"], PARAMS)
    assert frame.schema["cost_usd"] == MONEY and frame.schema["priced_cost_usd"] == MONEY
    got = {r["layer"]: r for r in frame.to_dicts()}
    for layer, want in expected_by_layer(IN_PERIOD).items():
        assert got[layer]["priced_cost_usd"] == want["priced"], layer
        assert got[layer]["unpriced_cost_usd"] == want["estimated"], layer
        assert got[layer]["cost_usd"] == want["total"], layer
    assert spend.totals(frame).calls == len(IN_PERIOD)


def test_daily_grouping_and_empty_range(collector):
    with ReadClient(collector.url, read_token=READ) as client:
        daily = client.spend(["day", "layer"], PARAMS)
        empty = client.spend(["day", "layer"], {"start": "2020-01-01", "end": "2020-01-31"})
    assert daily.schema["day"] == pl.Date
    assert daily.height == len({(c.start.date(), c.effective_layer) for c in IN_PERIOD})
    assert spend.daily_by_layer(empty).is_empty()
    assert spend.totals(spend.ensure_spend(empty, ["day", "layer"])).total_usd == Decimal(0)


def test_calls_review_and_card_preview(collector):
    with ReadClient(collector.url, read_token=READ, admin_token=ADMIN) as client:
        calls = client.calls(PARAMS, limit=100)
        queue = client.review()
        preview = client.preview_card(
            {
                "model": "gpt-4o-mini",
                "input_usd_per_mtok": "1",
                "output_usd_per_mtok": "2",
                "effective_from": "2026-01-01",
            }
        )
        assert client.repricings() == []  # a preview writes no audit row
    assert calls.height == len(IN_PERIOD) and calls.schema["cost_usd"] == MONEY
    assert {m["model"] for m in queue} == {"grok-9-preview", "gpt-4o-mini"}
    assert preview["rows"] == 1
    assert Decimal(preview["new_cost_usd"]) == (Decimal(30_000) * 1 + Decimal(4_000) * 2) / Decimal(1_000_000)


def test_errors_are_translated(collector):
    with ReadClient(collector.url, read_token="sk-test-not-a-real-key-wrong") as client:
        with pytest.raises(NotAuthorized, match="401") as info:
            client.spend(["layer"], PARAMS)
        assert "sk-test" not in str(info.value)
    with ReadClient(collector.url, read_token=READ) as client:
        with pytest.raises(RequestRejected, match="unknown group_by") as bad:
            client.spend(["colour"], PARAMS)
        assert bad.value.status_code == 400
        with pytest.raises(NotAuthorized, match="TOKENLEDGER_ADMIN_TOKEN"):
            client.apply_card({"model": "x"})  # no admin token: the collector (with tokens) refuses
    with ReadClient(collector.url, read_token=READ, admin_token=READ) as client:
        with pytest.raises(NotAuthorized, match="403|401"):
            client.preview_card({"model": "x", "input_usd_per_mtok": "1", "output_usd_per_mtok": "1"})
    with ReadClient(f"http://127.0.0.1:{free_port()}") as client:
        with pytest.raises(CollectorUnavailable, match="Cannot reach the collector"):
            client.healthz()
    assert len(SEED) > len(IN_PERIOD)

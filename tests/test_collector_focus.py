"""GET /api/v1/export/focus: FOCUS 1.2 rows that the FinOps Foundation's validator accepts and that reconcile with
/api/v1/spend. The validator runs from its own virtual environment (`make focus-validator`, Python 3.12+)."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import xml.etree.ElementTree as ET
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import httpx
import pyarrow.parquet as pq
import pytest
from helpers.collector import launch_collector
from helpers.otlp import otlp_json_request
from test_collector_api import HOUR, NOV1, NOV2, _call

import rates
from tokenledger import contract

pytestmark = pytest.mark.conformance  # runs on every store (tests/plugins/collector.py)

ROOT = Path(__file__).resolve().parent.parent
VALIDATOR_VENV = Path(os.environ.get("FOCUS_VALIDATOR_VENV", ROOT / ".venv-focus"))
SONNET, HAIKU = "claude-sonnet-4-5", "claude-haiku-4-5"
CALLS = [  # (span id, service, layer, model, input, output, cache read, cache write, start)
    ("f000000000000001", "bff", "chat", HAIKU, 10_000, 200, 8_000, 1_000, NOV1 + HOUR),
    ("f000000000000002", "bff", "chat", HAIKU, 4_000, 100, 3_000, 0, NOV1 + 3 * HOUR),
    ("f000000000000003", "worker", "drafts", SONNET, 250_000, 500, 0, 0, NOV1 + HOUR),  # long-context tier
    ("f000000000000004", "worker", "drafts", SONNET, 2_000, 50, 0, 2_000, NOV2 + HOUR),
    ("f000000000000005", "worker", "analysis", "mystery-model", 3_000, 300, 1_000, 0, NOV2 + HOUR),  # unpriced
    ("f000000000000006", "worker", "analysis", HAIKU, 1_000, 10, 0, 0, NOV2 + 30 * HOUR),  # outside the range
]


@pytest.fixture(scope="module")
def api(store_kind, tmp_path_factory):  # store_kind: one per store (conformance)
    collector = launch_collector(tmp_path_factory.mktemp("focus"), mode="thread")
    try:
        for service in ("bff", "worker"):
            spans = [
                _call(sid, model, start, layer=layer, tokens=(i, o), **{
                    "gen_ai.usage.cache_read.input_tokens": cr, "gen_ai.usage.cache_creation.input_tokens": cw,
                })
                for sid, svc, layer, model, i, o, cr, cw, start in CALLS
                if svc == service
            ]  # fmt: skip
            resource = {"service.name": service, "deployment.environment.name": "prod"}
            response = httpx.post(collector.url + "/v1/traces", json=otlp_json_request(spans, resource=resource))
            assert response.status_code == 200
        yield collector
    finally:
        collector.stop()


RANGE = {"start": "2025-11-01", "end": "2025-11-02"}


def _export(api, fmt: str) -> httpx.Response:
    response = httpx.get(api.url + "/api/v1/export/focus", params={**RANGE, "format": fmt}, timeout=30)
    assert response.status_code == 200, response.text
    return response


def _csv_rows(api) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(_export(api, "csv").text)))


def test_billed_cost_reconciles_with_the_spend_api(api):
    rows = _csv_rows(api)
    spend = httpx.get(api.url + "/api/v1/spend", params={**RANGE, "group_by": "none"}, timeout=10).json()["rows"][0]
    billed = sum((Decimal(r["BilledCost"]) for r in rows), Decimal(0))
    estimated = sum((Decimal(r["x_EstimatedCost"]) for r in rows if r["x_EstimatedCost"]), Decimal(0))
    assert billed == Decimal(spend["priced_cost_usd"]) > 0
    assert estimated == Decimal(spend["unpriced_cost_usd"]) > 0
    assert billed + estimated == Decimal(spend["cost_usd"])


def test_rows_per_component_priced_by_rates(api):
    rows = _csv_rows(api)
    tier = [r for r in rows if r["SkuPriceId"].endswith("/long_context")]
    assert {r["x_ChargeComponent"] for r in tier} == {"input", "output"}
    at = datetime.fromtimestamp((NOV1 + HOUR) / 1e9, UTC)
    want = rates.price_call(rates.default_book(), SONNET, rates.Usage(250_000, 500), at=at)
    assert sum((Decimal(r["BilledCost"]) for r in tier), Decimal(0)) == want.cost_usd
    for r in rows:
        assert Decimal(r["PricingQuantity"]) * Decimal(r["ListUnitPrice"] or 0) == Decimal(r["ListCost"])
        assert r["ChargeCategory"] == "Usage" and r["BillingCurrency"] == "USD"
        assert r["ChargePeriodStart"].endswith("T00:00:00Z") and r["BillingPeriodStart"].startswith("2025-11-01T")
    unpriced = [r for r in rows if r["x_PricingUnknown"] == "true"]
    assert unpriced and all(Decimal(r["BilledCost"]) == 0 and Decimal(r["x_EstimatedCost"]) > 0 for r in unpriced)
    tags = json.loads(unpriced[0]["Tags"])
    assert tags["layer"] == "analysis" and tags["service"] == "worker" and tags["environment"] == "prod"
    chat_cache = [
        r for r in rows if r["x_ChargeComponent"] == "cache_read" and json.loads(r["Tags"])["layer"] == "chat"
    ]
    assert [Decimal(r["ConsumedQuantity"]) for r in chat_cache] == [Decimal(11_000)]


def test_parquet_matches_csv(api):
    table = pq.read_table(io.BytesIO(_export(api, "parquet").content))
    assert table.num_rows == len(_csv_rows(api))
    assert sum(table.column("BilledCost").to_pylist()) == sum(Decimal(r["BilledCost"]) for r in _csv_rows(api))


def test_bad_export_requests_are_400(api):
    for params in ({}, {"start": "2025-11-01"}, {**RANGE, "format": "xlsx"}, {**RANGE, "group_by": "layer"}):
        response = httpx.get(api.url + "/api/v1/export/focus", params=params, timeout=10)
        assert response.status_code == 400, (params, response.text)


def _validate(path: Path, fmt: str) -> tuple[int, int, int, str]:
    """(tests, failures, errors, report) from focus-validator's unittest-format report on `path`."""
    binary = VALIDATOR_VENV / "bin" / "focus-validator"
    if not binary.exists():
        pytest.fail(f"focus-validator is not installed at {binary}: run `make focus-validator` (needs python3.12+)")
    package = next((VALIDATOR_VENV / "lib").glob("python3.*/site-packages/focus_validator"))
    report = path.with_suffix(".xml")
    # It opens its currency list by a path relative to its package folder, so it runs from there; it exits 0
    # whatever it finds, so the report is what counts.
    subprocess.run(
        [str(binary), "--data-file", str(path), "--data-format", fmt, "--validate-version", "1.2",
         "--block-download", "--output-type", "unittest", "--output-destination", str(report)],
        cwd=package.parent, check=True, capture_output=True, timeout=600,
    )  # fmt: skip
    text = report.read_text()
    root = ET.fromstring(text)
    assert root.tag == "testsuites", text[:500]  # the totals are on the root
    return int(root.get("tests")), int(root.get("failures")), int(root.get("errors")), text


def _or_branches() -> dict[str, str]:
    """{rule id: the OR composite it is a branch of}, from the validator's own FOCUS 1.2 rule model."""
    package = next((VALIDATOR_VENV / "lib").glob("python3.*/site-packages/focus_validator"))
    (model,) = package.glob("rules/model-1.2*.json")
    branches: dict[str, str] = {}

    def walk(node):
        if isinstance(node, dict):
            for key, value in node.items():
                criteria = value.get("ValidationCriteria", {}) if isinstance(value, dict) else {}
                requirement = criteria.get("Requirement", {}) if isinstance(criteria, dict) else {}
                if requirement.get("CheckFunction") == "OR":
                    for item in requirement.get("Items", []):
                        if item.get("CheckFunction") == "CheckModelRule":
                            branches[item["ModelRuleId"]] = key
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(json.loads(model.read_text()))
    return branches


def _failures(text: str) -> list[str]:
    """Failed or errored rules, except a branch of an OR composite that passed.

    The report lists each branch of an OR rule on its own: FOCUS 1.2's InvoiceId-C-003-C is "004 (MUST be null
    without an invoice) OR 005 (MUST NOT be null with one)", so whichever branch does not apply is reported failed
    while the rule itself (the composite) passes.
    """
    root = ET.fromstring(text)
    outcome: dict[str, str] = {}
    messages: dict[str, str] = {}
    for case in root.iter("testcase"):
        rule = (case.get("name") or "").split(" :: ")[0]
        bad = [*case.findall("failure"), *case.findall("error")]
        outcome[rule] = "bad" if bad else ("skipped" if case.findall("skipped") else "passed")
        if bad:
            messages[rule] = (bad[0].get("message") or bad[0].text or "")[:300]
    branches = _or_branches()
    return [
        f"{rule}: {message}"
        for rule, message in messages.items()
        if outcome.get(branches.get(rule, ""), "") != "passed"
    ]


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_export_passes_focus_validator(api, tmp_path, fmt):
    path = tmp_path / f"focus.{fmt}"
    path.write_bytes(_export(api, fmt).content)
    tests, failures, errors, text = _validate(path, fmt)
    assert tests > 100  # the FOCUS 1.2 rule set ran, not an empty report
    unexcused = _failures(text)
    assert not unexcused, "\n".join(unexcused)
    assert failures + errors <= 1  # at most the one InvoiceId nullability branch (see _failures)


def test_a_rate_finer_than_the_money_scale_still_exports(tmp_path):
    # 7 decimals per million tokens: one token costs 1.234567e-7 USD (13 decimals), below the stored 12
    collector = launch_collector(tmp_path, mode="thread")
    try:
        card = {
            "model": "fine-model", "effective_from": "2020-01-01", "source": "test",
            "input_usd_per_mtok": "0.1234567", "output_usd_per_mtok": "0.1234567",
        }  # fmt: skip
        assert httpx.post(collector.url + "/api/v1/rates", json=card, timeout=10).status_code in (200, 201)
        span = _call("f100000000000001", "fine-model", NOV1 + HOUR, layer="chat", tokens=(1, 1))
        assert httpx.post(collector.url + "/v1/traces", json=otlp_json_request([span])).status_code == 200
        for fmt in ("csv", "parquet"):
            response = httpx.get(collector.url + "/api/v1/export/focus", params={**RANGE, "format": fmt}, timeout=30)
            assert response.status_code == 200, response.text
        rows = list(csv.DictReader(io.StringIO(response_csv(collector).text)))
        # each component rounded to 12 decimals (so this one reconciles with the stored cost to 1e-12 only)
        want = Decimal("0.000000123457")
        assert {r["x_ChargeComponent"]: Decimal(r["BilledCost"]) for r in rows} == {"input": want, "output": want}
    finally:
        collector.stop()


def _totals(client) -> tuple[dict, Decimal, Decimal]:
    """(the spend API's total row, the export's BilledCost total, its x_EstimatedCost total) for RANGE."""
    spend = client.get("/api/v1/spend", params={**RANGE, "group_by": "none"}).json()["rows"][0]
    rows = list(csv.DictReader(io.StringIO(client.get("/api/v1/export/focus", params=RANGE).text)))
    billed = sum((Decimal(r["BilledCost"]) for r in rows), Decimal(0))
    estimated = sum((Decimal(r["x_EstimatedCost"]) for r in rows if r["x_EstimatedCost"]), Decimal(0))
    return spend, billed, estimated


def test_the_estimate_is_the_stored_one_also_after_a_new_default_model_card(tmp_path):
    collector = launch_collector(tmp_path, mode="asgi")
    try:
        spans = [
            _call("f200000000000001", HAIKU, NOV1 + HOUR, layer="chat", tokens=(4_000, 300)),
            _call("f200000000000002", "mystery-model", NOV1 + HOUR, layer="chat", tokens=(3_000, 700), **{
                "gen_ai.usage.cache_read.input_tokens": 1_000,
            }),
        ]  # fmt: skip
        assert collector.client.post("/v1/traces", json=otlp_json_request(spans)).status_code == 200
        spend, billed, estimated = _totals(collector.client)
        stored_estimate = Decimal(spend["unpriced_cost_usd"])
        assert (billed, estimated) == (Decimal(spend["priced_cost_usd"]), stored_estimate)
        # a new card for the model that estimates unpriced calls: it reprices Haiku, not the stored estimate
        card = {"model": HAIKU, "effective_from": "2025-06-01", "source": "test",
                "input_usd_per_mtok": "2", "output_usd_per_mtok": "10"}  # fmt: skip
        assert collector.client.post("/api/v1/rates", json=card).status_code in (200, 201)
        spend, billed, estimated = _totals(collector.client)
        assert Decimal(spend["unpriced_cost_usd"]) == stored_estimate
        assert billed == Decimal(spend["priced_cost_usd"]) == Decimal(4_000 * 2 + 300 * 10) / 1_000_000
        assert estimated == stored_estimate
    finally:
        collector.stop()


def response_csv(collector) -> httpx.Response:
    return httpx.get(collector.url + "/api/v1/export/focus", params={**RANGE, "format": "csv"}, timeout=30)


def test_finance_routes_need_the_read_token(tmp_path):
    collector = launch_collector(tmp_path, mode="thread", TOKENLEDGER_READ_TOKEN="sk-test-read")
    try:
        routes = [
            ("/api/v1/export/focus", RANGE),
            ("/api/v1/whatif", {"alternative": HAIKU}),
            ("/api/v1/savings/policy", {}),
            ("/api/v1/cache", {}),
        ]
        for path, params in routes:
            assert httpx.get(collector.url + path, params=params, timeout=10).status_code == 401, path
            ok = httpx.get(collector.url + path, params=params, headers={"Authorization": "Bearer sk-test-read"})
            assert ok.status_code == 200, (path, ok.text)
    finally:
        collector.stop()


def test_one_hour_writes_tiers_and_web_searches_reconcile(tmp_path):
    """Calls priced with the issue-17 card fields (1-hour cache writes, the batch multiplier, web searches per
    1,000) export at the same figures `rates` priced them at: BilledCost per call equals `price_call`'s cost."""
    at = datetime(2026, 11, 10, 12, tzinfo=UTC)  # after 2026-10-14, when sonnet-4-5's card gains its batch tier
    start_ns = int(at.timestamp() * 1e9)
    usage = rates.Usage(120_000, 800, cache_write_tokens=100_000, cache_write_1h_tokens=60_000, web_search_requests=3)
    calls = [("f100000000000001", "batch"), ("f100000000000002", None)]
    spans = [
        _call(sid, SONNET, start_ns + i * HOUR, layer="drafts", tokens=(usage.input_tokens, usage.output_tokens), **{
            "gen_ai.usage.cache_creation.input_tokens": usage.cache_write_tokens,
            contract.CACHE_WRITE_1H_TOKENS: usage.cache_write_1h_tokens,
            contract.WEB_SEARCH_REQUESTS: usage.web_search_requests,
            **({contract.SERVICE_TIER: tier} if tier else {}),
        })
        for i, (sid, tier) in enumerate(calls)
    ]  # fmt: skip
    collector = launch_collector(tmp_path, mode="thread")
    try:
        body = otlp_json_request(spans, resource={"service.name": "w"})
        response = httpx.post(collector.url + "/v1/traces", json=body)
        assert response.status_code == 200, response.text
        day = {"start": "2026-11-10", "end": "2026-11-10"}
        export = httpx.get(collector.url + "/api/v1/export/focus", params={**day, "format": "csv"}, timeout=30)
        assert export.status_code == 200, export.text
        rows = list(csv.DictReader(io.StringIO(export.text)))
        spend = httpx.get(collector.url + "/api/v1/spend", params={**day, "group_by": "none"}, timeout=10).json()
    finally:
        collector.stop()
    book = rates.default_book()
    want = {
        tier or "standard": rates.price_call(book, SONNET, usage, at=at, service_tier=tier).cost_usd
        for _, tier in calls
    }
    assert want["batch"] < want["standard"]  # the tier applies: the test would not tell otherwise
    billed = {"batch": Decimal(0), "standard": Decimal(0)}
    for r in rows:
        billed["batch" if r["SkuPriceId"].endswith("/batch") else "standard"] += Decimal(r["BilledCost"])
    assert billed == want
    assert sum(billed.values()) == Decimal(spend["rows"][0]["priced_cost_usd"])
    components = {r["x_ChargeComponent"] for r in rows}
    assert {"cache_write", "cache_write_1h", "web_search"} <= components
    searches = [r for r in rows if r["x_ChargeComponent"] == "web_search"]
    assert all(r["PricingUnit"] == "1000 Requests" and r["ConsumedUnit"] == "Requests" for r in searches)

"""Reconciliation against an imported daily usage file: each cause on a known data set, idempotent imports, and a
malformed file refused with a 400 naming the line and column (the collector in process, on a real DuckDB file,
fed OTLP JSON); on every store: the conformance suite)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from helpers.collector import launch_collector
from helpers.reconciliation import HAIKU, HEADER, SONNET, cost, ledger_request, report

import rates

pytestmark = pytest.mark.conformance  # runs on every store (tests/plugins/collector.py)


@pytest.fixture(scope="module")
def api(store_kind, tmp_path_factory):  # store_kind: one per store (conformance)
    collector = launch_collector(tmp_path_factory.mktemp("reconciliation"), mode="asgi")
    try:
        response = collector.client.post("/v1/traces", json=ledger_request())
        assert response.status_code == 200, response.text
        yield collector
    finally:
        collector.stop()


def _import(api, text: str, provider: str = "anthropic"):
    return api.client.post(
        "/api/v1/reconciliation/import", params={"provider": provider}, content=text.encode(),
        headers={"content-type": "text/csv"},
    )  # fmt: skip


def _rows(api, **params) -> dict[tuple[str, str], dict]:
    params = {"provider": "anthropic", "start": "2025-11-01", "end": "2025-11-30", **params}
    response = api.client.get("/api/v1/reconciliation", params=params)
    assert response.status_code == 200, response.text
    return {(r["day"], r["model"]): r for r in response.json()["rows"]}


def test_each_cause_on_a_known_data_set(api):
    response = _import(api, report())
    assert response.status_code == 200, response.text
    rows = _rows(api)
    causes = {key: r["cause"] for key, r in rows.items()}
    assert causes == {
        ("2025-11-03", HAIKU): "ok",
        ("2025-11-03", SONNET): "ok",
        ("2025-11-04", HAIKU): "missing_spans",
        ("2025-11-05", HAIKU): "extra_spans",
        ("2025-11-06", SONNET): "price_mismatch",
        ("2025-11-07", HAIKU): "ledger_only",
        ("2025-11-08", "claude-opus-4-5"): "provider_only",
        ("2025-11-09", HAIKU): "ok",
    }
    haiku = rows[("2025-11-03", HAIKU)]
    assert (haiku["ledger_calls"], haiku["ledger_input_tokens"], haiku["ledger_output_tokens"]) == (1, 10_000, 1_000)
    assert (haiku["provider_input_tokens"], haiku["provider_output_tokens"]) == (10_000, 1_000)
    assert Decimal(haiku["ledger_cost_usd"]) == Decimal(haiku["provider_cost_usd"]) == cost(3, HAIKU)
    assert Decimal(haiku["delta_cost_usd"]) == 0 and haiku["delta_pct"] == 0
    assert haiku["provider_models"] == "claude-haiku-4-5-20251001"  # matched through the pricing name rules
    missing = rows[("2025-11-04", HAIKU)]
    assert Decimal(missing["delta_cost_usd"]) == cost(4, HAIKU) - cost(4, HAIKU) * Decimal("1.2")
    assert missing["delta_pct"] == pytest.approx(-16.67)
    mismatch = rows[("2025-11-06", SONNET)]
    assert Decimal(mismatch["delta_cost_usd"]) == -cost(6, SONNET) and mismatch["delta_pct"] == -50.0
    ledger_only = rows[("2025-11-07", HAIKU)]
    assert (ledger_only["provider_cost_usd"], ledger_only["delta_cost_usd"], ledger_only["delta_pct"]) == (
        None, None, None)  # fmt: skip
    provider_only = rows[("2025-11-08", "claude-opus-4-5")]
    assert (provider_only["ledger_calls"], Decimal(provider_only["ledger_cost_usd"])) == (0, 0)
    assert Decimal(provider_only["delta_cost_usd"]) == Decimal("-0.0225")
    unknown = rows[("2025-11-09", HAIKU)]  # a cost the provider did not give is unknown, never $0
    assert (unknown["provider_cost_usd"], unknown["delta_cost_usd"], unknown["delta_pct"]) == (None, None, None)


def test_a_repeated_import_changes_nothing_and_a_new_figure_replaces(api):
    first = _import(api, report())
    before = _rows(api)
    again = _import(api, report())
    assert again.status_code == 200
    assert (again.json()["rows"], again.json()["replaced"], again.json()["added"]) == (7, 7, 0)
    assert _rows(api) == before
    assert first.json()["first_day"] == "2025-11-03" and first.json()["last_day"] == "2025-11-09"
    fixed = f"{HEADER}\n2025-11-04,{HAIKU},10000,1000,,,{cost(4, HAIKU)}\n"  # the provider's corrected figure
    assert _import(api, fixed).json() | {"source": None} == {
        "provider": "anthropic", "rows": 1, "replaced": 1, "added": 0, "first_day": "2025-11-04",
        "last_day": "2025-11-04", "source": None,
    }  # fmt: skip
    after = _rows(api)
    assert after[("2025-11-04", HAIKU)]["cause"] == "ok"
    assert after[("2025-11-04", HAIKU)]["provider_input_tokens"] == 10_000  # replaced, never added
    _import(api, report())  # back to the file the other tests expect


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (f"{HEADER}\n2025-11-03,{HAIKU},10,1,,,0.1\n2025-11-04,{HAIKU},10,1,,,abc\n", "line 3, column cost_usd"),
        (f"{HEADER}\n2025-11-3,{HAIKU},10,1,,,0.1\n", "line 2, column date"),
        (f"{HEADER}\n2025-11-03,{HAIKU},-5,1,,,0.1\n", "line 2, column input_tokens"),
        (f"{HEADER}\n2025-11-03,{HAIKU},10,1.5,,,0.1\n", "line 2, column output_tokens"),
        (f"{HEADER}\n2025-11-03,{HAIKU},10,1,20,,0.1\n", "line 2, column input_tokens"),
        (f"{HEADER}\n2025-11-03,,10,1,,,0.1\n", "line 2, column model"),
        (f"{HEADER}\n2025-11-03,{HAIKU},10,1,,,-1\n", "line 2, column cost_usd"),
        (f"{HEADER}\n2025-11-03,{HAIKU},,,,,\n", "line 2: no figure"),
        (f"{HEADER}\n2025-11-03,{HAIKU},10,1,,\n", "line 2: 6 cells"),
        (f"{HEADER}\n2025-11-03,{HAIKU},10,1,,,1\n\n2025-11-03,{HAIKU},10,1,,,1\n", "line 4: 2025-11-03"),
        ("date,model,input_tokens\n2025-11-03,x,1\n", "line 1 (header): missing output_tokens"),
        (f"{HEADER},notes\n", "unknown 'notes'"),
        ("", "line 1: the file is empty"),
        (f"{HEADER}\n", "no rows"),
    ],
)
def test_a_malformed_file_is_a_400_naming_the_line_and_nothing_is_stored(api, body, message):
    _import(api, report())
    before = _rows(api)
    response = _import(api, body)
    assert response.status_code == 400
    assert message in response.json()["detail"], response.json()["detail"]
    assert _rows(api) == before


def test_bad_parameters_are_400(api):
    assert _import(api, report(), provider="Anthropic Inc").status_code == 400
    for params in ({"start": "2025-11-01T10:00:00"}, {"start": "2025-11-05", "end": "2025-11-01"}, {"x": "1"}):
        response = api.client.get("/api/v1/reconciliation", params={"provider": "anthropic", **params})
        assert response.status_code == 400, params
    bad_utf8 = api.client.post("/api/v1/reconciliation/import", params={"provider": "anthropic"}, content=b"\xff\xfe")
    assert bad_utf8.status_code == 400


def test_without_a_provider_every_provider_with_a_report_is_reconciled(api):
    _import(api, report())
    _import(api, f"{HEADER}\n2025-11-03,grok-4,100,10,,,0.01\n", provider="x_ai")
    response = api.client.get("/api/v1/reconciliation", params={"start": "2025-11-03", "end": "2025-11-03"})
    rows = response.json()["rows"]
    assert {(r["provider"], r["model"], r["cause"]) for r in rows} == {
        ("anthropic", HAIKU, "ok"), ("anthropic", SONNET, "ok"), ("x_ai", "grok-4-0709", "provider_only"),
    }  # fmt: skip
    assert date.fromisoformat(rows[0]["day"]) == date(2025, 11, 3)
    arrow = api.client.get("/api/v1/reconciliation", params={"provider": "anthropic", "format": "arrow"})
    assert arrow.status_code == 200 and arrow.headers["content-type"].startswith("application/vnd.apache.arrow")


def test_names_match_through_the_pricing_rules_card_or_no_card():
    from collector.reconciliation import match_key

    book = rates.default_book()
    assert match_key(book, "anthropic/claude-sonnet-4.5") == match_key(book, "claude-sonnet-4-5-20250929") == SONNET
    # no card: both sides reduced by the same rules, so the ledger's alias and the provider's snapshot meet
    assert match_key(book, "claude-3-5-haiku-latest") == match_key(book, "claude-3-5-haiku-20241022")
    assert match_key(book, "") == ""


def test_causes_when_the_provider_gives_only_some_figures():
    from collector.reconciliation import _Ledger, _Provider, cause_of

    ledger = _Ledger(calls=1, input_tokens=1000, output_tokens=100, cost_usd=Decimal("1.00"))
    only_cost = _Provider(input_tokens=None, output_tokens=None, cost_usd=Decimal("1.50"))
    assert cause_of(ledger, only_cost) == "missing_spans"  # no tokens: the cost's sign decides
    assert cause_of(ledger, _Provider(None, None, Decimal("0.50"))) == "extra_spans"
    assert cause_of(ledger, _Provider(None, None, Decimal("1.009"))) == "ok"  # within a cent
    assert cause_of(ledger, _Provider(1000, None, None)) == "ok"  # the tokens given agree, no cost given
    assert cause_of(ledger, _Provider(1000, 100, Decimal("1.0101"))) == "ok"  # over a cent, within 1%
    assert cause_of(ledger, _Provider(1000, 100, Decimal("1.05"))) == "price_mismatch"
    assert cause_of(ledger, _Provider(1009, 100, Decimal("1.00"))) == "ok"  # tokens within 1%
    assert cause_of(ledger, _Provider(1100, 100, Decimal("1.00"))) == "missing_spans"


def test_a_model_name_in_other_case_replaces_the_same_row(api):
    _import(api, report())
    upper = f"{HEADER}\n2025-11-04,CLAUDE-HAIKU-4-5,12000,1200,,,{cost(4, HAIKU) * Decimal('1.2')}\n"
    assert _import(api, upper).json()["replaced"] == 1
    assert _rows(api)[("2025-11-04", HAIKU)]["provider_input_tokens"] == 12_000  # not 24,000

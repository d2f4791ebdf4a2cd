"""Dashboard filters: several values each, kept in the URL, unusable URL values warned about; the Spend page's
breakdowns against the previous period and its priced-only view with real token counts."""

from __future__ import annotations

import math
from datetime import date
from decimal import Decimal

import pytest
from streamlit.testing.v1 import AppTest
from test_dashboard_app import (
    APP,
    HAIKU,
    IN_PERIOD,
    PERIOD,
    SEED,
    UNPRICED,
    expected_by_layer,
    metric,
    seeded,
    seeded_once,  # noqa: F401  (the module-scoped collector `seeded` is built on)
)

from dashboard import filters
from dashboard.money import format_usd

__all__ = ["seeded"]  # the fixture, imported for pytest

OPTIONS = {"layer": ["agents", "analysis", "chat"], "model": ["m1"], "service": [], "environment": [], "provider": []}


def test_filters_take_several_values_and_one_still_works():
    f = filters.Filters(date(2026, 11, 1), date(2026, 11, 26), layer=("chat", "analysis", "chat"), model="m")
    assert f.layer == ("chat", "analysis") and f.model == ("m",)
    assert f.params() == {"start": "2026-11-01", "end": "2026-11-26", "layer": ["chat", "analysis"], "model": ["m"]}
    assert f.query() == {"from": "2026-11-01", "to": "2026-11-26", "layer": ["chat", "analysis"], "model": ["m"]}
    priced = filters.Filters(date(2026, 11, 1), date(2026, 11, 1), priced_only=True)
    assert priced.params()["pricing_unknown"] == "false" and priced.previous().priced_only
    assert priced.query()["priced"] == "true"


def test_a_clean_url_gives_its_filters_without_problems():
    choice = filters.from_query(
        {"from": ["2026-10-01"], "to": ["2026-10-31"], "layer": ["chat", "agents"], "priced": ["true"]}, OPTIONS
    )
    assert choice.dates == (date(2026, 10, 1), date(2026, 10, 31))
    assert choice.values == {"layer": ["chat", "agents"]} and choice.priced_only is True
    assert choice.problems == []
    assert filters.from_query({}, OPTIONS) == filters.UrlChoice(None, {}, None, [])


@pytest.mark.parametrize(
    "query, problem",
    [
        ({"from": ["2026-13-01"]}, "not YYYY-MM-DD"),
        ({"from": ["2026-10-31"], "to": ["2026-10-01"]}, "ends (2026-10-01) before it starts"),
        ({"to": ["2026-10-01"]}, "`to` without `from`"),
        ({"layr": ["chat"]}, "Unknown URL parameter `layr`"),
        ({"layer": ["nope"]}, "`layer=nope` in the URL matches no recorded call"),
        ({"layer": [""]}, "empty `layer`"),
        ({"priced": ["maybe"]}, "`priced=maybe` in the URL must be one of true/false/1/0/yes/no"),
        ({"from": ["2026-10-01", "2026-11-01"]}, "`from` appears 2 times"),
    ],
)
def test_an_unusable_url_value_is_named(query, problem):
    choice = filters.from_query(query, OPTIONS)
    assert any(problem in p for p in choice.problems), choice.problems


def open_app(query: dict, page: str | None = None) -> AppTest:
    at = AppTest.from_file(str(APP), default_timeout=60)
    at.query_params.update(query)
    at.run()
    if page:
        at.switch_page(f"views/{page}.py").run()
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    return at


def test_the_url_sets_every_filter_and_follows_the_sidebar(seeded):
    at = open_app({**PERIOD, "layer": ["chat", "agents"]})
    assert at.multiselect(key="f_layer").value == ["chat", "agents"]
    want = expected_by_layer(IN_PERIOD)
    assert metric(at, "Total incl. estimates") == format_usd(want["chat"]["total"] + want["agents"]["total"])
    assert not at.warning or all("unpriced" in w.value for w in at.warning)  # only the review banner
    at.multiselect(key="f_model").set_value([HAIKU]).run()
    assert at.query_params["layer"] == ["chat", "agents"] and at.query_params["model"] == HAIKU
    assert (at.query_params["from"], at.query_params["to"]) == (PERIOD["from"], PERIOD["to"])
    assert metric(at, "Total incl. estimates") == format_usd(want["chat"]["total"])


def test_an_unusable_url_value_is_a_visible_warning(seeded):
    at = open_app({"from": "2026-10-31", "to": "2026-10-01", "layer": ["chat", "nope"], "layr": "x"})
    warnings = " ".join(w.value for w in at.warning)
    assert "ends (2026-10-01) before it starts" in warnings
    assert "`layer=nope`" in warnings and "`layr`" in warnings
    assert at.multiselect(key="f_layer").value == ["chat"]  # the usable part is kept
    assert "layr" not in at.query_params and at.query_params["layer"] == "chat"


def test_spend_breakdowns_compare_with_the_previous_period_priced_and_estimated_apart(seeded):
    at = open_app(PERIOD, "spend")
    by_model = {r["model"]: r for r in at.dataframe[0].value.to_dict("records")}
    haiku_now = [c for c in IN_PERIOD if c.model == HAIKU]
    assert by_model[HAIKU]["priced_usd"] == format_usd(sum((c.price().cost_usd for c in haiku_now), Decimal(0)))
    assert by_model[HAIKU]["previous_total_usd"] == format_usd(SEED[2].price().cost_usd)  # the September call
    grok = [c for c in IN_PERIOD if c.model == "grok-9-preview"]
    assert by_model["grok-9-preview"]["priced_usd"] == "$0.00"
    grok_usd = sum((c.price().cost_usd for c in grok), Decimal(0))
    assert by_model["grok-9-preview"]["estimated_usd"] == format_usd(grok_usd)
    by_service = {r["service"]: r for r in at.dataframe[2].value.to_dict("records")}
    assert by_service["chat-bff"]["previous_total_usd"] == format_usd(SEED[2].price().cost_usd)
    worker = by_service["worker"]
    assert worker["previous_total_usd"] == "$0.00" and math.isnan(worker["change_pct"])  # no previous spend: no change


def test_priced_rows_only_keeps_real_token_counts_and_is_in_the_url(seeded):
    at = open_app({**PERIOD, "priced": "true"}, "spend")
    assert at.toggle(key="spend_priced_only").value is True
    assert metric(at, "Estimated spend (unpriced)") == "excluded"
    report = at.dataframe[-1].value
    priced = [c for c in IN_PERIOD if c.model not in UNPRICED]
    assert sorted(report["input_tokens"]) == sorted(c.input_tokens for c in priced)
    assert sorted(report["output_tokens"]) == sorted(c.output_tokens for c in priced)
    assert sum(report["input_tokens"]) > 0
    at.toggle(key="spend_priced_only").set_value(False).run()
    assert "priced" not in at.query_params
    report = at.dataframe[-1].value
    assert sum(report["input_tokens"]) == sum(c.input_tokens for c in IN_PERIOD)


def test_spend_page_with_several_values_of_a_filter(seeded):
    at = open_app({**PERIOD, "layer": ["chat", "agents"]}, "spend")
    report = at.dataframe[-1].value
    assert set(report["layer"]) == {"chat", "agents"}
    assert sum(report["calls"]) == sum(1 for c in IN_PERIOD if c.effective_layer in ("chat", "agents"))

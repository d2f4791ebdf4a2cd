"""The read API refuses what it would otherwise ignore, and filters take several values (SQL IN)."""

from __future__ import annotations

import httpx
import pytest
from conftest import launch_collector, otlp_json_request
from helpers import routes
from test_collector_api import DATA

from collector.store import CallFilter

# Not in the conformance suite: what this checks does not depend on the store (the API it reads is checked on
# every store by the conformance modules), and its chdb half cost CI minutes.

API_ROUTES = routes.api_routes()
"""Every (method, path) under /api/, from the routers the collector mounts (helpers/routes.py checks coverage)."""


@pytest.fixture(scope="module")
def api(store_kind, tmp_path_factory):  # store_kind: one per store (conformance)
    collector = launch_collector(tmp_path_factory.mktemp("params"), mode="thread")
    try:
        for resource, spans in DATA:
            response = httpx.post(collector.url + "/v1/traces", json=otlp_json_request(spans, resource=resource))
            assert response.status_code == 200
        yield collector
    finally:
        collector.stop()


def get(api, path, params) -> httpx.Response:
    return httpx.get(api.url + path, params=params, timeout=10)


def total_calls(api, params) -> int:
    response = get(api, "/api/v1/spend", [("group_by", "none"), *params])
    assert response.status_code == 200, response.text
    return response.json()["rows"][0]["calls"]


def test_every_route_has_an_example_request():
    assert not routes.missing_examples(), "add the route to EXAMPLES in tests/helpers/routes.py"


@pytest.mark.parametrize("key", API_ROUTES, ids=" ".join)
def test_an_unknown_parameter_is_400_naming_it_and_the_accepted_ones(api, key):
    with httpx.Client(base_url=api.url, timeout=10) as client:
        assert routes.send(client, key).status_code in routes.EXAMPLES[key].ok  # the example itself is accepted
        response = routes.send(client, key, extra={"layr": "chat"})
    assert response.status_code == 400, response.text
    detail = response.json()["detail"]
    assert "'layr'" in detail and "accepts" in detail
    for name in routes.EXAMPLES[key].params:  # the accepted ones are listed
        assert name in detail, name
    if key[1] in ("/api/v1/spend", "/api/v1/latency"):
        for name in ("start", "end", "layer", "model", "provider", "service", "group_by", "pricing_unknown"):
            assert name in detail, name


@pytest.mark.parametrize("key", [k for k in API_ROUTES if routes.EXAMPLES[k].params], ids=" ".join)
def test_an_empty_value_is_400(api, key):
    name = next(iter(routes.EXAMPLES[key].params))
    with httpx.Client(base_url=api.url, timeout=10) as client:
        response = routes.send(client, key, extra={name: ""})
    assert response.status_code == 400
    assert response.json()["detail"].startswith(f"{name} is empty")


@pytest.mark.parametrize("params", [{"group_by": ""}, {"layer": ""}, {"start": " "}, {"group_by": "layer,,model"}])
def test_empty_spend_parameters_are_refused_not_ignored(api, params):
    response = get(api, "/api/v1/spend", params)
    assert response.status_code == 400
    assert next(iter(params)) in response.json()["detail"]


def test_a_single_value_parameter_given_twice_is_400(api):
    response = get(api, "/api/v1/spend", [("format", "json"), ("format", "csv")])
    assert response.status_code == 400 and "format is given more than once" in response.json()["detail"]


def test_group_by_none_is_one_total_row(api):
    rows = get(api, "/api/v1/spend", {"group_by": "none"}).json()["rows"]
    assert len(rows) == 1 and rows[0]["calls"] == 6


def test_a_mistyped_dry_run_does_not_apply_a_card(api):
    card = {"model": "mystery-model-1", "input_usd_per_mtok": "1", "output_usd_per_mtok": "1"}
    card["effective_from"] = "2025-01-01"
    response = httpx.post(api.url + "/api/v1/rates", params={"dryrun": "true"}, json=card)
    assert response.status_code == 400 and "'dryrun'" in response.json()["detail"]
    assert get(api, "/api/v1/repricings", {}).json()["repricings"] == []


def test_ingest_is_not_affected(api):
    response = httpx.post(api.url + "/v1/traces?anything=1", json=otlp_json_request([]))
    assert response.status_code == 200


def test_repeated_filters_match_any_value(api):
    assert total_calls(api, [("layer", "chat")]) == 2
    assert total_calls(api, [("layer", "chat"), ("layer", "analysis")]) == 4
    assert total_calls(api, [("layer", "chat"), ("layer", "analysis"), ("layer", "nope")]) == 4
    assert total_calls(api, [("model", "gpt-4o"), ("model", "claude-sonnet-4-5"), ("service", "backend")]) == 2
    assert total_calls(api, [("layer", "chat"), ("layer", "chat")]) == 2
    rows = get(api, "/api/v1/calls", [("environment", "prod"), ("environment", "staging")]).json()
    assert rows["total"] == 6
    latency = get(api, "/api/v1/latency", [("layer", "chat"), ("layer", "drafts"), ("group_by", "layer")]).json()
    assert [r["layer"] for r in latency["rows"]] == ["chat", "drafts"]
    review = get(api, "/api/v1/review", [("model", "gpt-4o"), ("model", "claude-haiku-4-5")]).json()["models"]
    assert [m["model"] for m in review] == ["gpt-4o"]


def test_spend_filtered_to_priced_rows_keeps_their_real_token_counts(api):
    rows = get(api, "/api/v1/spend", {"group_by": "layer", "pricing_unknown": "false"}).json()["rows"]
    analysis = next(r for r in rows if r["layer"] == "analysis")  # sonnet priced (1000/1000), gpt-4o unpriced
    assert (analysis["calls"], analysis["input_tokens"], analysis["output_tokens"]) == (1, 1000, 1000)
    assert analysis["unpriced_calls"] == 0 and analysis["cost_usd"] == analysis["priced_cost_usd"] == "0.018"
    assert "drafts" not in {r["layer"] for r in rows}  # only an unpriced call there
    bad = get(api, "/api/v1/spend", {"pricing_unknown": "maybe"})
    assert bad.status_code == 400 and "pricing_unknown must be one of true/false/1/0/yes/no" in bad.json()["detail"]
    # One set of boolean words everywhere: the environment's `no` means false here too.
    assert get(api, "/api/v1/spend", {"group_by": "layer", "pricing_unknown": " No "}).json()["rows"] == rows


def test_call_filter_takes_one_value_or_several():
    assert CallFilter(layer="chat").where() == ("WHERE layer IN (?)", ["chat"])
    clause, params = CallFilter(layer=("chat", "analysis"), model=["m"]).where()
    assert clause == "WHERE layer IN (?, ?) AND model IN (?)" and params == ["chat", "analysis", "m"]
    with pytest.raises(ValueError, match="layer filter has no value"):
        CallFilter(layer=())

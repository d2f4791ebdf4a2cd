"""Rate-card values the store cannot hold: a 400 with a message (never a 503); `card_from_mapping` refuses them."""

from __future__ import annotations

from decimal import Decimal

import pytest

import rates

pytestmark = pytest.mark.conformance  # runs on every store (tests/plugins/collector.py)

CARD = {
    "model": "claude-test-validation",
    "input_usd_per_mtok": "1",
    "output_usd_per_mtok": "5",
    "effective_from": "2025-01-01",
    "source": "test",
}
BAD = [
    ({"input_usd_per_mtok": "1e30"}, "input_usd_per_mtok must be at most 1000000"),
    ({"output_usd_per_mtok": 10**7}, "output_usd_per_mtok must be at most 1000000"),
    ({"cache_read_usd_per_mtok": "0.0000000000001"}, "cache_read_usd_per_mtok has more than 12 decimals"),
    ({"long_context": {"above_input_tokens": 10**20}}, "long_context.above_input_tokens must be at most"),
    ({"long_context": {"above_input_tokens": 1000, "input_usd_per_mtok": "1e27"}}, "input_usd_per_mtok must be at"),
    ({"provider": ["a"]}, "provider must be a non-empty string"),
    ({"provider": "  "}, "provider must be a non-empty string"),
    ({"provider": 3}, "provider must be a non-empty string"),
]


@pytest.fixture(scope="module")
def collector(store_kind, tmp_path_factory):  # store_kind: one per store (conformance)
    from helpers.collector import launch_collector

    handle = launch_collector(tmp_path_factory.mktemp("cards"), mode="asgi")
    yield handle
    handle.stop()


@pytest.mark.parametrize("change, message", BAD)
def test_card_from_mapping_refuses_values_the_store_cannot_hold(change, message):
    with pytest.raises(rates.CardFileError, match=message.replace("(", r"\(")):
        rates.card_from_mapping({**CARD, **change})


@pytest.mark.parametrize("change, message", BAD)
@pytest.mark.parametrize("dry_run", ["true", "false"])
def test_post_rates_with_a_value_the_store_cannot_hold_is_400(collector, change, message, dry_run):
    body = {k: v for k, v in {**CARD, **change}.items() if k != "source"}
    response = collector.client.post("/api/v1/rates", params={"dry_run": dry_run}, json=body)
    assert response.status_code == 400, response.text
    assert message in response.json()["detail"]
    cards = collector.client.get("/api/v1/rates").json()["cards"]
    assert not any(c["model"] == CARD["model"] for c in cards)


def test_the_largest_accepted_values_store_and_reprice(collector):
    body = {
        **{k: v for k, v in CARD.items() if k != "source"},
        "model": "claude-test-largest",
        "provider": "anthropic",
        "input_usd_per_mtok": "1000000",
        "output_usd_per_mtok": "0.000000000001",
        "long_context": {"above_input_tokens": 2**63 - 1},
    }
    response = collector.client.post("/api/v1/rates", json=body)
    assert response.status_code == 201, response.text
    card = response.json()["card"]
    assert card["input_usd_per_mtok"] == "1000000" and card["output_usd_per_mtok"] == "0.000000000001"
    assert card["provider"] == "anthropic"


def test_provider_is_optional_and_trimmed():
    assert rates.card_from_mapping(CARD).provider is None
    assert rates.card_from_mapping({**CARD, "provider": " x_ai "}).provider == "x_ai"
    assert rates.card_from_mapping({**CARD, "input_usd_per_mtok": Decimal("0.25")}).rates.input_usd_per_mtok == Decimal(
        "0.25"
    )

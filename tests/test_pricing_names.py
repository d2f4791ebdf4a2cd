"""Issue 17 item 4: the model-name variants users send resolve to the card's model (rules in rates/_names.py)."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from helpers.otlp import otlp_json_request, otlp_json_span

from rates import RateBook, Usage, card_from_mapping, default_book, load_cards, price_call

pytestmark = pytest.mark.conformance  # runs on every store (tests/plugins/collector.py)

AT = datetime(2026, 11, 1, tzinfo=UTC)
USAGE = Usage(10_000, 1_000, cache_read_tokens=2_000)

FORMS = [
    ("anthropic/claude-sonnet-4-6", "claude-sonnet-4-6"),  # provider prefix
    ("xai/grok-4", "grok-4-0709"),
    ("x-ai/grok-4", "grok-4-0709"),
    ("openrouter/anthropic/claude-opus-4.5", "claude-opus-4-5"),  # two prefixes and a dotted version
    ("anthropic.claude-sonnet-4-5-20250929-v1:0", "claude-sonnet-4-5"),  # Bedrock model id
    ("us.anthropic.claude-sonnet-4-5-20250929-v1:0", "claude-sonnet-4-5"),  # Bedrock inference profiles
    ("eu.anthropic.claude-haiku-4-5-20251001-v1:0", "claude-haiku-4-5"),
    ("apac.anthropic.claude-sonnet-4-20250514-v1:0", "claude-sonnet-4-0"),
    ("global.anthropic.claude-sonnet-4-5-20250929-v1:0", "claude-sonnet-4-5"),
    ("claude-sonnet-4-5@20250929", "claude-sonnet-4-5"),  # Vertex
    ("claude-haiku-4-5-2025-10-01", "claude-haiku-4-5"),  # dashed date
    ("claude-opus-4.5", "claude-opus-4-5"),  # dotted version
    ("anthropic/claude-opus-4.1", "claude-opus-4-1"),
    ("claude-opus-4-5-latest", "claude-opus-4-5"),
    ("claude-sonnet-4-5-thinking", "claude-sonnet-4-5"),
    ("CLAUDE-SONNET-4-5", "claude-sonnet-4-5"),  # letter case
    ("  Claude-Haiku-4-5  ", "claude-haiku-4-5"),
    ("grok-latest", "grok-4.5"),  # an alias wins before `-latest` is stripped
    ("grok-4.20", "grok-4.20"),  # a dotted card name stays as it is
    ("x-ai/grok-4.3", "grok-4.3"),
]


@pytest.mark.parametrize(("sent", "model"), FORMS)
def test_each_form_resolves_to_the_cards_model_and_its_price(sent, model):
    book = default_book()
    assert book.canonical(sent) == model
    price = price_call(book, sent, USAGE, at=AT)
    assert not price.pricing_unknown and price.card.model == model
    assert price.cost_usd == price_call(book, model, USAGE, at=AT).cost_usd


@pytest.mark.parametrize(
    "sent", ["gpt-4o", "claude-3-5-sonnet-latest", "grok-4-20", "anthropic/acme", "us.acme.x-v1:0"]
)
def test_names_no_rule_reaches_stay_unknown(sent):
    assert default_book().canonical(sent) is None
    assert price_call(default_book(), sent, USAGE, at=AT).pricing_unknown


def test_a_card_for_the_hosts_own_name_wins_over_the_variant_rules():
    # Bedrock's regional endpoints cost 10% more than Anthropic's price (genai-prices' aws provider): an engineer who
    # wants that figure adds a card for the Bedrock name; the exact name is looked up before any rule.
    regional = card_from_mapping(
        {"model": "us.anthropic.claude-sonnet-4-5-20250929-v1:0", "effective_from": "2023-01-01", "source": "aws",
         "input_usd_per_mtok": "3.3", "output_usd_per_mtok": "16.5", "cache_read_usd_per_mtok": "0.33"}
    )  # fmt: skip
    book = RateBook([*load_cards(), regional])
    assert book.canonical("us.anthropic.claude-sonnet-4-5-20250929-v1:0") == regional.model
    assert book.canonical("global.anthropic.claude-sonnet-4-5-20250929-v1:0") == "claude-sonnet-4-5"
    sent = price_call(book, "US.anthropic.claude-sonnet-4-5-20250929-v1:0", USAGE, at=AT)
    assert sent.cost_usd == price_call(book, "claude-sonnet-4-5", USAGE, at=AT).cost_usd * Decimal("1.1")


@pytest.fixture
def collector(start_collector, tmp_path):
    return start_collector(tmp_path, mode="asgi")


def test_the_collector_keeps_the_name_as_sent_and_groups_spend_under_the_cards_model(collector):
    sent = ["claude-sonnet-4-5", "anthropic/claude-sonnet-4-5", "us.anthropic.claude-sonnet-4-5-20250929-v1:0",
            "claude-sonnet-4-5@20250929", "acme-unknown"]  # fmt: skip
    spans = []
    for i, model in enumerate(sent):
        attrs = {
            "gen_ai.operation.name": "chat",
            "gen_ai.request.model": model,
            "gen_ai.usage.input_tokens": 1_000,
            "gen_ai.usage.output_tokens": 100,
        }
        spans.append(otlp_json_span(f"{i + 1:016x}", attrs, start_ns=1_793_491_200_000_000_000))
    assert collector.client.post("/v1/traces", json=otlp_json_request(spans)).status_code == 200
    rows = collector.client.get("/api/v1/calls").json()["rows"]
    assert sorted(r["model"] for r in rows) == sorted(sent)  # the name as sent stays on the row
    by_name = {r["model"]: r for r in rows}
    assert {by_name[m]["card_model"] for m in sent[:4]} == {"claude-sonnet-4-5"}
    assert by_name["acme-unknown"]["card_model"] is None and by_name["acme-unknown"]["pricing_unknown"]
    spend = collector.client.get("/api/v1/spend", params={"group_by": "card_model"}).json()["rows"]
    assert {r["card_model"]: r["calls"] for r in spend} == {"claude-sonnet-4-5": 4, "acme-unknown": 1}
    review = collector.client.get("/api/v1/review").json()["models"]
    assert [r["model"] for r in review] == ["acme-unknown"]  # only the truly unknown name waits for a card
    only = collector.client.get("/api/v1/calls", params={"card_model": "claude-sonnet-4-5"}).json()["rows"]
    assert len(only) == 4

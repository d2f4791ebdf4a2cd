"""Issue 17 item 5: a model with no card is estimated at the genai-prices snapshot's price when it knows the model."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import genai_prices
import pytest
from helpers.otlp import otlp_json_request, otlp_json_span

from rates import Usage, compute_cost_usd, default_book, price_call

pytestmark = pytest.mark.conformance  # runs on every store (tests/plugins/collector.py)

AT = datetime(2026, 11, 1, tzinfo=UTC)
USAGE = Usage(1_000_000, 100_000)


def _theirs(model: str, usage: Usage) -> Decimal:
    theirs = genai_prices.Usage(input_tokens=usage.input_tokens, output_tokens=usage.output_tokens)
    return genai_prices.calc_price(theirs, model, genai_request_timestamp=AT).total_price


@pytest.mark.parametrize(
    ("model", "figure", "source_model"),
    [
        ("gpt-4o", Decimal("3.5"), "gpt-4o"),  # was 1.5 at haiku rates
        ("claude-3-opus-20240229", Decimal("22.5"), "claude-3-opus-latest"),  # an Opus-class name: was 15x low
        ("GPT-4o-2024-08-06", None, None),
    ],
)
def test_a_model_the_snapshot_knows_is_estimated_at_its_price(model, figure, source_model):
    price = price_call(default_book(), model, USAGE, at=AT)
    assert price.pricing_unknown  # still an estimate: the row stays in the review queue
    assert price.cost_usd == _theirs(model, USAGE)
    assert price.estimate_source.startswith(f"genai-prices {genai_prices.__version__} snapshot (model ")
    if figure is not None:
        assert price.cost_usd == figure and price.estimate_source.endswith(f"(model {source_model})")
    assert compute_cost_usd(model, USAGE.input_tokens, USAGE.output_tokens, at=AT) == (price.cost_usd, True)


def test_a_model_nobody_knows_keeps_the_default_estimate_and_says_so():
    price = price_call(default_book(), "acme-llm-9000", USAGE, at=AT)
    assert price.pricing_unknown and price.cost_usd == Decimal("1.5")
    assert price.estimate_source == "default: claude-haiku-4-5-20251001 rates"
    assert price_call(default_book(), "claude-haiku-4-5", USAGE, at=AT).estimate_source is None  # a card: no estimate


@pytest.fixture
def collector(start_collector, tmp_path):
    return start_collector(tmp_path, mode="asgi")


def test_the_collector_stores_the_estimates_source_and_shows_it_in_the_review_queue(collector):
    spans = []
    for i, model in enumerate(["gpt-4o", "acme-llm-9000"]):
        attrs = {"gen_ai.operation.name": "chat", "gen_ai.request.model": model,
                 "gen_ai.usage.input_tokens": 1_000_000, "gen_ai.usage.output_tokens": 100_000}  # fmt: skip
        spans.append(otlp_json_span(f"{i + 1:016x}", attrs, start_ns=1_793_491_200_000_000_000))
    assert collector.client.post("/v1/traces", json=otlp_json_request(spans)).status_code == 200
    rows = {r["model"]: r for r in collector.client.get("/api/v1/calls").json()["rows"]}
    gpt = rows["gpt-4o"]
    assert (gpt["pricing_unknown"], gpt["card_id"], gpt["cost_usd"]) == (True, None, "3.5")
    assert gpt["estimate_source"] == f"genai-prices {genai_prices.__version__} snapshot (model gpt-4o)"
    review = {m["model"]: m for m in collector.client.get("/api/v1/review").json()["models"]}
    assert review["gpt-4o"]["estimate_source"] == gpt["estimate_source"]
    assert review["acme-llm-9000"]["estimate_source"] == "default: claude-haiku-4-5-20251001 rates"
    assert review["gpt-4o"]["suggested"]["input_usd_per_mtok"] == "2.5"  # the same price, offered as a card
    card = {"model": "gpt-4o", "effective_from": "2025-01-01", "input_usd_per_mtok": "2.5", "output_usd_per_mtok": 10}
    assert collector.client.post("/api/v1/rates", json=card).status_code == 201
    gpt = next(r for r in collector.client.get("/api/v1/calls").json()["rows"] if r["model"] == "gpt-4o")
    assert (gpt["pricing_unknown"], gpt["estimate_source"], gpt["card_model"]) == (False, None, "gpt-4o")

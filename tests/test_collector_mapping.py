"""Span -> row mapping for every attribute variant in docs/ingest.md (unit level), and OpenLIT's shape end to end."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from google.protobuf import json_format
from helpers.otlp import otlp_json_request, otlp_json_span
from opentelemetry.proto.trace.v1.trace_pb2 import Span

from collector.mapping import InvalidSpan, map_span
from collector.otlp import _convert
from collector.row import CallRow

pytestmark = pytest.mark.conformance  # runs on every store (tests/plugins/collector.py)


def span(attrs: dict, *, status_code: int = 0) -> Span:
    raw = otlp_json_span("00000000000000a1", attrs, status_code=status_code)
    _convert(raw)
    return json_format.ParseDict(raw, Span(), ignore_unknown_fields=True)


def row(attrs: dict, resource: dict | None = None, scope: str = "tests", status_code: int = 0) -> CallRow | None:
    return map_span(resource or {"service.name": "svc"}, scope, "1", span(attrs, status_code=status_code))


BASE = {"gen_ai.operation.name": "chat", "gen_ai.request.model": "claude-haiku-4-5", "gen_ai.usage.input_tokens": 10}


@pytest.mark.parametrize(
    "attrs, expected",
    [
        ({"gen_ai.provider.name": "anthropic"}, "anthropic"),
        ({"gen_ai.system": "Anthropic"}, "anthropic"),
        ({"gen_ai.system": "xai"}, "x_ai"),
        ({"gen_ai.provider.name": "x_ai", "gen_ai.system": "other"}, "x_ai"),
        ({"llm.provider": "anthropic"}, "anthropic"),
        ({"llm.system": "openai"}, "openai"),
        ({"server.address": "api.x.ai"}, "x_ai"),
        ({"server.address": "api.anthropic.com"}, "anthropic"),
        ({}, "anthropic"),  # from the model name, last resort
        ({"gen_ai.system": "openai", "server.address": "api.x.ai"}, "x_ai"),  # openai SDK pointed at xAI
        ({"gen_ai.system": "openai", "server.address": "api.openai.com"}, "openai"),
    ],
)
def test_provider_variants(attrs, expected):
    assert row({**BASE, **attrs}).provider == expected


def test_provider_unknown_stays_null():
    assert row({**BASE, "gen_ai.request.model": "mystery-1"}).provider is None


@pytest.mark.parametrize(
    "attrs, model, request_model",
    [
        ({"gen_ai.response.model": "claude-haiku-4-5-20251001", "gen_ai.request.model": "claude-haiku-4-5"},
         "claude-haiku-4-5-20251001", "claude-haiku-4-5"),
        ({"gen_ai.request.model": "grok-4-fast-reasoning"}, "grok-4-fast-reasoning", "grok-4-fast-reasoning"),
        ({"llm.model_name": "claude-sonnet-4-5"}, "claude-sonnet-4-5", "claude-sonnet-4-5"),
    ],
)  # fmt: skip
def test_model_variants(attrs, model, request_model):
    attrs = {"gen_ai.operation.name": "chat", "gen_ai.usage.input_tokens": 1, **attrs}
    got = row(attrs)
    assert (got.model, got.request_model) == (model, request_model)


@pytest.mark.parametrize(
    "attrs",
    [
        {"gen_ai.usage.input_tokens": 100, "gen_ai.usage.output_tokens": 20},
        {"gen_ai.usage.prompt_tokens": 100, "gen_ai.usage.completion_tokens": 20},
        {"llm.token_count.prompt": 100, "llm.token_count.completion": 20},
    ],
)
def test_token_variants(attrs):
    got = row({"gen_ai.request.model": "claude-haiku-4-5", **attrs})
    assert (got.input_tokens, got.output_tokens) == (100, 20)


@pytest.mark.parametrize(
    "read_key, write_key",
    [
        ("gen_ai.usage.cache_read.input_tokens", "gen_ai.usage.cache_creation.input_tokens"),
        ("gen_ai.usage.cache_read_input_tokens", "gen_ai.usage.cache_write.input_tokens"),
        ("gen_ai.usage.cache_read_input_tokens", "gen_ai.usage.cache_creation_input_tokens"),
        ("llm.token_count.prompt_details.cache_read", "llm.token_count.prompt_details.cache_write"),
    ],
)
def test_cache_variants_input_includes_cache(read_key, write_key):
    got = row({**BASE, "gen_ai.usage.input_tokens": 1500, read_key: 1000, write_key: 200})
    assert (got.input_tokens, got.cache_read_tokens, got.cache_write_tokens) == (1500, 1000, 200)


def test_openlit_anthropic_input_excludes_cache_so_it_is_added():
    attrs = {
        "gen_ai.system": "anthropic",
        "gen_ai.operation.name": "chat",
        "gen_ai.request.model": "claude-haiku-4-5",
        "gen_ai.usage.input_tokens": 300,
        "gen_ai.usage.cache_read_input_tokens": 1000,
        "gen_ai.usage.cache_creation_input_tokens": 200,
    }
    assert row(attrs, scope="openlit.otel.tracing").input_tokens == 1500
    assert row(attrs, resource={"telemetry.sdk.name": "openlit"}, scope="x").input_tokens == 1500
    # Not OpenLIT, and already inclusive: left alone.
    assert row({**attrs, "gen_ai.usage.input_tokens": 1500}).input_tokens == 1500


def test_input_below_the_cache_counts_is_read_as_exclusive():
    got = row({**BASE, "gen_ai.usage.input_tokens": 10, "gen_ai.usage.cache_read.input_tokens": 500})
    assert got.input_tokens == 510


def test_reasoning_tokens():
    got = row({**BASE, "gen_ai.usage.output_tokens": 900, "gen_ai.usage.reasoning.output_tokens": 700})
    assert (got.output_tokens, got.reasoning_tokens) == (900, 700)
    # A completion count below the reasoning count left reasoning out (xAI's completion_tokens): added.
    got = row({**BASE, "gen_ai.usage.output_tokens": 200, "gen_ai.usage.reasoning.output_tokens": 700})
    assert (got.output_tokens, got.reasoning_tokens) == (900, 700)


@pytest.mark.parametrize(
    "attrs, cost, source",
    [
        ({"tokenledger.cost_usd": "0.0123"}, Decimal("0.0123"), "tokenledger.cost_usd"),
        ({"gen_ai.usage.cost": 0.00105}, Decimal("0.00105"), "gen_ai.usage.cost"),
        ({"operation.cost": 0.5}, Decimal("0.5"), "operation.cost"),
        ({"llm.cost.total": 0.25}, Decimal("0.25"), "llm.cost.total"),
        ({"tokenledger.cost_usd": "not a number", "operation.cost": 0.5}, Decimal("0.5"), "operation.cost"),
        ({"tokenledger.cost_usd": "-1"}, None, None),
        ({}, None, None),
    ],
)
def test_reported_cost_variants(attrs, cost, source):
    got = row({**BASE, **attrs})
    assert (got.reported_cost_usd, got.reported_cost_source) == (cost, source)


def test_layer_service_environment():
    ours = row({**BASE, "tokenledger.layer": "drafts"}, resource={"service.name": "backend"})
    assert (ours.layer, ours.service) == ("drafts", "backend")
    theirs = row(BASE, resource={"service.name": "backend", "deployment.environment.name": "prod"})
    assert (theirs.layer, theirs.environment) == ("backend", "prod")
    assert row(BASE, resource={"deployment.environment": "staging"}).environment == "staging"


def test_our_client_attributes():
    got = row(
        {
            **BASE,
            "gen_ai.response.id": "msg_01",
            "tokenledger.streaming": True,
            "tokenledger.ttft_ms": 312.5,
            "tokenledger.policy.requested_model": "claude-opus-4-1",
            "tokenledger.pricing_unknown": False,
        }
    )
    assert (got.response_id, got.streaming, got.ttft_ms) == ("msg_01", True, 312.5)
    assert got.requested_model == "claude-opus-4-1"
    assert got.attribution_score == 0  # no tokenledger.layer, no reported cost


def test_errors():
    failed = row({**BASE, "error.type": "LLMUpstreamError"}, status_code=2)
    assert (failed.status, failed.error_type) == ("error", "LLMUpstreamError")
    # A failed call with no tokens and no response id is still a call (it counts in the error rate).
    bare = row({"gen_ai.operation.name": "chat", "gen_ai.request.model": "m", "error.type": "timeout"})
    assert bare.status == "error" and bare.input_tokens == 0


@pytest.mark.parametrize(
    "attrs",
    [
        {"http.request.method": "GET"},
        {"gen_ai.operation.name": "execute_tool", "gen_ai.usage.input_tokens": 5},
        {"openinference.span.kind": "CHAIN", "llm.token_count.prompt": 5},
        {"gen_ai.operation.name": "chat", "gen_ai.request.model": "m"},  # nothing to bill: a wrapper span
    ],
)
def test_spans_that_are_not_calls(attrs):
    assert row(attrs) is None


@pytest.mark.parametrize(
    "attrs, message",
    [
        ({"gen_ai.usage.input_tokens": -1}, "must be >= 0"),
        ({"gen_ai.usage.output_tokens": 1.5}, "must be an integer"),
        ({"gen_ai.usage.cache_read.input_tokens": "7"}, "must be an integer"),
        ({"gen_ai.usage.input_tokens": True}, "must be an integer"),
    ],
)
def test_invalid_counts_raise(attrs, message):
    with pytest.raises(InvalidSpan, match=message):
        row({**BASE, **attrs})


def test_openinference_response_id_comes_from_its_output_json_only():
    output = json.dumps({"id": "msg_oi", "content": [{"text": "secret reply"}]})
    got = row({**BASE, "output.mime_type": "application/json", "output.value": output})
    assert got.response_id == "msg_oi"
    assert "secret reply" not in json.dumps(got, default=str)


def test_openlit_payload_end_to_end(start_collector, tmp_path):
    """OpenLIT cannot be installed beside our pins: its Anthropic span's attribute set, written by hand."""
    collector = start_collector(tmp_path, mode="asgi")
    attrs = {
        "gen_ai.system": "anthropic",
        "gen_ai.operation.name": "chat",
        "gen_ai.request.model": "claude-haiku-4-5",
        "gen_ai.response.model": "claude-haiku-4-5",
        "gen_ai.response.id": "msg_openlit",
        "gen_ai.usage.input_tokens": 300,
        "gen_ai.usage.output_tokens": 80,
        "gen_ai.usage.cache_read_input_tokens": 1000,
        "gen_ai.usage.cache_creation_input_tokens": 200,
        "gen_ai.usage.cost": 0.00105,
        "gen_ai.request.is_stream": True,
        "gen_ai.server.time_to_first_token": 0.25,
        "deployment.environment": "production",
        "service.name": "openlit-app",
    }
    payload = otlp_json_request(
        [otlp_json_span("00000000000000f1", attrs, name="chat claude-haiku-4-5")],
        resource={
            "service.name": "openlit-app",
            "telemetry.sdk.name": "openlit",
            "deployment.environment": "production",
        },
        scope="openlit.otel.tracing",
    )
    response = collector.client.post("/v1/traces", json=payload)
    assert response.status_code == 200 and response.json() == {}
    (got,) = collector.client.get("/api/v1/calls").json()["rows"]
    assert (got["input_tokens"], got["cache_read_tokens"], got["cache_write_tokens"]) == (1500, 1000, 200)
    assert got["cost_usd"] == "0.00105" and got["reported_cost_usd"] == "0.00105"
    assert (got["streaming"], got["ttft_ms"], got["environment"]) == (True, 250.0, "production")

"""Attribution in the client: customer and feature per request (contextvars), team and cost centre per service."""

from __future__ import annotations

import asyncio
import logging

import pytest
from helpers.llm import llm_spans

from llm import attribute, configure_telemetry, simple_complete
from llm.agents import make_chat_model
from llm.attribution import COST_CENTER, CUSTOMER, FEATURE, TEAM, current_attributes

pytestmark = [pytest.mark.anyio, pytest.mark.usefixtures("close_llm_clients")]
log = logging.getLogger("test.attribution")


async def test_concurrent_requests_never_mix_their_customers(llm_env, spans, fake_anthropic, monkeypatch):
    monkeypatch.setenv("RESTRICT_MODELS", "false")  # keep Sonnet: the model tells the two customers apart
    # Two customers' requests run at once in one process; each model belongs to one customer, so every span's
    # customer can be checked against the request that made it.
    models = {"acme": "claude-haiku-4-5", "globex": "claude-sonnet-4-6"}

    async def request(customer: str) -> None:
        with attribute(customer=customer, feature="summaries"):
            for _ in range(3):
                await simple_complete(models[customer], "s", "p", 64, log)
                await asyncio.sleep(0)  # hand over to the other request between calls

    await asyncio.gather(request("acme"), request("globex"), request("acme"))
    got = llm_spans(spans)
    assert len(got) == 9
    owner = {model: customer for customer, model in models.items()}
    for span in got:
        assert span.attributes[CUSTOMER] == owner[span.attributes["gen_ai.request.model"]]
        assert span.attributes[FEATURE] == "summaries"


async def test_outside_a_block_no_attribute_and_blocks_nest(llm_env, spans, fake_anthropic):
    await simple_complete("claude-haiku-4-5", "s", "p", 64, log)
    with attribute(customer="acme"):
        with attribute(feature="search"):
            assert dict(current_attributes()) == {CUSTOMER: "acme", FEATURE: "search"}
            await simple_complete("claude-haiku-4-5", "s", "p", 64, log)
        assert dict(current_attributes()) == {CUSTOMER: "acme"}
    assert dict(current_attributes()) == {}
    plain, nested = llm_spans(spans)
    assert CUSTOMER not in plain.attributes and FEATURE not in plain.attributes
    assert (nested.attributes[CUSTOMER], nested.attributes[FEATURE]) == ("acme", "search")


def test_team_and_cost_center_are_set_once_per_service_on_the_resource():
    provider = configure_telemetry("billing-api", "http://127.0.0.1:9", team="payments", cost_center="CC-42",
                                   set_global=False)  # fmt: skip
    try:
        resource = provider.resource.attributes
        assert (resource[TEAM], resource[COST_CENTER], resource["service.name"]) == ("payments", "CC-42", "billing-api")
    finally:
        provider.shutdown()


async def test_agent_calls_carry_the_block_s_attribution(llm_env, spans, fake_anthropic, fake_xai):
    async def run(customer: str, model: str) -> None:
        with attribute(customer=customer, feature="agent"):
            chat = make_chat_model(model, max_tokens=64)
            await chat.ainvoke("plan")
            await chat.ainvoke("next")

    await asyncio.gather(run("acme", "claude-haiku-4-5"), run("globex", "grok-4-fast-reasoning"))
    got = {(s.attributes["gen_ai.provider.name"], s.attributes[CUSTOMER]) for s in llm_spans(spans)}
    assert got == {("anthropic", "acme"), ("x_ai", "globex")} and len(llm_spans(spans)) == 4

"""One simulated service sending live calls through the real `llm` client: policy, routing, SDKs, spans.

`python -m tokenledger.demo.live --service chat-bff --environment production --collector URL --rate R [--real]`

Without --real the service gets its own local fake Anthropic and xAI servers, shaped like its call sites' traffic.
The call site's name travels in the system prompt (prompts are never recorded) so the fakes can shape usage.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import random
import re
import signal
from typing import Any

from tokenledger.fakes import FakeAnthropic, FakePlan, FakeUsage, FakeXAI, PlanPolicy
from tokenledger.settings import load_settings

from .traffic import CALL_SITES, CLIENT_TIMEOUT_MS, SERVICE_TEAMS, CallSite, customer_for, draw_outcome, draw_usage

logger = logging.getLogger("tokenledger.demo.live")
_SITE_TAG = re.compile(r"\[site:([\w-]+)\]")
_MAX_IN_FLIGHT = 8
_REAL_MAX_TOKENS = 32


_FAILURE_OF = {"529": "overloaded", "503": "overloaded", "500": "http_500", "connection_error": "disconnect"}
"""The fake's failure mode that makes the client record each of the traffic model's `error.type` values."""


def plan_call(site: CallSite, rng: random.Random, step: int = 0) -> FakePlan:
    """How the fake answers one live call of `site`: usage, latency, time to first token and failure drawn from
    the same model as the backfill (`draw_usage`, then `draw_outcome`), so live points sit on the history's."""
    drawn = draw_usage(site, rng, step)
    outcome = draw_outcome(site, rng, drawn.output_tokens)
    usage = FakeUsage(
        drawn.input_tokens,
        drawn.output_tokens,
        drawn.cache_read_tokens,
        drawn.cache_write_tokens if site.provider == "anthropic" else 0,
        drawn.reasoning_tokens if site.provider == "x_ai" else 0,
    )
    duration_s = outcome.duration_ms / 1000
    if outcome.error_type == "timeout":
        # Answer only after the client's timeout: the client gives up then, as the model says.
        return FakePlan(latency_s=CLIENT_TIMEOUT_MS / 1000 + 5, usage=usage)
    if outcome.error_type is not None:
        return FakePlan(latency_s=duration_s, failure=_FAILURE_OF[outcome.error_type], usage=usage)
    if outcome.ttft_ms is not None:  # streamed: the first token after ttft, the rest spread over the remainder
        return FakePlan(latency_s=outcome.ttft_ms / 1000, stream_s=duration_s - outcome.ttft_ms / 1000, usage=usage)
    return FakePlan(latency_s=duration_s, usage=usage)


def site_plan_policy(sites: dict[str, CallSite], rng: random.Random) -> PlanPolicy:
    """The fakes' plan policy: finds the call site named in the request's system prompt and plans its answer."""

    def plan(body: dict[str, Any]) -> FakePlan:
        match = _SITE_TAG.search(str(body.get("system", "")) + str(body.get("messages", ""))[:400])
        site = sites.get(match.group(1)) if match else None
        if site is None:
            return FakePlan(usage=FakeUsage(input_tokens=500, output_tokens=50))
        return plan_call(site, rng, step=sum(1 for m in body.get("messages", []) if m.get("role") == "assistant"))

    return plan


async def _one_call(site: CallSite, real: bool, request_id: int) -> None:
    import llm

    # Per request, as a service's handler would: every call inside carries the customer and the feature.
    with llm.attribute(customer=customer_for(request_id), feature=site.name):
        await _calls(site, real)


async def _calls(site: CallSite, real: bool) -> None:
    import llm

    system = f"You are the {site.name} step of a demo product. [site:{site.name}]"
    max_tokens = _REAL_MAX_TOKENS if real else 1024
    env_key = "CGX_FRONTEND_MODEL_NAME" if site.layer == "chat" else "PROCESSING_BACKEND_MODEL_NAME"
    # A pinned call site names its model in code, as a legacy one would; the others go through the policy.
    model = site.model if site.name == "legacy-summaries" else llm.resolve_model(env_key, logger)
    try:
        if site.path == "stream":
            messages = [{"role": "user", "content": "Say hello in five words."}]
            async for _event in llm.stream_chat(model, system, messages, max_tokens, logger, layer=site.layer):
                pass
        elif site.path == "agent":
            from langchain_core.messages import AIMessage, HumanMessage, SystemMessage

            from llm.agents import make_chat_model

            chat = make_chat_model(model, layer=site.layer)
            history: list[Any] = [SystemMessage(system), HumanMessage("Plan the next step in one line.")]
            for _ in range(site.steps):
                reply = await chat.ainvoke(history, max_tokens=max_tokens)
                history += [AIMessage(str(reply.content)), HumanMessage("Next step, one line.")]
        else:
            await llm.simple_complete(
                model, system, "Summarise: the demo is running.", max_tokens, logger, layer=site.layer
            )
    except llm.LLMError as exc:  # recorded on the span already; a service would answer 502/503 here
        logger.warning("%s call failed: %s", site.name, exc)


async def _run(sites: list[CallSite], rate: float, real: bool, seed: int) -> None:
    rng = random.Random(seed)
    weights = [s.calls_per_weekday for s in sites]
    gate = asyncio.Semaphore(_MAX_IN_FLIGHT)
    tasks: set[asyncio.Task] = set()

    async def guarded(site: CallSite, request_id: int) -> None:
        async with gate:
            await _one_call(site, real, request_id)

    while True:
        await asyncio.sleep(rng.expovariate(rate))  # Poisson arrivals
        site = rng.choices(sites, weights=weights)[0]
        if gate.locked():
            continue  # shed load rather than queue without bound
        task = asyncio.create_task(guarded(site, rng.getrandbits(64)))
        tasks.add(task)
        task.add_done_callback(tasks.discard)


def _on_sigterm(signum, frame):  # the demo stops its workers with SIGTERM: end like Ctrl-C, flushing spans
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    signal.signal(signal.SIGTERM, _on_sigterm)
    parser = argparse.ArgumentParser(prog="python -m tokenledger.demo.live")
    parser.add_argument("--service", required=True)
    parser.add_argument("--environment", required=True)
    parser.add_argument("--collector", required=True, help="collector base URL")
    parser.add_argument("--rate", type=float, required=True, help="calls per second")
    parser.add_argument("--real", action="store_true")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    for noisy in ("httpx", "httpx2", "anthropic", "openai"):  # one line per HTTP request drowns the log
        logging.getLogger(noisy).setLevel(logging.WARNING)
    sites = [s for s in CALL_SITES if s.service == args.service and s.environment == args.environment]
    if not sites:
        parser.error(f"no call sites for service {args.service!r} in {args.environment!r}")
    fakes = []
    if args.real:
        have = {"anthropic": bool(os.environ.get("ANTHROPIC_API_KEY")), "x_ai": bool(os.environ.get("XAI_API_KEY"))}
        sites = [s for s in sites if have[s.provider]]
        if not sites:
            logger.warning("no API key for this service's providers; it sends nothing")
            return 0
    else:
        policy = site_plan_policy({s.name: s for s in sites}, random.Random(f"{args.service}/{args.environment}"))
        fakes = [FakeAnthropic(plan=policy), FakeXAI(plan=policy)]
        for fake in fakes:
            fake.start()
        os.environ.update(
            {
                "ANTHROPIC_BASE_URL": fakes[0].base_url,
                "XAI_BASE_URL": fakes[1].base_url,
                "ANTHROPIC_API_KEY": "local-fake-key",
                "XAI_API_KEY": "local-fake-key",
                # A failure the model draws is the call's final outcome, as in the backfill: no SDK retry hides
                # it; and the client gives up at the model's timeout.
                "LLM_MAX_RETRIES": "0",
                "LLM_TIMEOUT_S": str(CLIENT_TIMEOUT_MS / 1000),
            }
        )
    import llm

    llm.configure_telemetry(
        service_name=args.service,
        endpoint=f"{args.collector}/v1/traces",
        headers=load_settings().ingest_headers or None,
        environment=args.environment,
        team=SERVICE_TEAMS[args.service][0],
        cost_center=SERVICE_TEAMS[args.service][1],
    )
    try:
        asyncio.run(_run(sites, args.rate, args.real, seed=os.getpid()))
    except KeyboardInterrupt:
        pass
    finally:
        for fake in fakes:
            fake.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

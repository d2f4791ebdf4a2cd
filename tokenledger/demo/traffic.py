"""Simulated product traffic: what each layer of a typical product calls, how often, and with what shapes.

Everything is deterministic per (day, call site): the same day always yields the same calls with the same ids,
so re-sending a day adds nothing at the collector (its key is trace_id, span_id).
"""

from __future__ import annotations

import hashlib
import math
import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

WEEKDAY_FACTOR = (1.0, 1.05, 1.0, 0.95, 0.85, 0.35, 0.3)  # Monday..Sunday
HOUR_WEIGHTS = tuple(0.15 if h < 6 else 0.5 if h < 8 else 1.0 if h < 18 else 0.45 if h < 22 else 0.2 for h in range(24))


@dataclass(frozen=True)
class CallSite:
    """One place in the product that calls a model, with the shape of its traffic."""

    name: str
    layer: str
    service: str
    environment: str
    model: str
    """The model the call site asks for."""
    used_model: str
    """The model actually called (differs when RESTRICT_MODELS substitutes)."""
    provider: str
    path: str
    """`stream` (stream_chat), `complete` (simple_complete) or `agent` (make_chat_model)."""
    calls_per_weekday: float
    input_median: int
    output_median: int
    cache_read_share: float
    """Probability that a call reads a cached prefix, and the prefix share of its input then."""
    cache_write_share: float
    reasoning_share: float
    """Share of output tokens spent on reasoning (xAI reasoning models)."""
    latency_ms_median: int
    ttft_ms_median: int
    error_rate: float
    steps: int = 1
    """LLM calls per run (agents make several, with growing context)."""


PRODUCTION = "production"
STAGING = "staging"
HAIKU = "claude-haiku-4-5-20251001"
SONNET = "claude-sonnet-4-6"
GROK = "grok-4-fast-reasoning"
UNPRICED = "claude-3-5-haiku-latest"
"""A legacy call site still pinned to a model with no rate card: it lands in the review queue."""

CALL_SITES: tuple[CallSite, ...] = (
    CallSite(
        "chat",
        "chat",
        "chat-bff",
        PRODUCTION,
        SONNET,
        SONNET,
        "anthropic",
        "stream",
        420,
        3_800,
        380,
        0.72,
        0.08,
        0.0,
        5_500,
        650,
        0.012,
    ),
    CallSite(
        "analysis",
        "analysis",
        "processing-worker",
        PRODUCTION,
        GROK,
        GROK,
        "x_ai",
        "complete",
        260,
        7_000,
        900,
        0.35,
        0.0,
        0.55,
        7_000,
        0,
        0.02,
    ),
    CallSite(
        "drafts",
        "drafts",
        "processing-worker",
        PRODUCTION,
        GROK,
        GROK,
        "x_ai",
        "complete",
        150,
        2_200,
        1_300,
        0.2,
        0.0,
        0.25,
        9_000,
        0,
        0.015,
    ),
    CallSite(
        "agents",
        "agents",
        "processing-worker",
        PRODUCTION,
        GROK,
        GROK,
        "x_ai",
        "agent",
        45,
        3_500,
        220,
        0.5,
        0.0,
        0.4,
        3_200,
        0,
        0.03,
        steps=4,
    ),
    CallSite(
        "legacy-summaries",
        "drafts",
        "processing-worker",
        PRODUCTION,
        UNPRICED,
        UNPRICED,
        "anthropic",
        "complete",
        24,
        1_800,
        250,
        0.0,
        0.0,
        0.0,
        2_400,
        0,
        0.01,
    ),
    CallSite(
        "staging-chat",
        "chat",
        "chat-bff",
        STAGING,
        SONNET,
        HAIKU,
        "anthropic",
        "stream",
        35,
        3_000,
        300,
        0.5,
        0.1,
        0.0,
        2_800,
        400,
        0.03,
    ),
)


SERVICE_TEAMS = {"chat-bff": ("product", "CC-100"), "processing-worker": ("data-platform", "CC-200")}
"""Each simulated service's (team, cost centre): set once per service on its telemetry resource."""
CUSTOMERS = (("acme", 45), ("globex", 30), ("initech", 15), ("umbrella", 10))
"""The product's customers and their share of requests (percent)."""


def customer_for(trace_id: int) -> str:
    """The customer a request (one trace: an agent run's steps share it) is made for: fixed by its id, so a re-sent
    day is charged to the same customers, and drawn apart from the traffic's random stream (its ids stay put)."""
    point = int.from_bytes(hashlib.sha256(str(trace_id).encode()).digest()[:4], "big") % 100
    for name, share in CUSTOMERS:
        if point < share:
            return name
        point -= share
    return CUSTOMERS[-1][0]


@dataclass(frozen=True)
class SimulatedCall:
    """One provider call, with everything a span needs and nothing a span must not hold (no text)."""

    site: CallSite
    start: datetime
    duration_ms: int
    ttft_ms: int | None
    input_tokens: int
    """All input, cache included (OpenTelemetry GenAI convention)."""
    output_tokens: int
    cache_read_tokens: int
    cache_write_tokens: int
    reasoning_tokens: int
    error_type: str | None
    trace_id: int
    span_id: int
    response_id: str


def _rng(*parts: object) -> random.Random:
    digest = hashlib.sha256("|".join(map(str, parts)).encode()).digest()
    return random.Random(int.from_bytes(digest[:8], "big"))


def _lognormal(rng: random.Random, median: float, sigma: float = 0.55) -> float:
    return median * math.exp(rng.gauss(0.0, sigma))


def calls_for_day(site: CallSite, day: date) -> list[SimulatedCall]:
    """Every call `site` makes on `day` (UTC), in start order. Deterministic."""
    rng = _rng("calls", site.name, day.isoformat())
    expected = site.calls_per_weekday * WEEKDAY_FACTOR[day.weekday()]
    if site.environment == STAGING and day.weekday() >= 5:
        expected = 0.0  # nobody tests on staging at the weekend
    runs = max(0, round(rng.gauss(expected, math.sqrt(expected) if expected else 0)))
    midnight = datetime(day.year, day.month, day.day, tzinfo=UTC)
    calls: list[SimulatedCall] = []
    for run in range(runs):
        hour = rng.choices(range(24), weights=HOUR_WEIGHTS)[0]
        start = midnight + timedelta(hours=hour, seconds=rng.uniform(0, 3600))
        trace_id = rng.getrandbits(128) or 1
        for step in range(site.steps):
            call = _one_call(site, rng, start, step, trace_id, f"{site.name}-{day:%Y%m%d}-{run}-{step}")
            calls.append(call)
            start = call.start + timedelta(milliseconds=call.duration_ms + rng.uniform(50, 400))
    calls.sort(key=lambda c: c.start)
    return calls


@dataclass(frozen=True)
class Usage:
    """Token counts in the OpenTelemetry GenAI convention: input includes cache, output includes reasoning."""

    input_tokens: int
    output_tokens: int
    cache_read_tokens: int
    cache_write_tokens: int
    reasoning_tokens: int


def draw_usage(site: CallSite, rng: random.Random, step: int = 0) -> Usage:
    """Token counts typical of `site`; an agent's context grows with each step."""
    input_tokens = max(50, int(_lognormal(rng, site.input_median * (1 + 0.8 * step))))
    output_tokens = max(1, int(_lognormal(rng, site.output_median, 0.7)))
    cache_read = int(input_tokens * rng.uniform(0.55, 0.85)) if rng.random() < site.cache_read_share else 0
    cache_write = 0
    if not cache_read and rng.random() < site.cache_write_share:
        cache_write = int(input_tokens * rng.uniform(0.5, 0.8))
    reasoning = int(output_tokens * site.reasoning_share * rng.uniform(0.6, 1.2)) if site.reasoning_share else 0
    return Usage(input_tokens, max(output_tokens, reasoning), cache_read, cache_write, reasoning)


CLIENT_TIMEOUT_MS = 120_000
"""The simulated services' client timeout (the client's default `LLM_TIMEOUT_S`): a `timeout` lasts this long."""
ERROR_TYPES = {
    "anthropic": ("529", "connection_error", "500", "timeout"),
    "x_ai": ("503", "connection_error", "500", "timeout"),
}
"""The `error.type` values a failed call records, per provider: overloaded (Anthropic answers 529, an
OpenAI-compatible API 503), dropped connection, server error, client timeout. Equally likely."""


@dataclass(frozen=True)
class Outcome:
    """How one call goes: how long it takes, when its first token comes, and whether it fails."""

    duration_ms: int
    ttft_ms: int | None
    """Time to first token (streamed calls that succeed), else None."""
    error_type: str | None


def draw_outcome(site: CallSite, rng: random.Random, output_tokens: int) -> Outcome:
    """Latency, time to first token and failure of one call of `site`: the one model the backfill records and
    the live fake providers play out. Longer answers take longer; a failure comes after a quarter of the time
    (a timeout after the client's timeout, and so does a call slower than that) and has no first token."""
    duration = max(80, int(_lognormal(rng, site.latency_ms_median * (output_tokens / site.output_median) ** 0.5)))
    error = None
    if rng.random() < site.error_rate:
        error = rng.choice(ERROR_TYPES[site.provider])
        duration = CLIENT_TIMEOUT_MS if error == "timeout" else max(50, duration // 4)
    ttft = None
    if site.path == "stream" and error is None:
        ttft = min(duration, max(40, int(_lognormal(rng, site.ttft_ms_median, 0.4))))
    if duration > CLIENT_TIMEOUT_MS:  # the client stops waiting (rare: the far tail of the slowest call site)
        return Outcome(CLIENT_TIMEOUT_MS, None, "timeout")
    return Outcome(duration, ttft, error)


def _one_call(site: CallSite, rng: random.Random, start: datetime, step: int, trace_id: int, key: str):
    usage = draw_usage(site, rng, step)
    input_tokens, output_tokens = usage.input_tokens, usage.output_tokens
    cache_read, cache_write, reasoning = usage.cache_read_tokens, usage.cache_write_tokens, usage.reasoning_tokens
    outcome = draw_outcome(site, rng, output_tokens)
    if outcome.error_type is not None:
        output_tokens = reasoning = 0
        cache_read = cache_write = 0
    return SimulatedCall(
        site=site,
        start=start,
        duration_ms=outcome.duration_ms,
        ttft_ms=outcome.ttft_ms,
        input_tokens=input_tokens,
        output_tokens=output_tokens,
        cache_read_tokens=cache_read,
        cache_write_tokens=cache_write,
        reasoning_tokens=reasoning,
        error_type=outcome.error_type,
        trace_id=trace_id,
        span_id=(rng.getrandbits(64) or 1),
        response_id=f"demo_{hashlib.sha1(key.encode()).hexdigest()[:24]}",
    )


def default_backfill_days(today: date) -> int:
    """Whole days from the first of the previous calendar month up to `today` (UTC; today itself is live traffic).

    The dashboard opens on month to date against the previous month: backfilling all of the previous month
    makes that comparison show real figures whatever the day of the month."""
    first_of_this_month = today.replace(day=1)
    first_of_previous_month = (first_of_this_month - timedelta(days=1)).replace(day=1)
    return (today - first_of_previous_month).days


def history(days: int, today: date) -> Iterator[tuple[date, list[SimulatedCall]]]:
    """The `days` whole UTC days before `today`, oldest first, each with the calls that start on it.

    A run that starts late spills its last steps past midnight: they belong to the day they start on, as the
    collector counts them; the spill of the window's last day into `today` is left out (today is live traffic).
    """
    first = today - timedelta(days=days)
    by_day: dict[date, list[SimulatedCall]] = {first + timedelta(days=i): [] for i in range(days)}
    for offset in range(days + 1):  # the day before the window can spill into its first day
        for site in CALL_SITES:
            for call in calls_for_day(site, first + timedelta(days=offset - 1)):
                if call.start.date() in by_day:
                    by_day[call.start.date()].append(call)
    for day, calls in by_day.items():
        yield day, sorted(calls, key=lambda c: c.start)

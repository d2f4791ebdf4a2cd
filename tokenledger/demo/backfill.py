"""Backfill history through the real OTLP path: the client's span-building code and the OTLP/HTTP exporter.

Nothing here writes to DuckDB. Spans carry start times in the past and deterministic ids, so a day sent twice
adds nothing at the collector; days the collector already holds are not sent again at all.
"""

from __future__ import annotations

from datetime import date

import httpx
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from opentelemetry.sdk.trace.id_generator import IdGenerator
from tqdm import tqdm

from llm import CallRecord, attribute, record_call
from tokenledger import contract
from tokenledger.settings import ADMIN_TOKEN_ENV, READ_TOKEN_ENV

from .processes import DemoError
from .traffic import SERVICE_TEAMS, SimulatedCall, customer_for, history


class _QueuedIds(IdGenerator):
    """Hands the SDK the ids the simulation chose, so a replayed call gets the same (trace_id, span_id)."""

    def __init__(self) -> None:
        self.trace_id = 0
        self.span_id = 0

    def generate_trace_id(self) -> int:
        return self.trace_id

    def generate_span_id(self) -> int:
        return self.span_id


def calls_per_day(collector_url: str, headers: dict[str, str]) -> dict[date, int]:
    """How many calls the collector holds for each UTC day."""
    try:
        response = httpx.get(f"{collector_url}/api/v1/spend", params={"group_by": "day"}, headers=headers, timeout=30)
        response.raise_for_status()
    except httpx.HTTPStatusError as exc:
        hint = f" (set {READ_TOKEN_ENV} or {ADMIN_TOKEN_ENV})" if exc.response.status_code == 401 else ""
        raise DemoError(f"the collector refused to say what it holds: HTTP {exc.response.status_code}{hint}") from None
    except httpx.HTTPError as exc:
        raise DemoError(f"cannot ask the collector what it holds: {exc}") from None
    return {date.fromisoformat(str(row["day"])[:10]): int(row["calls"]) for row in response.json()["rows"]}


def to_record(call: SimulatedCall) -> CallRecord:
    site = call.site
    failed = call.error_type is not None
    return CallRecord(
        provider=site.provider,
        request_model=site.used_model,
        response_model=None if call.error_type else site.used_model,
        response_id=None if call.error_type else call.response_id,
        max_tokens=4096,
        # A failed call never got usage from the provider: no token counts, hence no cost (as the client does).
        input_tokens=None if failed else call.input_tokens,
        output_tokens=None if failed else call.output_tokens,
        cache_read_tokens=None if failed else call.cache_read_tokens,
        cache_write_tokens=None if failed else call.cache_write_tokens,
        reasoning_tokens=None if failed else call.reasoning_tokens or None,
        layer=site.layer,
        streaming=site.path == "stream",
        ttft_ms=call.ttft_ms,
        requested_model=site.model if site.model != site.used_model else None,
        error_type=call.error_type,
    )


def backfill(
    collector_url: str,
    days: int,
    today: date,
    ingest_headers: dict[str, str],
    read_headers: dict[str, str],
    *,
    progress: bool = True,
) -> int:
    """Send `days` whole days of simulated calls before `today` that the collector lacks. Returns calls sent.

    A day counts as held when the collector has at least as many calls for it as the simulation makes (live
    traffic on that day counts too)."""
    if days == 0:
        return 0
    have = calls_per_day(collector_url, read_headers)
    # A day cut short by Ctrl-C holds fewer calls than simulated: send it again (its ids make that idempotent).
    todo = [(day, calls) for day, calls in history(days, today) if have.get(day, 0) < len(calls)]
    ids = _QueuedIds()
    providers: dict[tuple[str, str], TracerProvider] = {}

    def tracer_for(call: SimulatedCall):
        key = (call.site.service, call.site.environment)
        if key not in providers:
            team, cost_center = SERVICE_TEAMS[key[0]]
            resource = Resource.create(
                {
                    contract.SERVICE: key[0],
                    contract.ENVIRONMENT: key[1],
                    contract.TEAM: team,
                    contract.COST_CENTER: cost_center,
                }
            )
            provider = TracerProvider(resource=resource, id_generator=ids)
            exporter = OTLPSpanExporter(endpoint=f"{collector_url}/v1/traces", headers=ingest_headers)
            provider.add_span_processor(BatchSpanProcessor(exporter, max_queue_size=16_384, max_export_batch_size=512))
            providers[key] = provider
        return providers[key].get_tracer("tokenledger.demo")

    sent = 0
    total = sum(len(calls) for _, calls in todo)
    try:
        desc = f"Backfilling {len(todo)} days" if todo else "Backfill"
        with tqdm(total=total, unit="call", desc=desc, disable=not progress or total == 0) as bar:
            for day, calls in todo:
                bar.set_postfix_str(f"day {day.isoformat()}")
                for call in calls:
                    ids.trace_id, ids.span_id = call.trace_id, call.span_id
                    start_ns = int(call.start.timestamp() * 1e9)
                    with attribute(customer=customer_for(call.trace_id), feature=call.site.name):
                        record_call(
                            to_record(call),
                            start_time_ns=start_ns,
                            end_time_ns=start_ns + call.duration_ms * 10**6,
                            tracer=tracer_for(call),
                        )
                for provider in providers.values():  # a day at a time: the queue never overflows and drops spans
                    provider.force_flush()
                sent += len(calls)
                bar.update(len(calls))
    finally:
        # Also on Ctrl-C: flush what is queued while the collector still listens (the runner stops it after this).
        for provider in providers.values():
            provider.shutdown()
    return sent

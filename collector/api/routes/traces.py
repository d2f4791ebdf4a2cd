"""`POST /v1/traces`: OTLP/HTTP ingestion. A 200 means every accepted row is committed."""

from __future__ import annotations

import logging

import anyio
from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.requests import ClientDisconnect

from ... import otlp
from ...config import Settings
from ...deps import IngestAuth, SettingsDep, StoreDep
from ...ingest import ingest
from ...limits import ByteBudget, WriteGate
from ...store import StoreError
from ..errors import otlp_error

log = logging.getLogger("collector.traces")
router = APIRouter(tags=["ingest"])

INGEST_THREADS = 4
"""Worker threads ingest may use at once (one writer at a time anyway); the rest wait without a thread."""


class _Busy(Exception):
    """The bodies already held fill the buffer budget (429)."""


async def _read_body(request: Request, limit: int, buffered: ByteBudget, held: list[int]) -> bytes | None:
    """The raw body, or None as soon as it grows past `limit`. What is read counts against `buffered` as it arrives
    (added to `held[0]`), so a slow upload holds only the bytes it has sent; raises _Busy when the budget is full."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        return None
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            return None
        if not buffered.try_take(len(chunk)):
            raise _Busy
        held[0] += len(chunk)
        chunks.append(chunk)
    return b"".join(chunks)


@router.post("/v1/traces", dependencies=[IngestAuth])
async def export_traces(request: Request, settings: SettingsDep, store: StoreDep) -> Response:
    """Receive an OTLP ExportTraceServiceRequest (protobuf or JSON, optionally gzip/deflate)."""
    try:
        kind = otlp.media_type(request.headers.get("content-type"))
    except otlp.UnsupportedMediaType as exc:
        return otlp_error(otlp.JSON, 415, str(exc))
    limit = settings.max_body_bytes
    state = request.app.state
    gate: WriteGate = state.write_gate
    busy = otlp_error(kind, 429, "collector is busy, retry later", settings.retry_after_s)
    if gate.full():  # before reading the body: a busy collector does not buffer 64 MiB to say 429
        return busy
    held = [0]
    try:
        # The write slot is taken only once the body is here: a slow upload must not cost a writer's slot.
        try:
            with anyio.fail_after(settings.body_timeout_s):
                body = await _read_body(request, limit, state.buffered_budget, held)
        except TimeoutError:
            return otlp_error(kind, 408, f"request body not received within {settings.body_timeout_s} s")
        if body is None:
            return otlp_error(kind, 413, f"body is over {limit} bytes")
        if not gate.enter():
            return busy
        try:
            encoding = request.headers.get("content-encoding")
            result = await anyio.to_thread.run_sync(
                _decode_and_ingest, body, encoding, kind, settings, store, state.decoded_budget,
                limiter=_ingest_limiter(request),
            )  # fmt: skip
        finally:
            gate.leave()
    except ClientDisconnect:  # the client went away mid-body: nobody to answer, nothing to fix
        log.debug("client disconnected before its body was read")
        return otlp_error(kind, 400, "client disconnected")
    except _Busy:
        return busy
    except otlp.BadRequest as exc:
        return otlp_error(kind, 400, str(exc))
    except otlp.TooLarge as exc:
        return otlp_error(kind, 413, str(exc))
    except otlp.UnsupportedMediaType as exc:
        return otlp_error(kind, 415, str(exc))
    except StoreError as exc:
        log.warning("ingest refused, store cannot write: %s", exc)
        return otlp_error(kind, 503, "store unavailable, retry later", settings.retry_after_s)
    finally:
        state.buffered_budget.give(held[0])
    evaluator = getattr(state, "evaluator", None)
    if evaluator is not None and result.inserted:
        evaluator.nudge()  # budgets are evaluated in the background, after this answer
    payload = otlp.encode_response(kind, result.rejected, result.error_message)
    return Response(payload, 200, media_type=kind)


def _ingest_limiter(request: Request) -> anyio.CapacityLimiter:
    """Ingest's own thread budget, apart from anyio's default pool that reads and health use."""
    state = request.app.state
    limiter = getattr(state, "ingest_limiter", None)
    if limiter is None:  # made on first use: a CapacityLimiter belongs to the running event loop
        limiter = state.ingest_limiter = anyio.CapacityLimiter(INGEST_THREADS)
    return limiter


JSON_COST = 4
"""Decoded-budget bytes per byte of OTLP JSON: parsing JSON into Python objects takes several times its size."""


class _NoRoom(Exception):
    """The decoded budget has no room now for what the body inflates to."""


def _decode_and_ingest(body: bytes, encoding: str | None, kind: str, settings: Settings, store, budget: ByteBudget):
    """Decompress, decode and ingest within the decoded-bytes budget (waiting for room, on a worker thread)."""
    raw, held = _inflate_within(budget, body, encoding, settings.max_body_bytes, JSON_COST if kind == otlp.JSON else 1)
    try:
        if kind == otlp.JSON and len(raw) > settings.max_json_bytes:
            raise otlp.TooLarge(f"OTLP JSON body is over {settings.max_json_bytes} bytes once decompressed")
        decoded = otlp.decode_export(raw, kind)
        del raw
        return ingest(decoded.request, store, decoded.rejected, settings.dimension_attributes)
    finally:
        budget.give(held)


def _inflate_within(budget: ByteBudget, body: bytes, encoding: str | None, limit: int, cost: int) -> tuple[bytes, int]:
    """The decompressed body and the budget it holds (`cost` per byte). A compressed body's size is known only once
    inflated: it takes room as it grows while there is room; else it waits for room for the most it may inflate to."""
    if (encoding or "identity").strip().lower() in ("", "identity"):
        return body, budget.take(len(body) * cost)
    taken = [0]

    def grow(size: int) -> None:
        want = size * cost - taken[0]
        if want > 0:
            if not budget.try_take(want):
                raise _NoRoom
            taken[0] += want

    try:
        raw = otlp.decompress(body, encoding, limit, grow)
        return raw, taken[0]
    except _NoRoom:
        budget.give(taken[0])
    except BaseException:
        budget.give(taken[0])
        raise
    held = budget.take(limit * cost)  # inflating again is cheap next to waiting without a bound
    try:
        raw = otlp.decompress(body, encoding, limit)
    except BaseException:
        budget.give(held)
        raise
    need = min(len(raw) * cost, held)
    budget.give(held - need)
    return raw, need

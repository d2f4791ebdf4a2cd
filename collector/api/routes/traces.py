"""`POST /v1/traces`: OTLP/HTTP ingestion. A 200 means every accepted row is committed."""

from __future__ import annotations

import logging
import threading

import anyio
from fastapi import APIRouter, Request
from fastapi.responses import Response
from google.protobuf import json_format
from google.rpc.status_pb2 import Status

from ... import otlp
from ...deps import IngestAuth, SettingsDep, StoreDep
from ...ingest import ingest
from ...store import StoreError

log = logging.getLogger("collector.traces")
router = APIRouter(tags=["ingest"])

_GRPC_CODES = {400: 3, 401: 16, 413: 8, 415: 3, 429: 8, 503: 14}
INGEST_THREADS = 4
"""Worker threads ingest may use at once (one writer at a time anyway); the rest wait without a thread."""


class WriteGate:
    """Counts ingest requests in flight; past the limit the collector answers 429 instead of queueing forever."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._in_flight = 0
        self._lock = threading.Lock()

    def enter(self) -> bool:
        with self._lock:
            if self._in_flight >= self.limit:
                return False
            self._in_flight += 1
            return True

    def leave(self) -> None:
        with self._lock:
            self._in_flight -= 1


def _error(kind: str, status: int, message: str, retry_after: int | None = None) -> Response:
    """An OTLP error response: a google.rpc.Status in the request's encoding."""
    body = Status(code=_GRPC_CODES.get(status, 2), message=message)
    headers = {"Retry-After": str(retry_after)} if retry_after is not None else None
    if kind == otlp.PROTOBUF:
        return Response(body.SerializeToString(), status, headers=headers, media_type=otlp.PROTOBUF)
    return Response(json_format.MessageToJson(body, indent=None), status, headers=headers, media_type=otlp.JSON)


def error_for(request: Request, status: int, message: str, headers: dict[str, str] | None = None) -> Response:
    """An error answer on this route (from an exception handler: 401, the catch-all 503) as a google.rpc.Status."""
    try:
        kind = otlp.media_type(request.headers.get("content-type"))
    except otlp.UnsupportedMediaType:
        kind = otlp.JSON
    response = _error(kind, status, message)
    response.headers.update(headers or {})
    return response


async def _read_body(request: Request, limit: int) -> bytes | None:
    """The raw body, or None as soon as it grows past `limit`."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        return None
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


@router.post("/v1/traces", dependencies=[IngestAuth])
async def export_traces(request: Request, settings: SettingsDep, store: StoreDep) -> Response:
    """Receive an OTLP ExportTraceServiceRequest (protobuf or JSON, optionally gzip/deflate)."""
    try:
        kind = otlp.media_type(request.headers.get("content-type"))
    except otlp.UnsupportedMediaType as exc:
        return _error(otlp.JSON, 415, str(exc))
    limit = settings.max_body_bytes
    gate: WriteGate = request.app.state.write_gate
    if not gate.enter():  # before reading the body: a busy collector does not buffer 64 MiB to say 429
        return _error(kind, 429, "collector is busy, retry later", settings.retry_after_s)
    try:
        body = await _read_body(request, limit)
        if body is None:
            return _error(kind, 413, f"body is over {limit} bytes")
        encoding = request.headers.get("content-encoding")
        result = await anyio.to_thread.run_sync(
            _decode_and_ingest,
            body,
            encoding,
            kind,
            limit,
            store,
            settings.dimension_attributes,
            limiter=_ingest_limiter(request),
        )
    except otlp.BadRequest as exc:
        return _error(kind, 400, str(exc))
    except otlp.TooLarge as exc:
        return _error(kind, 413, str(exc))
    except otlp.UnsupportedMediaType as exc:
        return _error(kind, 415, str(exc))
    except StoreError as exc:
        log.warning("ingest refused, store cannot write: %s", exc)
        return _error(kind, 503, "store unavailable, retry later", settings.retry_after_s)
    finally:
        gate.leave()
    evaluator = getattr(request.app.state, "evaluator", None)
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


def _decode_and_ingest(body: bytes, encoding: str | None, kind: str, limit: int, store, dimension_attributes):
    raw = otlp.decompress(body, encoding, limit)
    return ingest(otlp.decode(raw, kind), store, dimension_attributes)

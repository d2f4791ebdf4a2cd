"""Build the collector's FastAPI app. Nothing else happens here."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect

from .alerts import Evaluator
from .api.errors import error_for
from .api.routes import ROUTERS
from .config import Settings
from .limits import ByteBudget, WriteGate
from .reconcile_daily import DailyReconcile
from .store import StoreError, StoreProtocol, Unsupported, open_store, redact

log = logging.getLogger("collector")
OTLP_PATH = "/v1/traces"


def _announce(settings: Settings) -> None:
    if settings.open_access:
        log.warning(
            "no TOKENLEDGER_*_TOKEN is set: the collector is OPEN (ingest, read and rate changes) on %s:%d",
            settings.host,
            settings.port,
        )
        if settings.host not in ("127.0.0.1", "localhost", "::1"):
            log.warning("%s is reachable from other machines: set TOKENLEDGER_ADMIN_TOKEN (and others)", settings.host)
        return
    scopes = {
        "ingest": bool(settings.ingest_token or settings.admin_token),
        "read": bool(settings.read_token or settings.admin_token),
        "admin": True,
    }
    for scope, protected in scopes.items():
        log.info("%s routes: %s", scope, "bearer token required" if protected else "OPEN (no token set)")


def create_app(
    settings: Settings | None = None, store: StoreProtocol | None = None, *, close_store: bool | None = None
) -> FastAPI:
    """The collector app. It opens (and migrates) `settings.db_path` at start-up unless a `store` is given.

    The store is closed (checkpointed) at shutdown when the app opened it, or when `close_store` says so: uvicorn
    re-raises SIGTERM after its graceful shutdown, so code after `uvicorn.run` never runs on a `kill`.
    """
    settings = settings or Settings.from_env()
    owned = store is None if close_store is None else close_store

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.store = open_store(settings.db_path) if store is None else store
        _announce(settings)
        app.state.evaluator = Evaluator(app.state.store, settings)
        app.state.evaluator.start()
        app.state.reconciler = DailyReconcile(app.state.store, settings)
        app.state.reconciler.start()
        log.info("collector ready on %s", redact(settings.db_path))
        try:
            yield
        finally:
            await app.state.evaluator.stop()
            await app.state.reconciler.stop()
            if owned:
                app.state.store.close()

    # FastAPI's native telemetry would trace the collector's own requests (and could feed them back to itself).
    app = FastAPI(
        title="tokenledger collector",
        lifespan=lifespan,
        openapi_url=None,  # served by api/routes/docs.py, behind the read token when one is set
        docs_url=None,
        redoc_url=None,
        telemetry={"tracing": False, "metrics": False, "logs": False},
    )
    app.state.settings = settings
    app.state.write_gate = WriteGate(settings.max_pending_writes)
    app.state.buffered_budget = ByteBudget(max(settings.max_buffered_bytes, settings.max_body_bytes))
    app.state.decoded_budget = ByteBudget(settings.max_decoded_bytes)
    for router in ROUTERS:
        app.include_router(router)

    def error(request: Request, status: int, message: str, headers: dict[str, str] | None = None) -> Response:
        # OTLP clients read a google.rpc.Status in their own encoding; the read API answers {"detail": ...}.
        if request.url.path == OTLP_PATH:
            return error_for(request, status, message, headers)
        return JSONResponse({"detail": message}, status_code=status, headers=headers)

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException) -> Response:
        if request.url.path == OTLP_PATH:
            return error(request, exc.status_code, str(exc.detail), dict(exc.headers or {}))
        return await http_exception_handler(request, exc)

    @app.exception_handler(StoreError)
    async def store_unavailable(request: Request, exc: StoreError) -> Response:
        log.warning("store unavailable on %s %s: %s", request.method, request.url.path, exc)
        return error(request, 503, "store unavailable, retry later", {"Retry-After": str(settings.retry_after_s)})

    @app.exception_handler(Unsupported)
    async def unsupported(request: Request, exc: Unsupported) -> Response:
        # A read this store does not have (yet): say so plainly, never a 500 or a retryable 503.
        return error(request, 501, str(exc))

    @app.exception_handler(ClientDisconnect)
    async def client_gone(request: Request, exc: ClientDisconnect) -> Response:
        # The client closed the connection mid-body: nobody reads the answer; not an error of ours.
        log.debug("client disconnected during %s %s", request.method, request.url.path)
        return Response(status_code=400)

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> Response:
        # A bug must stay visible: full traceback in the log. Clients get a retryable 503, never a 500.
        log.error("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
        return error(request, 503, "internal error, retry later", {"Retry-After": str(settings.retry_after_s)})

    return app

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from ...deps import StoreDep
from ...store import StoreError

router = APIRouter(tags=["health"])
SERVICE = "tokenledger-collector"
"""What `/healthz` names itself, so a client (the dashboard) can tell a tokenledger collector from any other server."""


@router.get("/healthz")
async def healthz(store: StoreDep) -> JSONResponse:
    """200 `{"status": "ok", "service": "tokenledger-collector"}` when the store answers a query, else 503
    (`"status": "unavailable"`, same `service`). Never needs a token.

    Async on purpose: it needs no worker thread, so it answers even when every thread waits (SELECT 1 on its own
    cursor does not wait for the writer).
    """
    try:
        store.ping()
    except StoreError:
        return JSONResponse({"status": "unavailable", "service": SERVICE}, status_code=503)
    return JSONResponse({"status": "ok", "service": SERVICE})

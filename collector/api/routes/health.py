from fastapi import APIRouter
from fastapi.responses import JSONResponse

from ...deps import StoreDep
from ...store import StoreError

router = APIRouter(tags=["health"])


@router.get("/healthz")
async def healthz(store: StoreDep) -> JSONResponse:
    """200 when the store answers a query, else 503. Never needs a token.

    Async on purpose: it needs no worker thread, so it answers even when every thread waits (SELECT 1 on its own
    cursor does not wait for the writer).
    """
    try:
        store.ping()
    except StoreError:
        return JSONResponse({"status": "unavailable"}, status_code=503)
    return JSONResponse({"status": "ok"})

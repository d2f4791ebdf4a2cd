from fastapi import APIRouter
from fastapi.responses import JSONResponse

from ...deps import StoreDep
from ...store import StoreError

router = APIRouter(tags=["health"])


@router.get("/healthz")
def healthz(store: StoreDep) -> JSONResponse:
    """200 when the store answers a query, else 503. Never needs a token."""
    try:
        store.ping()
    except StoreError:
        return JSONResponse({"status": "unavailable"}, status_code=503)
    return JSONResponse({"status": "ok"})

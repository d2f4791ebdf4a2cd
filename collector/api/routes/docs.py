"""The OpenAPI schema and its pages, behind the read token when one is set (they map the whole API)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import HTMLResponse, JSONResponse

from ...deps import ReadAuth

router = APIRouter(dependencies=[ReadAuth], include_in_schema=False)
OPENAPI_PATH = "/openapi.json"


@router.get(OPENAPI_PATH)
async def openapi(request: Request) -> JSONResponse:
    """The OpenAPI schema of the collector."""
    return JSONResponse(request.app.openapi())


@router.get("/docs")
async def swagger(request: Request) -> HTMLResponse:
    """Swagger UI (the page fetches the schema itself: with tokens set, only a browser that sends one gets it)."""
    return get_swagger_ui_html(openapi_url=OPENAPI_PATH, title=request.app.title + " - docs")


@router.get("/redoc")
async def redoc(request: Request) -> HTMLResponse:
    return get_redoc_html(openapi_url=OPENAPI_PATH, title=request.app.title + " - ReDoc")

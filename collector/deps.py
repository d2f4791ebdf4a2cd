"""FastAPI dependencies: settings, the store, and the three bearer-token scopes.

A scope needs a token when its own token or the admin token is set; it accepts its own token or the admin token.
Changing rates (the admin scope) needs the admin token as soon as any token is set. With no token set at all,
everything is open.
"""

from __future__ import annotations

import hmac
from datetime import datetime
from typing import Annotated

from fastapi import Depends, HTTPException, Request

from .config import Settings
from .store import StoreProtocol

# Every dependency here is async and does no I/O: a sync one would take a worker thread per request, and requests
# waiting for the writer would then starve the rest (health, reads).


async def get_settings(request: Request) -> Settings:
    return request.app.state.settings


async def get_store(request: Request) -> StoreProtocol:
    return request.app.state.store


async def get_now(request: Request) -> datetime:
    """The current instant from the settings' clock (fixed in tests): budget periods and forecasts depend on it."""
    return request.app.state.settings.clock()


SettingsDep = Annotated[Settings, Depends(get_settings)]
StoreDep = Annotated[StoreProtocol, Depends(get_store)]
NowDep = Annotated[datetime, Depends(get_now)]


def _presented(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


def _matches(presented: str, accepted: tuple[str | None, ...]) -> bool:
    ok = False
    for token in accepted:
        if token:  # compare with every configured token, in constant time each
            ok |= hmac.compare_digest(presented.encode(), token.encode())
    return ok


def _check(request: Request, required: bool, accepted: tuple[str | None, ...]) -> None:
    if not required:
        return
    presented = _presented(request)
    if presented is None or not _matches(presented, accepted):
        raise HTTPException(
            status_code=401,
            detail="missing or wrong bearer token" if presented else "a bearer token is required",
            headers={"WWW-Authenticate": "Bearer"},
        )


async def require_ingest(request: Request, settings: SettingsDep) -> None:
    _check(request, bool(settings.ingest_token or settings.admin_token), (settings.ingest_token, settings.admin_token))


async def require_read(request: Request, settings: SettingsDep) -> None:
    _check(request, bool(settings.read_token or settings.admin_token), (settings.read_token, settings.admin_token))


async def require_admin(request: Request, settings: SettingsDep) -> None:
    _check(request, not settings.open_access, (settings.admin_token,))


IngestAuth = Depends(require_ingest)
ReadAuth = Depends(require_read)
AdminAuth = Depends(require_admin)

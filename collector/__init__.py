"""The tokenledger collector: OTLP/HTTP ingestion into DuckDB, server-side pricing, and the read API."""

from __future__ import annotations

from typing import Any

__all__ = ["Settings", "SettingsError", "Store", "StoreError", "create_app"]

_HOMES = {
    "Settings": "config",
    "SettingsError": "config",
    "create_app": "main",
    "Store": "store",
    "StoreError": "store",
}


def __getattr__(name: str) -> Any:
    # Lazy: `tokenledger rates ...` and `tokenledger demo` import collector._cli, which should not pay for FastAPI.
    if name in _HOMES:
        from importlib import import_module

        return getattr(import_module(f".{_HOMES[name]}", __name__), name)
    raise AttributeError(f"module 'collector' has no attribute {name!r}")

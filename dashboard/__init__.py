"""The Streamlit dashboard: spend per layer, latency, the unpriced-model review queue, policy substitutions.

It reads only through the collector's read API (`ReadClient`); the data logic is plain polars functions in
`spend`, `latency`, `review`, `policy`, `filters`; the Streamlit scripts (`app.py`, `views/`) only lay out.
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "CollectorUnavailable",
    "DashboardError",
    "NotACollector",
    "NotAuthorized",
    "ReadClient",
    "RequestRejected",
    "Settings",
    "load_settings",
]

_HOMES = {
    "ReadClient": "client",
    "CollectorUnavailable": "errors",
    "DashboardError": "errors",
    "NotACollector": "errors",
    "NotAuthorized": "errors",
    "RequestRejected": "errors",
    "Settings": "settings",
    "load_settings": "settings",
}


def __getattr__(name: str) -> Any:
    # Lazy: `tokenledger rates ...` imports this package for its CLI and should not pay for polars and httpx.
    if name in _HOMES:
        from importlib import import_module

        return getattr(import_module(f"{__name__}.{_HOMES[name]}"), name)
    raise AttributeError(f"module 'dashboard' has no attribute {name!r}")

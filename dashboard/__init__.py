"""The Streamlit dashboard: spend per layer, latency, the unpriced-model review queue, policy substitutions.

It reads only through the collector's read API (`client.ReadClient`); the data logic is plain polars functions
in `spend`, `latency`, `review`, `policy`, `filters`; the Streamlit scripts (`app.py`, `pages/`) only lay out.
"""

from .client import ReadClient
from .errors import CollectorUnavailable, DashboardError, NotAuthorized, RequestRejected
from .settings import Settings, load_settings

__all__ = [
    "CollectorUnavailable",
    "DashboardError",
    "NotAuthorized",
    "ReadClient",
    "RequestRejected",
    "Settings",
    "load_settings",
]

"""The tokenledger collector: OTLP/HTTP ingestion into DuckDB, server-side pricing, and the read API."""

from .config import Settings, SettingsError
from .main import create_app
from .store import Store, StoreError

__all__ = ["Settings", "SettingsError", "Store", "StoreError", "create_app"]

"""The suite's fixtures come from pytest plugins; helpers live in the `helpers` package.

- `plugins.collector`: ``start_collector``, ``collector_server``, ``otlp_provider``, ``send_spans`` (the collector in
  mode asgi, thread or subprocess, the default; see `helpers.collector`).
- `plugins.llm`: ``spans``, ``fake_anthropic``, ``fake_xai``, ``llm_env``, ``close_llm_clients``.

Markers (pyproject.toml): ``e2e`` for true end-to-end tests (real processes: the collector CLI, the demo, Chromium,
a service process exporting to the collector). ``make test`` runs everything; ``make test-fast`` skips ``e2e``.

The names below are re-exported so that ``from conftest import launch_collector, otlp_json_span`` keeps working;
new tests import them from `helpers`.
"""

from __future__ import annotations

from helpers.collector import (
    ROOT,
    START_TIMEOUT_S,
    CollectorHandle,
    free_port,
    launch_collector,
    wait_healthy,
)
from helpers.otlp import (
    HAIKU,
    JSON,
    PROTO,
    RecordingExporter,
    otlp_attributes,
    otlp_json_request,
    otlp_json_span,
)

pytest_plugins = ["plugins.collector", "plugins.llm"]

__all__ = [
    "HAIKU",
    "JSON",
    "PROTO",
    "ROOT",
    "START_TIMEOUT_S",
    "CollectorHandle",
    "RecordingExporter",
    "free_port",
    "launch_collector",
    "otlp_attributes",
    "otlp_json_request",
    "otlp_json_span",
    "wait_healthy",
]

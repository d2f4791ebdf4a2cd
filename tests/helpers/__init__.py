"""Test helpers (not fixtures): import them in tests, e.g. `from helpers.otlp import otlp_json_span`.

- `helpers.collector`: `launch_collector` and `CollectorHandle` (modes asgi, thread, subprocess), `free_port`.
- `helpers.otlp`: hand-written OTLP JSON and the recording exporter.
- `helpers.llm`: fake keys and span filters for the `llm` client tests.
- `helpers.routes`: one example request per collector route, checked against the routers it mounts.

The fixtures built on them are pytest plugins in `tests/plugins/`, loaded by `tests/conftest.py`.
"""

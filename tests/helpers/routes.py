"""One valid example request per route of the collector, keyed by (method, path template), with the token scope the
route needs (stated by hand, from docs/api.md, independent of collector/deps.py).

`missing_examples()` compares the table with `collector.api.routes.ROUTERS`: the parameter and auth tests fail when
a route has no entry, so a new route cannot be left out of them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from helpers.otlp import HAIKU, otlp_json_request, otlp_json_span

CARD = {"model": "m-auth", "effective_from": "2026-01-01", "input_usd_per_mtok": "1", "output_usd_per_mtok": "2"}
BUDGET = {"name": "routes example", "amount_usd": "10", "period": "month"}
REPORT_CSV = (
    b"date,model,input_tokens,output_tokens,cache_read_tokens,cache_write_tokens,cost_usd\n"
    b"2025-11-01,claude-haiku-4-5,1000,100,,,0.0015\n"
)
TRACE = otlp_json_request([otlp_json_span("5000000000000001", HAIKU)])


@dataclass(frozen=True)
class Example:
    scope: str
    """`open`, `ingest`, `read` or `admin`."""
    url: str = ""
    """The path to request, path parameters filled in (defaults to the route's path)."""
    params: dict[str, str] = field(default_factory=dict)
    json_body: Any = None
    content: bytes | None = None
    headers: dict[str, str] = field(default_factory=dict)
    ok: tuple[int, ...] = (200,)
    """The statuses a permitted request gets."""


EXAMPLES: dict[tuple[str, str], Example] = {
    ("GET", "/healthz"): Example("open"),
    ("POST", "/v1/traces"): Example(
        "ingest", content=json.dumps(TRACE).encode(), headers={"content-type": "application/json"}
    ),
    ("GET", "/api/v1/spend"): Example("read", params={"group_by": "model"}),
    ("GET", "/api/v1/latency"): Example("read", params={"group_by": "layer"}),
    ("GET", "/api/v1/values"): Example("read", params={"keys": "layer,team"}),
    ("GET", "/api/v1/substitutions"): Example("read", params={"layer": "chat"}),
    ("GET", "/api/v1/whatif"): Example("read", params={"alternative": "claude-haiku-4-5"}),
    ("GET", "/api/v1/savings/policy"): Example("read", params={"group_by": "layer"}),
    ("GET", "/api/v1/cache"): Example("read", params={"group_by": "model"}),
    ("GET", "/api/v1/export/focus"): Example("read", params={"start": "2025-11-01", "end": "2025-11-30"}),
    ("GET", "/api/v1/calls"): Example("read", params={"limit": "5"}),
    ("GET", "/api/v1/review"): Example("read", params={"format": "json"}),
    ("GET", "/api/v1/rates"): Example("read", params={"format": "json"}),
    ("GET", "/api/v1/repricings"): Example("read", params={"format": "json"}),
    ("POST", "/api/v1/rates"): Example("admin", params={"dry_run": "true"}, json_body=CARD),
    ("GET", "/api/v1/forecast"): Example("read", params={"group_by": "layer"}),
    ("POST", "/api/v1/budgets"): Example("admin", json_body=BUDGET, ok=(201,)),
    ("GET", "/api/v1/budgets"): Example("read"),
    ("DELETE", "/api/v1/budgets/{budget_id}"): Example("admin", url="/api/v1/budgets/999999", ok=(404,)),
    ("GET", "/api/v1/alerts"): Example("read", params={"limit": "10"}),
    ("POST", "/api/v1/alerts/evaluate"): Example("admin"),
    ("POST", "/api/v1/reconciliation/import"): Example(
        "admin", params={"provider": "anthropic"}, content=REPORT_CSV, headers={"content-type": "text/csv"}
    ),
    ("GET", "/api/v1/reconciliation"): Example("read", params={"provider": "anthropic", "start": "2025-11-01"}),
    ("GET", "/openapi.json"): Example("read"),
    ("GET", "/docs"): Example("read"),
    ("GET", "/redoc"): Example("read"),
}


def all_routes() -> set[tuple[str, str]]:
    """Every (method, path template) the collector serves, from the routers it mounts."""
    from collector.api.routes import ROUTERS

    return {(method, route.path) for router in ROUTERS for route in router.routes for method in route.methods}


def missing_examples() -> set[tuple[str, str]]:
    """Routes with no entry in `EXAMPLES` (and entries that name no route): both must be empty."""
    return all_routes() ^ set(EXAMPLES)


def api_routes() -> list[tuple[str, str]]:
    """The (method, path) of every route under /api/, in table order."""
    return [key for key in EXAMPLES if key[1].startswith("/api/")]


def send(client, key: tuple[str, str], headers: dict[str, str] | None = None, extra: dict[str, str] | None = None):
    """Send the example request of route `key` with `client` (httpx or TestClient); `extra` query parameters are
    added to (or replace) the example's own."""
    method, path = key
    example = EXAMPLES[key]
    params = {**example.params, **(extra or {})}
    return client.request(
        method,
        example.url or path,
        params=params,
        json=example.json_body,
        content=example.content,
        headers={**example.headers, **(headers or {})},
    )

"""A fake of Anthropic's Usage and Cost Analytics API (Admin API), for the reconciliation tests and the demo.

`GET /v1/organizations/analytics/usage` and `GET /v1/organizations/analytics/cost`, built from their documented
shapes (https://platform.claude.com/docs/en/manage-claude/usage-cost-analytics-api and the anthropic SDK's
`types/beta/organization/analytics` models): `x-api-key`, `anthropic-version` and the beta header
`anthropic-beta: analytics-usage-cost-2026-08-24` are required; `starting_at` (inclusive, no earlier than
2026-01-01) and `ending_at` (exclusive, required with `time_bucket_width`, at most 31 days after `starting_at`);
`time_bucket_width=1d` gives one row per day and `group_by[]` combination with usage; `limit` rows a page (1-1000,
default 20), `page` the opaque `next_page` of the previous answer, `has_more` while rows remain. Amounts are
decimal strings in cents (`amount`, `list_amount`), currency `USD`. Rows with no model (code execution) come back
with a null `model`, as documented.

with FakeAnthropicAdmin([AdminUsage(date(2026, 11, 3), "claude-haiku-4-5", uncached_input_tokens=100, ...)],
                        admin_key="sk-ant-admin01-test-not-a-real-key") as fake:
    client = anthropic.Anthropic(api_key=fake.admin_key, base_url=fake.base_url)

The key is compared, never stored in the request log nor echoed.
"""

from __future__ import annotations

import base64
import json
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

BETA = "analytics-usage-cost-2026-08-24"
EARLIEST = datetime(2026, 1, 1, tzinfo=UTC)
USAGE_PATH = "/v1/organizations/analytics/usage"
COST_PATH = "/v1/organizations/analytics/cost"
_GROUPS = ("model", "service_tier")


@dataclass(frozen=True)
class AdminUsage:
    """One day, model and service tier of the fake organisation's usage, in the API's own terms."""

    day: date
    model: str | None
    """None: usage not attributed to a model (code execution)."""
    service_tier: str = "standard"
    uncached_input_tokens: int = 0
    cache_read_input_tokens: int = 0
    cache_creation_5m_input_tokens: int = 0
    cache_creation_1h_input_tokens: int = 0
    output_tokens: int = 0
    web_search_requests: int = 0
    requests: int = 1
    cost_cents: Decimal = Decimal(0)
    """What it cost, in cents (the API's minor units)."""


@dataclass(frozen=True)
class AdminRequest:
    """One request the fake received: its path and query, and whether the key was right (never the key)."""

    path: str
    query: dict[str, list[str]]
    key_ok: bool


def _when(text: str) -> datetime:
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _stamp(day: date) -> str:
    return f"{day.isoformat()}T00:00:00Z"


class _Refused(Exception):
    def __init__(self, status: int, kind: str, message: str) -> None:
        super().__init__(message)
        self.status, self.kind, self.message = status, kind, message


class FakeAnthropicAdmin:
    """A local HTTP server answering the two analytics endpoints from `usage` (see the module docstring)."""

    def __init__(self, usage: Iterable[AdminUsage] = (), *, admin_key: str, port: int = 0) -> None:
        self.usage = list(usage)
        self.admin_key = admin_key
        self.requests: list[AdminRequest] = []
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the stdlib's signature
                pass  # never log: the headers hold the key

            def do_GET(self) -> None:  # noqa: N802 - the stdlib's name
                parts = urlsplit(self.path)
                query = parse_qs(parts.query, keep_blank_values=True)
                key_ok = self.headers.get("x-api-key") == fake.admin_key
                fake.requests.append(AdminRequest(parts.path, query, key_ok))
                try:
                    if parts.path not in (USAGE_PATH, COST_PATH):
                        raise _Refused(404, "not_found_error", f"no route {parts.path}")
                    if not key_ok:
                        raise _Refused(401, "authentication_error", "invalid x-api-key")
                    if not self.headers.get("anthropic-version"):
                        raise _Refused(400, "invalid_request_error", "anthropic-version header is required")
                    if BETA not in (self.headers.get("anthropic-beta") or ""):
                        raise _Refused(400, "invalid_request_error", f"this endpoint needs anthropic-beta: {BETA}")
                    body = fake._page(parts.path, query)
                    status = 200
                except _Refused as exc:
                    status = exc.status
                    body = {"type": "error", "error": {"type": exc.kind, "message": exc.message}}
                raw = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

        self._server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self._server.daemon_threads = True
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def _page(self, path: str, query: dict[str, list[str]]) -> dict[str, Any]:
        def one(name: str) -> str | None:
            values = query.get(name)
            return values[-1] if values else None

        if one("time_bucket_width") != "1d":
            raise _Refused(400, "invalid_request_error", "this fake answers time_bucket_width=1d only")
        if one("starting_at") is None or one("ending_at") is None:
            raise _Refused(400, "invalid_request_error", "starting_at and ending_at are required with time buckets")
        start, end = _when(one("starting_at")), _when(one("ending_at"))  # type: ignore[arg-type]
        if start < EARLIEST:
            raise _Refused(400, "invalid_request_error", "starting_at must be no earlier than 2026-01-01T00:00:00Z")
        if end <= start or end - start > timedelta(days=31):
            raise _Refused(400, "invalid_request_error", "the range may span at most 31 days")
        groups = query.get("group_by[]", [])
        if any(g not in _GROUPS for g in groups):
            raise _Refused(400, "invalid_request_error", "this fake groups by model and service_tier only")
        limit = int(one("limit") or 20)
        if not 1 <= limit <= 1000:
            raise _Refused(400, "invalid_request_error", "limit must be 1 to 1000")
        try:
            offset = int(base64.urlsafe_b64decode(one("page") or "").decode() or 0)
        except ValueError:
            raise _Refused(400, "invalid_request_error", "page is not a token this API gave") from None
        rows = self._rows(path == COST_PATH, groups, start.date(), end.date())
        page = rows[offset : offset + limit]
        more = offset + limit < len(rows)
        token = base64.urlsafe_b64encode(str(offset + limit).encode()).decode() if more else None
        return {"data": page, "has_more": more, "next_page": token, "data_refreshed_at": "2026-12-01T00:00:00Z"}

    def _rows(self, cost: bool, groups: list[str], start: date, end: date) -> list[dict[str, Any]]:
        sums: dict[tuple[Any, ...], list[AdminUsage]] = {}
        for u in self.usage:
            if start <= u.day < end:
                key = (u.day, *(getattr(u, g) if g in groups else None for g in _GROUPS))
                sums.setdefault(key, []).append(u)
        out = []
        for (day, model, tier), items in sorted(sums.items(), key=lambda kv: (kv[0][0], str(kv[0][1:]))):
            group: dict[str, Any] = {"model": model, "service_tier": tier}
            row: dict[str, Any] = {"starting_at": _stamp(day), "ending_at": _stamp(day + timedelta(days=1))}
            if cost:
                cents = format(sum((u.cost_cents for u in items), Decimal(0)), "f")
                row["group"] = {**group, "cost_type": None, "token_type": None}
                row["cost"] = {"amount": cents, "currency": "USD", "list_amount": cents,
                               "requests": sum(u.requests for u in items)}  # fmt: skip
            else:
                total = {
                    k: sum(getattr(u, k) for u in items)
                    for k in ("uncached_input_tokens", "cache_read_input_tokens", "cache_creation_5m_input_tokens",
                              "cache_creation_1h_input_tokens", "output_tokens", "web_search_requests", "requests")
                }  # fmt: skip
                row["group"] = group
                row["usage"] = {
                    "uncached_input_tokens": total["uncached_input_tokens"],
                    "cache_read_input_tokens": total["cache_read_input_tokens"],
                    "cache_creation": {
                        "ephemeral_5m_input_tokens": total["cache_creation_5m_input_tokens"],
                        "ephemeral_1h_input_tokens": total["cache_creation_1h_input_tokens"],
                    },
                    "output_tokens": total["output_tokens"],
                    "server_tool_use": {"web_search_requests": total["web_search_requests"]},
                    "total_tokens": sum(v for k, v in total.items() if k.endswith("_tokens")),
                    "requests": total["requests"],
                }
            out.append(row)
        return out

    def start(self) -> FakeAnthropicAdmin:
        if self._thread is None:
            self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                            daemon=True)  # fmt: skip
            self._thread.start()
        return self

    def close(self) -> None:
        if self._thread is not None:
            self._server.shutdown()
            self._thread.join(timeout=5)
            self._thread = None
        self._server.server_close()

    def __enter__(self) -> FakeAnthropicAdmin:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.close()

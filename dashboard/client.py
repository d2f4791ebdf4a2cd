"""The read-API client: the dashboard's only data source. Arrow over HTTP in, polars out."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import httpx
import polars as pl
import pyarrow as pa

from tokenledger.settings import ADMIN_TOKEN_ENV, READ_TOKEN_ENV, read_token_of

from .errors import CollectorUnavailable, DashboardError, NotACollector, NotAuthorized, RequestRejected
from .money import as_money

Params = Mapping[str, str | Sequence[str]]
"""Read-API query parameters; a sequence is a repeated parameter (`layer=chat&layer=analysis`)."""
SPEND_MONEY = ("cost_usd", "priced_cost_usd", "unpriced_cost_usd")
CALLS_MONEY = ("cost_usd", "reported_cost_usd")
REVIEW_MONEY = ("estimated_cost_usd",)
WHATIF_MONEY = ("actual_cost_usd", "compared_actual_usd", "whatif_cost_usd", "delta_usd")
FORECAST_MONEY = ("month_to_date_usd", "forecast_usd", "forecast_low_usd", "forecast_high_usd")
DEFAULT_TIMEOUT_S = 15.0
SERVICE = "tokenledger-collector"
"""What a tokenledger collector's `/healthz` names itself (collector/api/routes/health.py)."""


class ReadClient:
    """Talks to one collector. `read_token` for GET routes; `admin_token` for rate changes (and reads too)."""

    def __init__(
        self,
        base_url: str,
        *,
        read_token: str | None = None,
        admin_token: str | None = None,
        http_client: httpx.Client | None = None,
        timeout_s: float = DEFAULT_TIMEOUT_S,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self._read_token = read_token_of(read_token, admin_token)
        self._admin_token = admin_token
        self._http = http_client or httpx.Client(timeout=timeout_s)

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> ReadClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- reads ---------------------------------------------------------------------------------------------

    def healthz(self) -> dict[str, Any]:
        return self._request("GET", "/healthz", token=None).json()

    def identify(self) -> str:
        """The collector's health status (`ok`, or `unavailable` while its store does not answer).

        NotACollector when something answers at the URL but its `/healthz` does not name a tokenledger collector
        (another service, or the dashboard itself); CollectorUnavailable when nothing answers.
        """
        response = self._send("GET", self.base_url + "/healthz", headers={})
        try:
            body = response.json()
        except ValueError:
            body = None
        if not isinstance(body, dict) or body.get("service") != SERVICE:
            raise NotACollector(
                f"{self.base_url} is not a tokenledger collector: its /healthz answered {response.status_code} "
                f"without naming {SERVICE!r}. Check --collector or TOKENLEDGER_COLLECTOR_URL."
            )
        return str(body.get("status"))

    def spend(self, group_by: list[str] | tuple[str, ...], params: Params) -> pl.DataFrame:
        """`GET /api/v1/spend`: one row per group, costs as `MONEY`."""
        frame = self._arrow("/api/v1/spend", {**params, "group_by": _groups(group_by)})
        return as_money(frame, SPEND_MONEY)

    def latency(self, group_by: list[str] | tuple[str, ...], params: Params) -> pl.DataFrame:
        """`GET /api/v1/latency`: p50/p95/p99 ms, error rate and mean ttft per group."""
        return self._arrow("/api/v1/latency", {**params, "group_by": _groups(group_by)})

    def substitutions(self, params: Params) -> pl.DataFrame:
        """`GET /api/v1/substitutions`: policy-substituted calls, what they cost and what the requested model would."""
        frame = self._arrow("/api/v1/substitutions", dict(params))
        return as_money(frame, ("cost_usd", "requested_cost_usd"))

    def whatif(self, alternatives: Sequence[str], group_by: Sequence[str], params: Params) -> pl.DataFrame:
        """`GET /api/v1/whatif`: per group and alternative, the actual cost and the same tokens on its cards."""
        query = {**params, "alternative": list(alternatives), "group_by": _groups(group_by)}
        return as_money(self._arrow("/api/v1/whatif", query), WHATIF_MONEY)

    def cache(self, group_by: Sequence[str], params: Params) -> pl.DataFrame:
        """`GET /api/v1/cache`: cache tokens, hit rate and what caching saved per group."""
        frame = self._arrow("/api/v1/cache", {**params, "group_by": _groups(group_by)})
        return as_money(frame, ("saved_usd", "write_premium_usd", "net_saved_usd"))

    def policy_savings(self, group_by: Sequence[str], params: Params) -> pl.DataFrame:
        """`GET /api/v1/savings/policy`: what substituted calls paid, would have cost, and saved."""
        frame = self._arrow("/api/v1/savings/policy", {**params, "group_by": _groups(group_by)})
        return as_money(frame, ("paid_usd", "requested_cost_usd", "saved_usd", "estimated_usd"))

    def focus_export(self, start: str, end: str, fmt: str = "csv") -> bytes:
        """`GET /api/v1/export/focus`: the FOCUS 1.2 file for [start, end] (dates included whole)."""
        params = {"start": start, "end": end, "format": fmt}
        return self._request("GET", "/api/v1/export/focus", token=self._read_token, params=params).content

    def calls(self, params: Params, *, limit: int = 1000, offset: int = 0) -> pl.DataFrame:
        """`GET /api/v1/calls`: raw rows, newest first."""
        frame = self._arrow("/api/v1/calls", {**params, "limit": str(limit), "offset": str(offset)})
        return as_money(frame, CALLS_MONEY)

    def values(self, keys: Sequence[str]) -> dict[str, list[str]]:
        """`GET /api/v1/values`: the values each of `keys` takes among all stored calls (sorted)."""
        params = {"keys": ",".join(keys)}
        body = self._request("GET", "/api/v1/values", token=self._read_token, params=params).json()
        return {key: list(body.get("values", {}).get(key, [])) for key in keys}

    def review(self) -> list[dict[str, Any]]:
        """`GET /api/v1/review`: the unpriced-model queue as JSON (each entry may carry a nested `suggested` card)."""
        body = self._request("GET", "/api/v1/review", token=self._read_token).json()
        return list(body.get("models", []))

    def rates(self) -> list[dict[str, Any]]:
        """`GET /api/v1/rates`: every stored card, all versions (rates as decimal strings)."""
        body = self._request("GET", "/api/v1/rates", token=self._read_token).json()
        return list(body.get("cards", []))

    def repricings(self) -> list[dict[str, Any]]:
        """`GET /api/v1/repricings`: the audit log of applied cards, newest first."""
        body = self._request("GET", "/api/v1/repricings", token=self._read_token).json()
        return list(body.get("repricings", []))

    def forecast(self, group_by: list[str] | tuple[str, ...], params: Params) -> pl.DataFrame:
        """`GET /api/v1/forecast`: month-to-date and the month-end forecast with its range, per group."""
        frame = self._arrow("/api/v1/forecast", {**params, "group_by": _groups(group_by)})
        return as_money(frame, FORECAST_MONEY)

    def reconciliation(self, params: Params) -> pl.DataFrame:
        """`GET /api/v1/reconciliation`: the ledger per day and model beside the provider's report, with a cause."""
        frame = self._arrow("/api/v1/reconciliation", dict(params))
        return as_money(frame, ("ledger_cost_usd", "provider_cost_usd", "delta_cost_usd"))

    def budgets(self) -> list[dict[str, Any]]:
        """`GET /api/v1/budgets`: each budget with its period, spend, forecast and status (money as strings)."""
        return list(self._request("GET", "/api/v1/budgets", token=self._read_token).json().get("budgets", []))

    def alerts(self, limit: int = 200) -> list[dict[str, Any]]:
        """`GET /api/v1/alerts`: the alert history, newest first."""
        body = self._request("GET", "/api/v1/alerts", token=self._read_token, params={"limit": str(limit)}).json()
        return list(body.get("alerts", []))

    # -- admin ---------------------------------------------------------------------------------------------

    def preview_card(self, card: Mapping[str, Any]) -> dict[str, Any]:
        """`POST /api/v1/rates?dry_run=true`: rows, old and new totals; nothing changes."""
        return self._post_card(card, dry_run=True)

    def apply_card(self, card: Mapping[str, Any]) -> dict[str, Any]:
        """`POST /api/v1/rates`: store the card and reprice that model's rows from its effective date."""
        return self._post_card(card, dry_run=False)

    def _post_card(self, card: Mapping[str, Any], *, dry_run: bool) -> dict[str, Any]:
        # Without an admin token the request goes without one: an open collector (no tokens, local use) accepts
        # it; one with tokens answers 401, which becomes a NotAuthorized naming TOKENLEDGER_ADMIN_TOKEN.
        params = {"dry_run": "true"} if dry_run else None
        return self._request("POST", "/api/v1/rates", token=self._admin_token, json=dict(card), params=params).json()

    def create_budget(self, body: Mapping[str, Any]) -> dict[str, Any]:
        """`POST /api/v1/budgets` (admin token)."""
        return self._request("POST", "/api/v1/budgets", token=self._admin_token, json=dict(body)).json()

    def delete_budget(self, budget_id: int) -> None:
        """`DELETE /api/v1/budgets/{id}` (admin token)."""
        self._request("DELETE", f"/api/v1/budgets/{int(budget_id)}", token=self._admin_token)

    # -- plumbing ------------------------------------------------------------------------------------------

    def _arrow(self, path: str, params: Params) -> pl.DataFrame:
        response = self._request("GET", path, token=self._read_token, params={**params, "format": "arrow"})
        try:
            table = pa.ipc.open_stream(response.content).read_all()
        except (pa.ArrowInvalid, OSError) as exc:
            raise DashboardError(f"The collector's answer to {path} is not an Arrow stream: {exc}") from exc
        frame = pl.from_arrow(table)
        assert isinstance(frame, pl.DataFrame)
        return frame

    def _request(self, method: str, path: str, *, token: str | None, **kwargs: Any) -> httpx.Response:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        response = self._send(method, self.base_url + path, headers=headers, **kwargs)
        status = response.status_code
        if status < 400:
            return response
        detail = _detail(response)
        if status in (401, 403):
            raise NotAuthorized(_refusal(method, token, status, detail))
        if status >= 500 or status == 429:
            raise CollectorUnavailable(f"The collector at {self.base_url} is unavailable ({status}: {detail}).")
        raise RequestRejected(f"The collector rejected {method} {path} ({status}: {detail}).", status)

    def _send(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        try:
            return self._http.request(method, url, **kwargs)
        except httpx.TimeoutException as exc:
            raise CollectorUnavailable(f"The collector at {self.base_url} did not answer in time.") from exc
        except httpx.TransportError as exc:
            raise CollectorUnavailable(
                f"Cannot reach the collector at {self.base_url}. Is `tokenledger collector` running? ({exc})"
            ) from exc


def _groups(group_by: Sequence[str]) -> str:
    return ",".join(group_by) or "none"  # the API refuses an empty group_by; `none` asks for one total row


def _refusal(method: str, token: str | None, status: int, detail: str) -> str:
    admin = method in ("POST", "DELETE")
    env = ADMIN_TOKEN_ENV if admin else f"{READ_TOKEN_ENV} (or {ADMIN_TOKEN_ENV})"
    what = "Changing rate cards or budgets needs the collector's admin token" if admin else "Reading needs a token"
    if token is None:
        return f"{what}: the collector answered {status} ({detail}). Set {env} for the dashboard."
    return f"The collector refused the token ({status}: {detail}). Set {env} to a token the collector accepts."


def _detail(response: httpx.Response) -> str:
    """The collector's message from an error body, short, without echoing headers."""
    try:
        body = response.json()
    except ValueError:
        return response.text[:200] or response.reason_phrase
    if isinstance(body, dict):
        for key in ("detail", "error", "message"):
            if key in body:
                return str(body[key])[:300]
    return str(body)[:300]

"""Anthropic's own usage and cost per UTC day and model, from the Usage and Cost Analytics API (Admin API).

The anthropic SDK covers the API (`client.beta.organization.analytics.usage.list` and `.cost.list`, beta
`analytics-usage-cost-2026-08-24`; it follows `next_page` while `has_more`), so it is used; the legacy endpoints
(`/v1/organizations/usage_report/messages`, `/v1/organizations/cost_report`) that this API replaces are not. Usage
is asked for per day (`time_bucket_width=1d`) by model and service tier, cost per day by model; a range is asked in
windows of at most 31 days (the API's limit). Anthropic's input excludes the cache, ours includes it:
input = uncached + cache reads + cache writes (5-minute and 1-hour). Cost comes in cents as a decimal string:
USD = cents / 100, exact.

A day and model with usage but no cost row gets an unknown cost (None), and the reverse unknown tokens: never 0.
Rows the API attributes to no model (code execution) cannot be matched with a call; they are counted in
`Fetched.skipped_*`, not stored.

The admin key is sent as `x-api-key` (with `anthropic-version`, and the beta header the SDK adds) and is never
logged, stored or put in an error message.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from .provider_reports import ProviderDay

log = logging.getLogger("collector.reconciliation")
PROVIDER = "anthropic"
SOURCE = "anthropic usage and cost analytics api"
DEFAULT_BASE_URL = "https://api.anthropic.com"
WINDOW_DAYS = 31
PAGE_ROWS = 1000


class ReportFetchError(Exception):
    """The provider's report could not be fetched; the message says why (and never holds the key)."""


@dataclass
class Fetched:
    """What a fetch found: one `ProviderDay` per day and model, and what it could not attribute to a model."""

    rows: list[ProviderDay]
    skipped_usage_rows: int = 0
    skipped_cost_usd: Decimal = Decimal(0)


@dataclass
class _Day:
    uncached: int = 0
    cache_read: int = 0
    cache_write: int = 0
    output: int = 0
    tiers: set[str] = field(default_factory=set)
    has_usage: bool = False
    cents: Decimal | None = None


def _windows(start: date, end: date) -> Iterator[tuple[datetime, datetime]]:
    """[start, end] (dates included) as [from, to) instants of at most `WINDOW_DAYS` days."""
    day = start
    while day <= end:
        last = min(end, day + timedelta(days=WINDOW_DAYS - 1))
        yield (datetime(day.year, day.month, day.day, tzinfo=UTC),
               datetime(last.year, last.month, last.day, tzinfo=UTC) + timedelta(days=1))  # fmt: skip
        day = last + timedelta(days=1)


def _stamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def make_client(admin_key: str, base_url: str = DEFAULT_BASE_URL, timeout_s: float = 60.0) -> Any:
    """An anthropic SDK client for the Admin API. Key and URL are passed explicitly: the SDK would otherwise read
    ANTHROPIC_API_KEY and ANTHROPIC_BASE_URL, meant for the `llm` client. The key goes in `x-api-key`, the header
    the Admin API documents (this SDK version sends an api_key as `Authorization: Bearer`, which is left out)."""
    import anthropic

    return anthropic.Anthropic(
        api_key=admin_key, base_url=base_url, timeout=timeout_s, max_retries=2,
        default_headers={"x-api-key": admin_key, "Authorization": anthropic.omit},
    )  # fmt: skip


def _translate(exc: Exception, what: str, secret: str | None) -> ReportFetchError:
    import anthropic

    if isinstance(exc, anthropic.APIStatusError):
        body = exc.body if isinstance(exc.body, dict) else {}
        error = body.get("error") if isinstance(body.get("error"), dict) else {}
        detail = str(error.get("message") or "")[:300]
        hint = " (is ANTHROPIC_ADMIN_KEY an Admin API key, sk-ant-admin...?)" if exc.status_code in (401, 403) else ""
        message = f"Anthropic's {what} answered {exc.status_code}: {detail or type(exc).__name__}{hint}"
    elif isinstance(exc, anthropic.APIConnectionError):
        message = f"cannot reach Anthropic's {what}: {type(exc).__name__}"
    else:
        message = f"Anthropic's {what} gave an answer this code cannot read: {type(exc).__name__}"
    if secret:
        message = message.replace(secret, "[admin key]")
    return ReportFetchError(message)


def fetch(start: date, end: date, *, client: Any = None, admin_key: str | None = None,
          base_url: str = DEFAULT_BASE_URL, page_rows: int = PAGE_ROWS) -> Fetched:  # fmt: skip
    """Anthropic's usage and cost for the UTC days start to end (both included), one row per day and model.

    Give an SDK `client` (tests point one at `tokenledger.fakes.FakeAnthropicAdmin`), or the `admin_key`."""
    if end < start:
        raise ReportFetchError("end is before start")
    if client is None:
        if not admin_key:
            raise ReportFetchError("ANTHROPIC_ADMIN_KEY is not set: an Admin API key (sk-ant-admin...) is needed")
        with make_client(admin_key, base_url) as own:
            return fetch(start, end, client=own, admin_key=admin_key, page_rows=page_rows)
    secret = admin_key or getattr(client, "api_key", None)
    days: dict[tuple[date, str], _Day] = {}
    fetched = Fetched(rows=[])
    analytics = client.beta.organization.analytics
    for since, until in _windows(start, end):
        common = {"starting_at": _stamp(since), "ending_at": _stamp(until), "time_bucket_width": "1d",
                  "limit": page_rows}  # fmt: skip
        try:
            for item in analytics.usage.list(**common, group_by=["model", "service_tier"]):
                _add_usage(days, fetched, item)
            for item in analytics.cost.list(**common, group_by=["model"]):
                _add_cost(days, fetched, item)
        except ReportFetchError:
            raise
        except Exception as exc:  # the SDK's errors, and an answer its models cannot parse
            raise _translate(exc, "usage and cost analytics API", secret) from None
    for (day, model), d in sorted(days.items()):
        usage = (d.uncached + d.cache_read + d.cache_write, d.output, d.cache_read, d.cache_write)
        tokens = usage if d.has_usage else (None, None, None, None)
        cost = None if d.cents is None else d.cents / 100
        tiers = "; ".join(sorted(d.tiers)) or None
        fetched.rows.append(ProviderDay(PROVIDER, day, model, *tokens, cost_usd=cost, service_tiers=tiers))
    if fetched.skipped_usage_rows or fetched.skipped_cost_usd:
        log.info("Anthropic rows with no model (code execution) not reconciled: %d usage rows, %s USD",
                 fetched.skipped_usage_rows, fetched.skipped_cost_usd)  # fmt: skip
    return fetched


def _add_usage(days: dict[tuple[date, str], _Day], fetched: Fetched, item: Any) -> None:
    model = (item.group.model or "").lower()
    if not model:
        fetched.skipped_usage_rows += 1
        return
    d = days.setdefault((item.starting_at.astimezone(UTC).date(), model), _Day())
    u = item.usage
    d.has_usage = True
    d.uncached += u.uncached_input_tokens
    d.cache_read += u.cache_read_input_tokens
    d.cache_write += u.cache_creation.ephemeral_5m_input_tokens + u.cache_creation.ephemeral_1h_input_tokens
    d.output += u.output_tokens
    if item.group.service_tier:
        d.tiers.add(str(item.group.service_tier))


def _add_cost(days: dict[tuple[date, str], _Day], fetched: Fetched, item: Any) -> None:
    if item.cost.currency != "USD":
        raise ReportFetchError(f"Anthropic's cost report is in {item.cost.currency!r}; only USD is reconciled")
    try:
        cents = Decimal(item.cost.amount)
    except InvalidOperation:
        raise ReportFetchError("Anthropic's cost report has an amount that is not a decimal number") from None
    model = (item.group.model or "").lower()
    if not model:
        fetched.skipped_cost_usd += cents / 100
        return
    d = days.setdefault((item.starting_at.astimezone(UTC).date(), model), _Day())
    d.cents = (d.cents or Decimal(0)) + cents

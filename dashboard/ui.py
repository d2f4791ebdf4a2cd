"""Streamlit glue shared by every page: settings, cached fetches, sidebar filters, errors, fetch time.

Pages call these and lay out what comes back; no data shaping happens here.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from typing import Any

import polars as pl
import streamlit as st

from . import filters as flt
from . import money, review
from .client import ReadClient
from .errors import DashboardError
from .settings import DEFAULT_CACHE_TTL_S, Settings, SettingsError, load_settings

_FETCHED = "_tl_fetched_at"
_FILTERS = "_tl_filters"
ALL = "All"
EMPTY_RANGE = "No LLM calls in this range."
"""What a page shows when the chosen range (and filters) hold no calls."""


def settings() -> Settings:
    return load_settings()


def _client(s: Settings) -> ReadClient:
    return ReadClient(s.collector_url, read_token=s.read_token, admin_token=s.admin_token)


def _ttl_s() -> int:
    try:
        return load_settings().cache_ttl_s
    except SettingsError:  # reported on the page by guard(); the cache falls back to the default meanwhile
        return DEFAULT_CACHE_TTL_S


@st.cache_data(ttl=_ttl_s(), show_spinner=False)
def _fetch(
    url: str, read: str | None, admin: str | None, kind: str, args: tuple, params: tuple
) -> tuple[Any, datetime]:
    # Tokens are part of the key (hashed by Streamlit, never shown) so a changed token is not served stale data.
    with ReadClient(url, read_token=read, admin_token=admin) as client:
        p = dict(params)
        if kind == "spend":
            data: Any = client.spend(list(args), p)
        elif kind == "latency":
            data = client.latency(list(args), p)
        elif kind == "substitutions":
            data = client.substitutions(p)
        elif kind == "calls":
            data = client.calls(p, limit=args[0])
        elif kind == "whatif":
            data = client.whatif(args[0], args[1], p)
        elif kind == "cache":
            data = client.cache(list(args), p)
        elif kind == "policy_savings":
            data = client.policy_savings(list(args), p)
        elif kind == "rates":
            data = client.rates()
        elif kind == "focus":
            data = client.focus_export(p["start"], p["end"], args[0])
        elif kind == "review":
            data = client.review()
        elif kind == "values":
            data = client.values(args)
        elif kind == "repricings":
            data = client.repricings()
        elif kind == "forecast":
            data = client.forecast(list(args), p)
        elif kind == "budgets":
            data = client.budgets()
        elif kind == "reconciliation":
            data = client.reconciliation(p)
        elif kind == "alerts":
            data = client.alerts()
        else:
            raise ValueError(kind)
    return data, datetime.now(UTC)


@st.cache_data(ttl=_ttl_s(), show_spinner=False)
def _identify(url: str) -> str:
    # Before any read: a URL that reaches some other server (the dashboard itself, say) is named as such, instead
    # of failing later as "not an Arrow stream". Errors are not cached, so a fixed URL is checked again.
    with ReadClient(url) as client:
        return client.identify()


def _get(kind: str, args: tuple = (), params: dict[str, Any] | None = None) -> Any:
    s = settings()
    _identify(s.collector_url)
    # A filter with several values is a list: a tuple keeps the cache key hashable (httpx repeats either).
    frozen = tuple(sorted((k, v if isinstance(v, str) else tuple(v)) for k, v in (params or {}).items()))
    data, fetched_at = _fetch(s.collector_url, s.read_token, s.admin_token, kind, args, frozen)
    st.session_state.setdefault(_FETCHED, []).append(fetched_at)
    return data


def fetch_spend(group_by: list[str], f: flt.Filters) -> pl.DataFrame:
    return _get("spend", tuple(group_by), f.params())


def fetch_latency(group_by: list[str], f: flt.Filters) -> pl.DataFrame:
    return _get("latency", tuple(group_by), f.params())


def fetch_substitutions(f: flt.Filters) -> pl.DataFrame:
    return _get("substitutions", (), f.params())


def fetch_whatif(alternatives: list[str], group_by: list[str], f: flt.Filters) -> pl.DataFrame:
    return _get("whatif", (tuple(alternatives), tuple(group_by)), f.params())


def fetch_cache(group_by: list[str], f: flt.Filters) -> pl.DataFrame:
    return _get("cache", tuple(group_by), f.params())


def fetch_policy_savings(group_by: list[str], f: flt.Filters) -> pl.DataFrame:
    return _get("policy_savings", tuple(group_by), f.params())


def fetch_rate_cards() -> list[dict[str, Any]]:
    return _get("rates")


def fetch_focus(f: flt.Filters, fmt: str = "csv") -> bytes:
    """The FOCUS export of the filters' date range (the dimension filters do not apply: it is the whole bill)."""
    return _get("focus", (fmt,), {"start": f.start.isoformat(), "end": f.end.isoformat()})


def fetch_calls(f: flt.Filters, limit: int) -> pl.DataFrame:
    return _get("calls", (limit,), f.params())


def fetch_queue() -> pl.DataFrame:
    return review.queue_frame(fetch_review_raw())


def fetch_review_raw() -> list[dict[str, Any]]:
    return _get("review")


def fetch_repricings() -> list[dict[str, Any]]:
    return _get("repricings")


def fetch_forecast(group_by: list[str], f: flt.Filters) -> pl.DataFrame:
    """The month-end forecast for the current UTC month, under the sidebar's value filters (not its dates)."""
    params = {k: v for k, v in f.params().items() if k not in ("start", "end", "pricing_unknown")}
    return _get("forecast", tuple(group_by), params)


def fetch_filter_options() -> dict[str, list[str]]:
    """The values each filter can take (from all stored calls)."""
    return _get("values", tuple(flt.FILTER_KEYS), {})


def fetch_reconciliation(f: flt.Filters) -> pl.DataFrame:
    """Every provider's report rows in the filters' date range, beside the ledger (the other filters do not apply:
    a provider's report has no layers or services)."""
    return _get("reconciliation", (), {"start": f.start.isoformat(), "end": f.end.isoformat()})


def fetch_budgets() -> list[dict[str, Any]]:
    return _get("budgets")


def fetch_alerts() -> list[dict[str, Any]]:
    return _get("alerts")


def admin_client() -> ReadClient:
    """An uncached client for rate changes (preview and apply)."""
    return _client(settings())


def refresh() -> None:
    """Drop every cached answer so the next run fetches afresh."""
    _fetch.clear()
    _identify.clear()


@contextmanager
def guard() -> Iterator[None]:
    """Show a DashboardError (collector down, token refused, bad request) as a message and stop the page."""
    try:
        yield
    except DashboardError as exc:
        st.error(str(exc), icon=":material/cloud_off:")
        st.stop()
    except SettingsError as exc:
        st.error(f"Configuration problem: {exc}")
        st.stop()


def start_run() -> None:
    st.session_state[_FETCHED] = []


def fetch_caption() -> str | None:
    """`Data fetched 10:02:11 UTC (kept 30 s)` for the oldest answer this run used."""
    stamps = st.session_state.get(_FETCHED) or []
    if not stamps:
        return None
    oldest = min(stamps)
    return f"Data fetched {oldest:%H:%M:%S} UTC (cached {settings().cache_ttl_s} s)"


def today_utc() -> date:
    return datetime.now(UTC).date()


PRICED_WIDGET = "spend_priced_only"
"""The Spend page's "Priced rows only" switch; the URL carries it as `priced=true`."""


def sidebar_filters() -> flt.Filters:
    """Date range and dimension filters (several values each) in the sidebar, kept in the URL so a view can be
    shared. The URL sets the widgets on a session's first run; an unusable value in it is shown as a warning."""
    options = fetch_filter_options()
    today = today_utc()
    sb = st.sidebar
    sb.header("Filters")
    if "f_dates" not in st.session_state:  # first run of this session: the URL decides, then the widgets do
        choice = flt.from_query({k: st.query_params.get_all(k) for k in st.query_params}, options)
        for problem in choice.problems:
            st.warning(problem, icon=":material/link_off:")
        st.session_state["f_dates"] = choice.dates or flt.month_to_date(today)
        for key, values in choice.values.items():
            st.session_state[f"f_{key}"] = values
        if choice.priced_only is not None:
            st.session_state[PRICED_WIDGET] = choice.priced_only
    picked = sb.date_input("Date range (UTC)", key="f_dates", format="YYYY-MM-DD")
    start, end = _range(picked, today)
    chosen = {}
    for key in flt.FILTER_KEYS:
        chosen[key] = tuple(sb.multiselect(flt.label(key), options[key], key=f"f_{key}", placeholder=ALL))
    f = flt.Filters(start, end, **chosen)
    st.session_state[_FILTERS] = f
    kept = {flt.PRICED_KEY: st.query_params.get_all(flt.PRICED_KEY)} if flt.PRICED_KEY in st.query_params else {}
    _set_query({**f.query(), **kept})
    return f


def share_priced_only(priced: bool) -> None:
    """Put the Spend page's "Priced rows only" switch in the URL (or take it out)."""
    query = {k: st.query_params.get_all(k) for k in st.query_params}
    query.pop(flt.PRICED_KEY, None)
    _set_query({**query, **({flt.PRICED_KEY: "true"} if priced else {})})


def _set_query(query: dict[str, str | list[str]]) -> None:
    current = {k: st.query_params.get_all(k) for k in st.query_params}
    wanted = {k: [v] if isinstance(v, str) else list(v) for k, v in query.items()}
    if current != wanted:  # writing an unchanged URL would still send a message to the browser
        st.query_params.from_dict(wanted)


def _range(picked: Any, today: date) -> tuple[date, date]:
    # While a user is picking, the widget holds one date: treat it as a one-day range.
    if isinstance(picked, date):
        return picked, picked
    values = [d for d in (picked or ()) if d is not None]
    if not values:
        return flt.month_to_date(today)
    return min(values), max(values)


def current_filters() -> flt.Filters:
    """The filters the entry script built for this run."""
    f = st.session_state.get(_FILTERS)
    if f is None:
        today = today_utc()
        f = flt.Filters(*flt.month_to_date(today))
    return f


def spend_delta(fraction: float | None) -> dict[str, Any]:
    """`st.metric` delta arguments for a change in spend: red when spend rose, green when it fell; grey, with no
    arrow, when the previous period spent nothing (`n/a` is no news, good or bad)."""
    if fraction is None:
        return {"delta": money.format_pct(None), "delta_color": "off", "delta_arrow": "off"}
    return {"delta": money.format_pct(fraction), "delta_color": "inverse"}

"""The sidebar filters every page shares, and the periods they compare."""

from __future__ import annotations

import calendar
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta

from tokenledger.settings import BOOL_WORDS, strict_bool

FILTER_KEYS = ("layer", "service", "environment", "provider", "model", "team", "cost_center", "customer", "feature")
DIMENSIONS = ("team", "cost_center", "customer", "feature")
"""Who a call is charged to; a call with none reads `unattributed` (the collector's word)."""
DATE_KEYS = ("from", "to")
PRICED_KEY = "priced"
"""URL keys: `?from=2026-10-01&to=2026-10-31&layer=chat&layer=analysis&priced=true` (the Spend page's switch)."""
URL_KEYS = (*DATE_KEYS, *FILTER_KEYS, PRICED_KEY)


@dataclass(frozen=True)
class Filters:
    """A date range (both ends inclusive, UTC days) and dimension filters, each any of several values (empty: all).

    A single string is one value, so `Filters(start, end, layer="chat")` keeps working. `priced_only` keeps only
    calls a rate card priced (the collector filters rows, so token counts stay real).
    """

    start: date
    end: date
    layer: tuple[str, ...] = ()
    service: tuple[str, ...] = ()
    environment: tuple[str, ...] = ()
    provider: tuple[str, ...] = ()
    model: tuple[str, ...] = ()
    team: tuple[str, ...] = ()
    cost_center: tuple[str, ...] = ()
    customer: tuple[str, ...] = ()
    feature: tuple[str, ...] = ()
    priced_only: bool = False

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise ValueError(f"the range ends ({self.end}) before it starts ({self.start})")
        for key in FILTER_KEYS:
            value = getattr(self, key)
            values = (value,) if isinstance(value, str) else tuple(dict.fromkeys(value or ()))
            object.__setattr__(self, key, values)  # frozen: normalised once, here

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def params(self) -> dict[str, str | list[str]]:
        """Query parameters for the read API: ISO dates (the collector includes the `end` date whole); a filter
        with several values is a repeated parameter (the collector matches any of them)."""
        out: dict[str, str | list[str]] = {"start": self.start.isoformat(), "end": self.end.isoformat()}
        for key in FILTER_KEYS:
            if getattr(self, key):
                out[key] = list(getattr(self, key))
        if self.priced_only:
            out["pricing_unknown"] = "false"
        return out

    def query(self) -> dict[str, str | list[str]]:
        """The dashboard URL's query for these filters (`st.query_params`), so a view can be shared."""
        out: dict[str, str | list[str]] = {"from": self.start.isoformat(), "to": self.end.isoformat()}
        for key in FILTER_KEYS:
            if getattr(self, key):
                out[key] = list(getattr(self, key))
        if self.priced_only:
            out[PRICED_KEY] = "true"
        return out

    def with_dates(self, start: date, end: date) -> Filters:
        return replace(self, start=start, end=end)

    def previous(self) -> Filters:
        """The same filters over the period to compare against (see `previous_period`)."""
        return self.with_dates(*previous_period(self.start, self.end))


def month_to_date(today: date) -> tuple[date, date]:
    """The first of `today`'s month through `today`."""
    return today.replace(day=1), today


def _last_day(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


def previous_period(start: date, end: date) -> tuple[date, date]:
    """The period a finance reader compares `start..end` with.

    - A range that starts on the 1st and stays within one month compares with the same days of the previous
      month (Nov 1-26 against Oct 1-26; a whole month against the whole previous month).
    - Any other range compares with the window of equal length just before it.
    """
    if start.day == 1 and (start.year, start.month) == (end.year, end.month):
        prev_last = start - timedelta(days=1)
        prev_start = prev_last.replace(day=1)
        if end == _last_day(end.year, end.month):
            return prev_start, prev_last
        return prev_start, min(prev_start.replace(day=min(end.day, prev_last.day)), prev_last)
    length = (end - start).days + 1
    return start - timedelta(days=length), start - timedelta(days=1)


def describe_period(start: date, end: date) -> str:
    """`Nov 1 – Nov 26, 2026` (year once when both ends share it)."""
    if start == end:
        return f"{start:%b} {start.day}, {start.year}"
    if start.year == end.year:
        return f"{start:%b} {start.day} – {end:%b} {end.day}, {end.year}"
    return f"{start:%b} {start.day}, {start.year} – {end:%b} {end.day}, {end.year}"


def label(key: str) -> str:
    """`Cost center` for `cost_center`: a filter's name as the page shows it."""
    return key.replace("_", " ").capitalize()


@dataclass(frozen=True)
class UrlChoice:
    """What a dashboard URL asks for: each part None when the URL does not say; `problems` to show as warnings."""

    dates: tuple[date, date] | None
    values: dict[str, list[str]]
    priced_only: bool | None
    problems: list[str]


def from_query(query: Mapping[str, Sequence[str]], options: Mapping[str, list[str]]) -> UrlChoice:
    """Read the filters in a dashboard URL (every value of each key); an unusable value is named, never dropped
    silently: a bad or reversed date, a value no call has, an unknown key, an empty value."""
    problems: list[str] = []

    def one(key: str) -> str | None:
        values = list(query.get(key) or ())
        if not values:
            return None
        if len(values) > 1:
            problems.append(f"`{key}` appears {len(values)} times in the URL; the first is used.")
        return values[0]

    for key in query:
        if key not in URL_KEYS:
            problems.append(f"Unknown URL parameter `{key}` ignored (the URL takes {', '.join(URL_KEYS)}).")
    dates = _dates(one("from"), one("to"), problems.append)
    values: dict[str, list[str]] = {}
    for key in FILTER_KEYS:
        wanted = [v for v in (query.get(key) or ()) if v.strip()]
        if len(wanted) < len(query.get(key) or ()):
            problems.append(f"An empty `{key}` in the URL is ignored.")
        known = [v for v in wanted if v in options.get(key, ())]
        for value in wanted:
            if value not in known:
                problems.append(f"`{key}={value}` in the URL matches no recorded call; that value is ignored.")
        if wanted:
            values[key] = list(dict.fromkeys(known))
    priced_text = one(PRICED_KEY)
    priced = None if priced_text is None else strict_bool(priced_text)
    if priced_text is not None and priced is None:
        problems.append(f"`{PRICED_KEY}={priced_text}` in the URL must be one of {BOOL_WORDS}; ignored.")
    return UrlChoice(dates, values, priced, problems)


def _dates(start: str | None, end: str | None, problem: Callable[[str], None]) -> tuple[date, date] | None:
    if start is None and end is None:
        return None
    try:
        first = date.fromisoformat(start) if start else None
        last = date.fromisoformat(end) if end else first
    except ValueError:
        problem(f"The URL's dates (`from={start or ''}`, `to={end or ''}`) are not YYYY-MM-DD; showing month to date.")
        return None
    if first is None or last is None:
        problem("The URL has `to` without `from`; showing month to date.")
        return None
    if last < first:
        problem(f"The URL's range ends ({last}) before it starts ({first}); showing month to date.")
        return None
    return first, last

"""The sidebar filters every page shares, and the periods they compare."""

from __future__ import annotations

import calendar
from dataclasses import dataclass, replace
from datetime import date, timedelta

import polars as pl

FILTER_KEYS = ("layer", "service", "environment", "model")


@dataclass(frozen=True)
class Filters:
    """A date range (both ends inclusive, UTC days) and optional single-value dimension filters."""

    start: date
    end: date
    layer: str | None = None
    service: str | None = None
    environment: str | None = None
    model: str | None = None

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise ValueError(f"the range ends ({self.end}) before it starts ({self.start})")

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def params(self) -> dict[str, str]:
        """Query parameters for the read API: ISO dates; the collector includes the `end` date whole."""
        out = {"start": self.start.isoformat(), "end": self.end.isoformat()}
        for key in FILTER_KEYS:
            value = getattr(self, key)
            if value is not None:
                out[key] = value
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


def filter_options(df: pl.DataFrame) -> dict[str, list[str]]:
    """The values each dimension filter offers, from a spend frame grouped by the filter keys (nulls dropped)."""
    out: dict[str, list[str]] = {}
    for key in FILTER_KEYS:
        if key in df.columns:
            out[key] = sorted(v for v in df.get_column(key).unique().to_list() if v is not None)
        else:
            out[key] = []
    return out

"""Query parameters of the read API, validated into typed values; a bad one is a 400 naming it."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Annotated

from fastapi import Depends, HTTPException, Query

from ..store import GROUP_KEYS, CallFilter

FORMATS = ("json", "arrow", "csv")


def bad(message: str) -> HTTPException:
    return HTTPException(status_code=400, detail=message)


def _instant(name: str, text: str | None, *, end: bool) -> datetime | None:
    """ISO date or datetime; a date means 00:00 UTC, and as `end` the whole day is included."""
    if text is None or not text.strip():
        return None
    text = text.strip()
    try:
        if len(text) == 10:
            day = date.fromisoformat(text)
            moment = datetime(day.year, day.month, day.day, tzinfo=UTC)
            return moment + timedelta(days=1) if end else moment
        moment = datetime.fromisoformat(text)
        return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    except ValueError:
        raise bad(f"{name} is not an ISO date or datetime: {text!r}") from None
    except OverflowError:  # the day after 9999-12-31, or an offset that moves past year 1 or 9999
        raise bad(f"{name} is outside the supported dates (years 1 to 9999 UTC): {text!r}") from None


def _text(value: str | None) -> str | None:
    return value.strip() if value is not None and value.strip() else None


def call_filter(
    start: Annotated[str | None, Query(description="ISO date/datetime, inclusive (UTC)")] = None,
    end: Annotated[str | None, Query(description="ISO datetime exclusive, or a date included whole")] = None,
    layer: str | None = None,
    model: str | None = None,
    provider: str | None = None,
    service: str | None = None,
    environment: str | None = None,
    requested_model: str | None = None,
) -> CallFilter:
    begin, finish = _instant("start", start, end=False), _instant("end", end, end=True)
    if begin is not None and finish is not None and finish < begin:
        raise bad("end is before start")
    return CallFilter(
        start=begin,
        end=finish,
        layer=_text(layer),
        model=_text(model),
        provider=_text(provider),
        service=_text(service),
        environment=_text(environment),
        requested_model=_text(requested_model),
    )


def group_by(
    group_by: Annotated[str, Query(description=f"comma-separated: {', '.join(GROUP_KEYS)}")] = "layer",
) -> list[str]:
    keys = [k.strip() for k in group_by.split(",") if k.strip()]
    unknown = [k for k in keys if k not in GROUP_KEYS]
    if unknown:
        raise bad(f"unknown group_by {', '.join(unknown)}: use {', '.join(GROUP_KEYS)}")
    if len(set(keys)) != len(keys):
        raise bad("group_by names a key twice")
    return keys


def output_format(format: Annotated[str, Query(description="json, arrow or csv")] = "json") -> str:
    if format not in FORMATS:
        raise bad(f"unknown format {format!r}: use json, arrow or csv")
    return format


Filter = Annotated[CallFilter, Depends(call_filter)]
GroupBy = Annotated[list[str], Depends(group_by)]
OutputFormat = Annotated[str, Depends(output_format)]

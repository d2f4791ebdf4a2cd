"""Query parameters of the read API, validated into typed values; a bad one is a 400 naming it.

Every read route also depends on `strict_query`: a parameter the route does not declare (`?layr=chat`), an empty
value (`?group_by=`) or a single-value parameter given twice is a 400, never silently ignored. The accepted names
come from FastAPI's own view of the route (its flattened dependencies), so they cannot drift from the code.
"""

from __future__ import annotations

import types
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Any, Union, get_args, get_origin

from fastapi import Depends, HTTPException, Query, Request

from tokenledger.settings import BOOL_WORDS, strict_bool

from ..store import GROUP_KEYS, VALUE_KEYS, CallFilter

FORMATS = ("json", "arrow", "csv")
NO_GROUPS = "none"
"""`group_by=none`: one total row (an empty `group_by=` is refused like every empty value)."""


def bad(message: str) -> HTTPException:
    return HTTPException(status_code=400, detail=message)


def _repeatable(annotation: object) -> bool:
    """True for `list[...]` (possibly `| None`): a parameter that may be given several times."""
    if get_origin(annotation) in (Union, types.UnionType):
        return any(_repeatable(arg) for arg in get_args(annotation))
    return get_origin(annotation) in (list, tuple, set)


def _query_fields(dependant: Any) -> list[Any]:
    """Query parameters of a dependant: its dependencies' first (in order), then its own."""
    fields = [f for sub in dependant.dependencies for f in _query_fields(sub)]
    return fields + list(dependant.query_params)


def _declared(route: Any) -> tuple[tuple[str, ...], frozenset[str]]:
    """(every query parameter the route declares, in order; those that may repeat): a walk over a few nodes."""
    fields = _query_fields(route.dependant)
    names = tuple(dict.fromkeys(f.alias for f in fields))
    return names, frozenset(f.alias for f in fields if _repeatable(f.field_info.annotation))


async def strict_query(request: Request) -> None:
    """400 for an undeclared parameter, an empty value, or a repeated single-value parameter."""
    route = request.scope.get("route")
    if route is None or not hasattr(route, "dependant"):
        return
    accepted, repeatable = _declared(route)
    counts: dict[str, int] = {}
    for name, value in request.query_params.multi_items():
        if name not in accepted:
            listed = ", ".join(accepted) if accepted else "none"
            raise bad(f"unknown parameter {name!r}: {request.url.path} accepts {listed}")
        if not value.strip():
            raise bad(f"{name} is empty: give it a value or leave it out")
        counts[name] = counts.get(name, 0) + 1
        if counts[name] > 1 and name not in repeatable:
            raise bad(f"{name} is given more than once: it takes one value")


def instant(name: str, text: str | None, *, end: bool) -> datetime | None:
    """ISO date or datetime; a date means 00:00 UTC, and as `end` the whole day is included."""
    if text is None:
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


def _values(values: list[str] | None) -> tuple[str, ...] | None:
    """Repeated values (`?layer=chat&layer=analysis`), stripped; strict_query has refused empty ones."""
    return tuple(v.strip() for v in values) if values else None


_ANY_OF = "repeat to match any of several values"
Values = Annotated[list[str] | None, Query(description=_ANY_OF)]


def call_filter(
    start: Annotated[str | None, Query(description="ISO date/datetime, inclusive (UTC)")] = None,
    end: Annotated[str | None, Query(description="ISO datetime exclusive, or a date included whole")] = None,
    layer: Values = None,
    model: Values = None,
    card_model: Values = None,
    provider: Values = None,
    service: Values = None,
    environment: Values = None,
    requested_model: Values = None,
    team: Values = None,
    cost_center: Values = None,
    customer: Values = None,
    feature: Values = None,
    conversation: Values = None,
    trace_id: Values = None,
) -> CallFilter:
    begin, finish = instant("start", start, end=False), instant("end", end, end=True)
    if begin is not None and finish is not None and finish < begin:
        raise bad("end is before start")
    return CallFilter(
        start=begin,
        end=finish,
        layer=_values(layer),
        model=_values(model),
        card_model=_values(card_model),
        provider=_values(provider),
        service=_values(service),
        environment=_values(environment),
        requested_model=_values(requested_model),
        team=_values(team),
        cost_center=_values(cost_center),
        customer=_values(customer),
        feature=_values(feature),
        conversation=_values(conversation),
        trace_id=_values(trace_id),
    )


def pricing_filter(
    where: Annotated[CallFilter, Depends(call_filter)],
    pricing_unknown: Annotated[str | None, Query(description="true: unpriced calls only; false: priced only")] = None,
) -> CallFilter:
    """The common filter plus `pricing_unknown` (for spend, latency and calls; the review queue is all unpriced)."""
    if pricing_unknown is None:
        return where
    flag = strict_bool(pricing_unknown)
    if flag is None:
        raise bad(f"pricing_unknown must be one of {BOOL_WORDS}, got {pricing_unknown!r}")
    return replace(where, pricing_unknown=flag)


def group_by(
    group_by: Annotated[
        str, Query(description=f"comma-separated: {', '.join(GROUP_KEYS)}; `{NO_GROUPS}` for one total row")
    ] = "layer",
) -> list[str]:
    if group_by.strip() == NO_GROUPS:
        return []
    keys = [k.strip() for k in group_by.split(",")]
    if "" in keys:
        raise bad(f"group_by has an empty key: use {', '.join(GROUP_KEYS)} (comma-separated) or {NO_GROUPS}")
    unknown = [k for k in keys if k not in GROUP_KEYS]
    if unknown:
        raise bad(f"unknown group_by {', '.join(unknown)}: use {', '.join(GROUP_KEYS)} or {NO_GROUPS}")
    if len(set(keys)) != len(keys):
        raise bad("group_by names a key twice")
    return keys


def value_keys(
    keys: Annotated[str | None, Query(description=f"comma-separated: {', '.join(VALUE_KEYS)}; all if unset")] = None,
) -> list[str]:
    if keys is None:
        return list(VALUE_KEYS)
    wanted = [k.strip() for k in keys.split(",")]
    unknown = [k for k in wanted if k not in VALUE_KEYS]
    if "" in wanted or unknown:
        raise bad(f"unknown keys {', '.join(unknown) or repr(keys)}: use {', '.join(VALUE_KEYS)} (comma-separated)")
    return list(dict.fromkeys(wanted))


def output_format(format: Annotated[str, Query(description="json, arrow or csv")] = "json") -> str:
    if format not in FORMATS:
        raise bad(f"unknown format {format!r}: use json, arrow or csv")
    return format


Filter = Annotated[CallFilter, Depends(call_filter)]
FilterWithPricing = Annotated[CallFilter, Depends(pricing_filter)]
GroupBy = Annotated[list[str], Depends(group_by)]
OutputFormat = Annotated[str, Depends(output_format)]
ValueKeys = Annotated[list[str], Depends(value_keys)]
StrictQuery = Depends(strict_query)

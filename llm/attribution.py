"""Who a call is charged to: per-request customer and feature, carried by every call made inside a block.

    with attribute(customer="acme", feature="summaries"):
        text = await simple_complete(...)   # its span carries tokenledger.customer and tokenledger.feature

A `contextvars.ContextVar` holds the values, so concurrent requests in one process never mix: each asyncio task
(and each thread) sees only the block it runs in. Blocks nest; an inner value wins for its key, and `None` leaves
a key as the outer block set it. Team and cost centre are per service: `configure_telemetry(team=...,
cost_center=...)` puts them on the resource (any OpenTelemetry sender can set `tokenledger.team` there itself).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from types import MappingProxyType

from tokenledger.contract import COST_CENTER, CUSTOMER, FEATURE, TEAM

__all__ = ["COST_CENTER", "CUSTOMER", "FEATURE", "TEAM", "attribute", "current_attributes"]

_EMPTY: Mapping[str, str] = MappingProxyType({})
_current: ContextVar[Mapping[str, str]] = ContextVar("tokenledger_attribution", default=_EMPTY)


@contextmanager
def attribute(*, customer: str | None = None, feature: str | None = None) -> Iterator[None]:
    """Every LLM call inside the block carries these as span attributes (`tokenledger.customer`, `.feature`)."""
    chosen = {key: value for key, value in ((CUSTOMER, customer), (FEATURE, feature)) if value}
    token = _current.set(MappingProxyType({**_current.get(), **chosen}))
    try:
        yield
    finally:
        _current.reset(token)


def current_attributes() -> Mapping[str, str]:
    """The span attributes the enclosing `attribute` blocks set (empty outside any)."""
    return _current.get()

"""A fast path from one OTLP JSON span (already parsed by `json.loads`) to a protobuf `Span`.

protobuf's `json_format.ParseDict` costs ~400 us a span (it walks descriptors in Python), which held OTLP JSON
ingest to ~2,000 spans/s. This builder handles the shape exporters send (ids, name, kind, times, status, scalar
attributes) and gives up, returning None, on anything else: a field it does not know, a type or a value range
that ParseDict might read differently, nested values, events, links. The caller then parses the span with
ParseDict as before, so every unusual input keeps exactly its old outcome (and its error message).
"""

from __future__ import annotations

import base64
import binascii
import re
from typing import Any

from opentelemetry.proto.common.v1.common_pb2 import KeyValue
from opentelemetry.proto.trace.v1.trace_pb2 import Span

__all__ = ["fast_span"]

_INT64 = (-(2**63), 2**63 - 1)
_UINT64 = (0, 2**64 - 1)
_DIGITS = re.compile(r"-?[0-9]+\Z")
_SPAN_KEYS = frozenset({
    "traceId", "spanId", "parentSpanId", "name", "kind", "startTimeUnixNano", "endTimeUnixNano", "attributes",
    "status", "traceState", "flags", "droppedAttributesCount", "droppedEventsCount", "droppedLinksCount",
    "events", "links",
})  # fmt: skip
_PAIR_KEYS = frozenset({"key", "value"})
_STATUS_KEYS = frozenset({"code", "message"})
_UINT32_FIELDS = {
    "flags": "flags", "droppedAttributesCount": "dropped_attributes_count",
    "droppedEventsCount": "dropped_events_count", "droppedLinksCount": "dropped_links_count",
}  # fmt: skip


class _GiveUp(Exception):
    """Not a shape this fast path reads exactly like ParseDict: parse the span the slow way."""


def fast_span(span: dict[str, Any]) -> Span | None:
    """The span as ParseDict would build it (ids already base64, as `otlp._convert` leaves them), or None when
    the fast path cannot be sure to read it the same way. Never raises; never changes `span`."""
    try:
        return _build(span)
    except _GiveUp:
        return None
    except Exception:  # a value protobuf refuses (a lone surrogate, say): the slow path says why
        return None


def _build(data: dict[str, Any]) -> Span:
    if not _SPAN_KEYS.issuperset(data) or data.get("events") or data.get("links"):
        raise _GiveUp
    out = Span()
    for key, field in (("traceId", "trace_id"), ("spanId", "span_id"), ("parentSpanId", "parent_span_id")):
        found = data.get(key)
        if found is not None:
            setattr(out, field, _bytes(found))
    name = data.get("name")
    if name is not None:
        out.name = _str(name)
    kind = data.get("kind")
    if kind is not None:
        if type(kind) is not int or not 0 <= kind <= 5:
            raise _GiveUp
        out.kind = kind
    for key, field in (("startTimeUnixNano", "start_time_unix_nano"), ("endTimeUnixNano", "end_time_unix_nano")):
        found = data.get(key)
        if found is not None:
            setattr(out, field, _int(found, _UINT64))
    state = data.get("traceState")
    if state is not None:
        out.trace_state = _str(state)
    for key, field in _UINT32_FIELDS.items():
        found = data.get(key)
        if found is not None:
            if type(found) is not int or not 0 <= found < 2**32:
                raise _GiveUp
            setattr(out, field, found)
    status = data.get("status")
    if status is not None:
        _status(status, out)
    attributes = data.get("attributes")
    if attributes is not None:
        if type(attributes) is not list:
            raise _GiveUp
        add = out.attributes.add
        for item in attributes:
            _attribute(item, add())  # filled in place: building a KeyValue and copying it in costs twice as much
    return out


def _bytes(value: Any) -> bytes:
    if type(value) is not str:
        raise _GiveUp
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise _GiveUp from None


def _str(value: Any) -> str:
    if type(value) is not str:
        raise _GiveUp
    return value


def _int(value: Any, bounds: tuple[int, int]) -> int:
    if type(value) is int:
        number = value
    elif type(value) is str and _DIGITS.match(value):
        number = int(value)
    else:
        raise _GiveUp
    if not bounds[0] <= number <= bounds[1]:
        raise _GiveUp
    return number


def _status(status: Any, out: Span) -> None:
    if type(status) is not dict or not _STATUS_KEYS.issuperset(status):
        raise _GiveUp
    out.status.SetInParent()
    code, message = status.get("code"), status.get("message")
    if code is not None:
        if type(code) is not int or not 0 <= code <= 2:
            raise _GiveUp
        out.status.code = code
    if message is not None:
        out.status.message = _str(message)


def _attribute(item: Any, pair: KeyValue) -> None:
    if type(item) is not dict or not _PAIR_KEYS.issuperset(item):
        raise _GiveUp
    key = item.get("key")
    if key is not None:
        pair.key = _str(key)
    if "value" not in item:
        return
    value = item["value"]
    if type(value) is not dict or len(value) > 1:
        raise _GiveUp
    target = pair.value
    if not value:
        target.SetInParent()  # present and empty, as ParseDict leaves `{}`
        return
    ((kind, found),) = value.items()
    if kind == "stringValue" and type(found) is str:
        target.string_value = found
    elif kind == "intValue":
        target.int_value = _int(found, _INT64)
    elif kind == "boolValue" and type(found) is bool:
        target.bool_value = found
    elif kind == "doubleValue" and type(found) in (float, int):
        target.double_value = found
    else:
        raise _GiveUp

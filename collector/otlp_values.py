"""OTLP attribute values as Python values: every attribute of a resource, or only the keys the mapping reads.

`read_attributes` runs for every attribute of every span, so it is written flat (no call per value). Reading only
the keys the collector uses also means a span's other attributes (prompts, tool payloads) are never converted.
"""

from __future__ import annotations

from typing import Any

from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue

__all__ = ["attributes", "read_attributes", "value"]


def attributes(pairs: list[KeyValue] | Any) -> dict[str, Any]:
    """OTLP key-values as a dict of Python values."""
    return {kv.key: value(kv.value) for kv in pairs}


def value(any_value: AnyValue) -> Any:
    """One OTLP AnyValue as a Python value (arrays as lists, key-value lists as dicts)."""
    kind = any_value.WhichOneof("value")
    if kind is None:
        return None
    if kind == "array_value":
        return [value(v) for v in any_value.array_value.values]
    if kind == "kvlist_value":
        return attributes(any_value.kvlist_value.values)
    return getattr(any_value, kind)


_NESTED = frozenset({"array_value", "kvlist_value"})


def read_attributes(pairs: list[KeyValue] | Any, wanted: frozenset[str]) -> dict[str, Any]:
    """`attributes` for the keys in `wanted` only (the others are skipped, their values never converted)."""
    out: dict[str, Any] = {}
    for kv in pairs:
        key = kv.key
        if key in wanted:
            any_value = kv.value
            kind = any_value.WhichOneof("value")
            if kind is None:
                out[key] = None
            elif kind in _NESTED:
                out[key] = value(any_value)
            else:
                out[key] = getattr(any_value, kind)
    return out

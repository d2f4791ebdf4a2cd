"""Where an OTLP JSON value has the wrong type: the field path and the type expected, never the value.

protobuf's JSON parser names the offending value in its error text (`Couldn't parse integer: "Bearer sk-..."`); an
attribute can hold a credential, and that text would reach the 400 body, `partialSuccess.errorMessage` and the log.
So on a parse error the decoder walks the JSON against the message's descriptor itself and reports only this.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

from google.protobuf.descriptor import Descriptor, FieldDescriptor

__all__ = ["wrong_field"]

_INTS = {
    FieldDescriptor.TYPE_INT32: (-(2**31), 2**31 - 1),
    FieldDescriptor.TYPE_SINT32: (-(2**31), 2**31 - 1),
    FieldDescriptor.TYPE_SFIXED32: (-(2**31), 2**31 - 1),
    FieldDescriptor.TYPE_INT64: (-(2**63), 2**63 - 1),
    FieldDescriptor.TYPE_SINT64: (-(2**63), 2**63 - 1),
    FieldDescriptor.TYPE_SFIXED64: (-(2**63), 2**63 - 1),
    FieldDescriptor.TYPE_UINT32: (0, 2**32 - 1),
    FieldDescriptor.TYPE_FIXED32: (0, 2**32 - 1),
    FieldDescriptor.TYPE_UINT64: (0, 2**64 - 1),
    FieldDescriptor.TYPE_FIXED64: (0, 2**64 - 1),
}
_FLOATS = (FieldDescriptor.TYPE_DOUBLE, FieldDescriptor.TYPE_FLOAT)


def wrong_field(data: Any, descriptor: Descriptor, path: str) -> str:
    """`<path>: expected <type>` for the first value in `data` that does not fit `descriptor`; a generic text (still
    without any value) when the walk finds none (the parser refused for a reason this walk does not model)."""
    try:
        found = _walk(data, descriptor, path)
    except (RecursionError, TypeError, ValueError, AttributeError):  # a walk that fails must not raise from a 400
        found = None
    return found or f"{path}: a value does not fit the OTLP schema"


def _walk(data: Any, descriptor: Descriptor, path: str) -> str | None:
    if not isinstance(data, dict):
        return f"{path}: expected an object"
    fields = {f.json_name: f for f in descriptor.fields} | {f.name: f for f in descriptor.fields}
    oneofs: set[str] = set()
    for key, value in data.items():
        field = fields.get(key) if isinstance(key, str) else None
        if field is None or value is None:  # unknown fields are ignored; null means the default
            continue
        where = f"{path}.{field.json_name}"
        oneof = field.containing_oneof
        if oneof is not None:
            if oneof.name in oneofs:
                return f"{path}: more than one {oneof.name} field"
            oneofs.add(oneof.name)
        if field.is_repeated:
            if not isinstance(value, list):
                return f"{where}: expected an array"
            for i, item in enumerate(value):
                found = _value(item, field, f"{where}[{i}]")
                if found:
                    return found
        else:
            found = _value(value, field, where)
            if found:
                return found
    return None


def _value(value: Any, field: FieldDescriptor, where: str) -> str | None:
    kind = field.type
    if kind == FieldDescriptor.TYPE_MESSAGE:
        return _walk(value, field.message_type, where)
    if kind in _INTS:
        low, high = _INTS[kind]
        return None if _int_in(value, low, high) else f"{where}: expected an integer from {low} to {high}"
    if kind in _FLOATS:
        return None if _is_number(value) else f"{where}: expected a number"
    if kind == FieldDescriptor.TYPE_BOOL:
        return None if isinstance(value, bool) else f"{where}: expected true or false"
    if kind == FieldDescriptor.TYPE_STRING:
        return None if isinstance(value, str) else f"{where}: expected a string"
    if kind == FieldDescriptor.TYPE_BYTES:
        return None if _is_base64(value) else f"{where}: expected base64 bytes"
    if kind == FieldDescriptor.TYPE_ENUM:
        # the parser ignores an unknown enum name (ignore_unknown_fields), so any string passes
        ok = (isinstance(value, int) and not isinstance(value, bool)) or isinstance(value, str)
        return None if ok else f"{where}: expected an enum number or name"
    return None


def _int_in(value: Any, low: int, high: int) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, float):
        if not value.is_integer():
            return False
        value = int(value)
    elif isinstance(value, str):
        try:
            value = int(value)
        except ValueError:
            return False
    return isinstance(value, int) and low <= value <= high


def _is_number(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, int | float):
        return True
    if isinstance(value, str):
        try:
            float(value)
        except ValueError:
            return False
        return True
    return False


def _is_base64(value: Any) -> bool:
    if not isinstance(value, str):
        return False
    try:
        base64.b64decode(value + "=" * (-len(value) % 4), altchars=b"-_" if ("-" in value or "_" in value) else None)
    except (binascii.Error, ValueError):
        return False
    return True

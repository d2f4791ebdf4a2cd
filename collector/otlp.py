"""OTLP/HTTP trace bodies: decompress within a limit, decode protobuf or JSON, encode the response.

OTLP JSON is protobuf's JSON mapping with three differences that matter here: trace and span ids are hex (the
protobuf mapping would read them as base64), int64 may come as strings or numbers, and enums are integers.
"""

from __future__ import annotations

import base64
import binascii
import json
import zlib
from typing import Any

from google.protobuf import json_format
from google.protobuf.message import DecodeError
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTracePartialSuccess,
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)

PROTOBUF = "application/x-protobuf"
JSON = "application/json"


class BadRequest(ValueError):
    """The body cannot be decoded (400). The message says why, without echoing the body."""


class TooLarge(ValueError):
    """The body is over the limit, compressed or decompressed (413)."""


class UnsupportedMediaType(ValueError):
    """Neither OTLP protobuf nor OTLP JSON (415)."""


def media_type(content_type: str | None) -> str:
    """`application/x-protobuf` or `application/json` from a Content-Type header; raises UnsupportedMediaType."""
    kind = (content_type or "").split(";", 1)[0].strip().lower()
    if kind in (PROTOBUF, JSON):
        return kind
    raise UnsupportedMediaType(f"unsupported content type {kind or '(none)'!r}: use {PROTOBUF} or {JSON}")


def decompress(body: bytes, encoding: str | None, limit: int) -> bytes:
    """The body after `Content-Encoding` (identity, gzip, deflate), refusing to produce more than `limit` bytes."""
    name = (encoding or "identity").strip().lower()
    if name in ("", "identity"):
        return body
    if name == "gzip":
        return _inflate(body, 16 + zlib.MAX_WBITS, limit)
    if name == "deflate":
        try:
            return _inflate(body, zlib.MAX_WBITS, limit)
        except BadRequest:
            return _inflate(body, -zlib.MAX_WBITS, limit)  # raw deflate, as some clients send
    raise UnsupportedMediaType(f"unsupported content encoding {name!r}: use gzip or deflate")


def _inflate(data: bytes, wbits: int, limit: int) -> bytes:
    out = bytearray()
    while data:
        engine = zlib.decompressobj(wbits)
        try:
            out += engine.decompress(data, limit + 1 - len(out))
            if len(out) > limit:
                raise TooLarge(f"decompressed body is over {limit} bytes")
            if engine.unconsumed_tail:
                raise TooLarge(f"decompressed body is over {limit} bytes")
            out += engine.flush()
        except zlib.error as exc:
            raise BadRequest(f"cannot decompress body: {exc}") from None
        if not engine.eof:
            raise BadRequest("compressed body is truncated")
        data = engine.unused_data  # gzip allows several members back to back
        if wbits < 0 or not data.strip(b"\0"):
            break
    if len(out) > limit:
        raise TooLarge(f"decompressed body is over {limit} bytes")
    return bytes(out)


def decode(body: bytes, kind: str) -> ExportTraceServiceRequest:
    """Decode an OTLP export request; raises BadRequest."""
    request = ExportTraceServiceRequest()
    if kind == PROTOBUF:
        try:
            request.ParseFromString(body)
        except (DecodeError, RuntimeError, ValueError) as exc:
            raise BadRequest(f"not an OTLP protobuf ExportTraceServiceRequest: {exc}") from None
        return request
    try:
        data = json.loads(body)
    except (UnicodeDecodeError, ValueError) as exc:
        raise BadRequest(f"not valid JSON: {exc}") from None
    except RecursionError:
        raise BadRequest("not valid JSON: nested too deeply") from None
    if not isinstance(data, dict):
        raise BadRequest("an OTLP JSON body must be an object")
    try:
        _hex_ids_to_base64(data)
        json_format.ParseDict(data, request, ignore_unknown_fields=True)
    except (json_format.ParseError, TypeError, AttributeError, ValueError) as exc:
        raise BadRequest(f"not an OTLP JSON ExportTraceServiceRequest: {exc}") from None
    except RecursionError:
        raise BadRequest("not an OTLP JSON ExportTraceServiceRequest: nested too deeply") from None
    return request


_ID_KEYS = ("traceId", "spanId", "parentSpanId", "trace_id", "span_id", "parent_span_id")


def _hex_ids_to_base64(data: dict[str, Any]) -> None:
    """Rewrite the hex ids of every span and link in place into the base64 that protobuf's JSON parser expects."""
    for resource_spans in _items(data, "resourceSpans", "resource_spans"):
        for scope_spans in _items(resource_spans, "scopeSpans", "scope_spans"):
            for span in _items(scope_spans, "spans"):
                _convert(span)
                for link in _items(span, "links"):
                    _convert(link)


def _items(obj: Any, *keys: str) -> list:
    if not isinstance(obj, dict):
        raise BadRequest("malformed OTLP JSON: expected an object")
    for key in keys:
        value = obj.get(key)
        if value is None:
            continue
        if not isinstance(value, list):
            raise BadRequest(f"malformed OTLP JSON: {key!r} must be an array")
        return value
    return []


def _convert(obj: dict[str, Any]) -> None:
    for key in _ID_KEYS:
        value = obj.get(key)
        if value is None or value == "":
            continue
        if not isinstance(value, str):
            raise BadRequest(f"malformed OTLP JSON: {key} must be a hex string")
        try:
            raw = binascii.unhexlify(value)
        except (binascii.Error, ValueError):
            raise BadRequest(f"malformed OTLP JSON: {key} is not hex") from None
        obj[key] = base64.b64encode(raw).decode("ascii")


def encode_response(kind: str, rejected_spans: int = 0, error_message: str = "") -> bytes:
    """An ExportTraceServiceResponse in the request's encoding, with partial_success only when something failed."""
    response = ExportTraceServiceResponse()
    if rejected_spans or error_message:
        response.partial_success.CopyFrom(
            ExportTracePartialSuccess(rejected_spans=rejected_spans, error_message=error_message)
        )
    if kind == PROTOBUF:
        return response.SerializeToString()
    return json_format.MessageToJson(response, indent=None).encode()

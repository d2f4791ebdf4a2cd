"""OTLP/HTTP trace bodies: decompress within a limit, decode protobuf or JSON, encode the response.

OTLP JSON is protobuf's JSON mapping with three differences that matter here: trace and span ids are hex (the
protobuf mapping would read them as base64), int64 may come as strings or numbers, and enums are integers.
"""

from __future__ import annotations

import base64
import binascii
import json
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from google.protobuf import json_format
from google.protobuf.message import DecodeError
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTracePartialSuccess,
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)
from opentelemetry.proto.trace.v1.trace_pb2 import Span

from .otlp_fields import wrong_field
from .otlp_json import fast_span

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


def decompress(body: bytes, encoding: str | None, limit: int, progress: Callable[[int], None] | None = None) -> bytes:
    """The body after `Content-Encoding` (identity, gzip, deflate), refusing to produce more than `limit` bytes.

    `progress(size)` is called with the output's size as it grows (it may raise to stop inflating).
    """
    name = (encoding or "identity").strip().lower()
    if name in ("", "identity"):
        return body
    if name == "gzip":
        return _inflate(body, 16 + zlib.MAX_WBITS, limit, progress)
    if name == "deflate":
        try:
            return _inflate(body, zlib.MAX_WBITS, limit, progress)
        except BadRequest:
            return _inflate(body, -zlib.MAX_WBITS, limit, progress)  # raw deflate, as some clients send
    raise UnsupportedMediaType(f"unsupported content encoding {name!r}: use gzip or deflate")


MAX_MEMBERS = 64
"""Gzip members one body may chain (an exporter sends one); more is a 400, so many tiny members cost no CPU."""
_FEED_BYTES = 64 * 1024
"""Compressed bytes fed to zlib per step: what a member's end copies is at most this, never the rest of the body."""


def _inflate(data: bytes, wbits: int, limit: int, progress: Callable[[int], None] | None) -> bytes:
    """Inflate `data` (one or more members) in time linear in its size, producing at most `limit` bytes."""
    view = memoryview(data)
    out = bytearray()
    position, members = 0, 0
    while position < len(view):
        if view[position] == 0 and not bytes(view[position:]).strip(b"\0"):
            break  # zero padding after the last member, which some clients send
        members += 1
        if members > MAX_MEMBERS:
            raise BadRequest(f"compressed body has more than {MAX_MEMBERS} members")
        engine = zlib.decompressobj(wbits)
        try:
            while not engine.eof and position < len(view):
                fed = view[position : position + _FEED_BYTES]
                out += engine.decompress(fed, limit + 1 - len(out))
                if len(out) > limit or engine.unconsumed_tail:
                    raise TooLarge(f"decompressed body is over {limit} bytes")
                position += len(fed) - len(engine.unused_data)
                if progress is not None:
                    progress(len(out))
            out += engine.flush()
            if progress is not None:
                progress(len(out))
        except zlib.error as exc:
            raise BadRequest(f"cannot decompress body: {exc}") from None
        if not engine.eof:
            raise BadRequest("compressed body is truncated")
        if len(out) > limit:
            raise TooLarge(f"decompressed body is over {limit} bytes")
        if wbits < 0:
            break
    return bytes(out)


@dataclass
class Decoded:
    """A decoded export request, less the spans that could not be decoded (OTLP JSON only)."""

    request: ExportTraceServiceRequest
    rejected: list[str] = field(default_factory=list)
    """Why each span left out was refused ("span <id>: <reason>"), in order."""


def decode_export(body: bytes, kind: str) -> Decoded:
    """Decode an OTLP export request; raises BadRequest when the request itself is malformed.

    In OTLP JSON a value that breaks only one span (a wrong type, an out-of-range int64, a lone surrogate, nesting
    too deep) rejects that span, listed in `rejected`; the other spans are kept. Exporters never retry a 400, so a
    400 for the whole request would lose them.
    """
    request = ExportTraceServiceRequest()
    if kind == PROTOBUF:
        try:
            request.ParseFromString(body)
        except (DecodeError, RuntimeError, ValueError) as exc:
            raise BadRequest(f"not an OTLP protobuf ExportTraceServiceRequest: {exc}") from None
        return Decoded(request)
    try:
        data = json.loads(body)
    except UnicodeDecodeError as exc:  # its text quotes the offending byte: only the position is given
        raise BadRequest(f"not valid JSON: not UTF-8 at byte {exc.start}") from None
    except ValueError as exc:  # JSONDecodeError's text gives the position, not the value
        raise BadRequest(f"not valid JSON: {exc}") from None
    except RecursionError:
        raise BadRequest("not valid JSON: nested too deeply") from None
    if not isinstance(data, dict):
        raise BadRequest("an OTLP JSON body must be an object")
    decoded = Decoded(request)
    for r, resource_spans in enumerate(_items(data, "resourceSpans", "resource_spans")):
        target = request.resource_spans.add()
        where = f"resourceSpans[{r}]"
        _parse(_without(resource_spans, "scopeSpans", "scope_spans"), target, where)
        for s, scope_spans in enumerate(_items(resource_spans, "scopeSpans", "scope_spans")):
            scope_target = target.scope_spans.add()
            _parse(_without(scope_spans, "spans"), scope_target, f"{where}.scopeSpans[{s}]")
            for i, span in enumerate(_items(scope_spans, "spans")):
                decoded.rejected += _add_span(span, scope_target, f"{where}.scopeSpans[{s}].spans[{i}]")
    return decoded


def _without(obj: dict[str, Any], *keys: str) -> dict[str, Any]:
    return {k: v for k, v in obj.items() if k not in keys}


def _parse(data: dict[str, Any], message: Any, where: str) -> None:
    try:
        json_format.ParseDict(data, message, ignore_unknown_fields=True)
    except (json_format.ParseError, TypeError, AttributeError, ValueError):
        # never the parser's text: it quotes the value, which may be a credential
        reason = wrong_field(data, message.DESCRIPTOR, where)
        raise BadRequest(f"not an OTLP JSON ExportTraceServiceRequest: {reason}") from None
    except RecursionError:
        raise BadRequest(f"not an OTLP JSON ExportTraceServiceRequest: {where} nested too deeply") from None


def _add_span(span: Any, scope_target: Any, where: str) -> list[str]:
    """Parse one JSON span into `scope_target.spans`; a span that cannot be parsed is left out and its reason given."""
    label = span.get("spanId") if isinstance(span, dict) else None
    label = label if isinstance(label, str) and len(label) <= 32 else "?"
    try:
        if not isinstance(span, dict):
            raise BadRequest("a span must be an object")
        _convert(span)
        for link in _items(span, "links"):
            _convert(link)
        parsed = fast_span(span)  # ParseDict is ~400 us a span: only what the fast path declines goes there
        if parsed is None:
            parsed = Span()
            json_format.ParseDict(span, parsed, ignore_unknown_fields=True)
    except BadRequest as exc:
        return [f"span {label}: {exc}"]
    except (json_format.ParseError, TypeError, AttributeError, ValueError):
        return [f"span {label}: not an OTLP JSON span: {wrong_field(span, Span.DESCRIPTOR, where)}"]
    except RecursionError:
        return [f"span {label}: nested too deeply"]
    scope_target.spans.append(parsed)
    return []


_ID_KEYS = ("traceId", "spanId", "parentSpanId", "trace_id", "span_id", "parent_span_id")


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

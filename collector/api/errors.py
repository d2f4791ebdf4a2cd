"""Error answers of the OTLP route: a `google.rpc.Status` in the request's encoding (the OTLP/HTTP rule).

`otlp_error` builds one for the route's own refusals; `error_for` is used by the app's exception handlers (401,
the catch-all 503) so that every answer on `/v1/traces` has the shape exporters parse.
"""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import Response
from google.protobuf import json_format
from google.rpc.status_pb2 import Status

from .. import otlp

_GRPC_CODES = {400: 3, 401: 16, 408: 4, 413: 8, 415: 3, 429: 8, 503: 14}
"""HTTP status -> google.rpc.Code (INVALID_ARGUMENT, UNAUTHENTICATED, DEADLINE_EXCEEDED, RESOURCE_EXHAUSTED, ...)."""


def otlp_error(kind: str, status: int, message: str, retry_after: int | None = None) -> Response:
    """An OTLP error response: a google.rpc.Status in the request's encoding."""
    body = Status(code=_GRPC_CODES.get(status, 2), message=message)
    headers = {"Retry-After": str(retry_after)} if retry_after is not None else None
    if kind == otlp.PROTOBUF:
        return Response(body.SerializeToString(), status, headers=headers, media_type=otlp.PROTOBUF)
    return Response(json_format.MessageToJson(body, indent=None), status, headers=headers, media_type=otlp.JSON)


def error_for(request: Request, status: int, message: str, headers: dict[str, str] | None = None) -> Response:
    """An error answer on this route (from an exception handler: 401, the catch-all 503) as a google.rpc.Status."""
    try:
        kind = otlp.media_type(request.headers.get("content-type"))
    except otlp.UnsupportedMediaType:
        kind = otlp.JSON
    response = otlp_error(kind, status, message)
    response.headers.update(headers or {})
    return response

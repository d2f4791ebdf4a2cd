"""A fake Anthropic Messages API: `POST /v1/messages`, JSON and SSE streaming, usage with cache fields."""

from __future__ import annotations

import json
import uuid
from typing import Any

from ._server import FakeRequest, FakeServer, _Config, _Respond
from .types import FakeUsage, reply_text


def _new_id(prefix: str) -> str:
    """Unique across processes, like a real API's ids: the collector treats one response id as one call."""
    return f"{prefix}{uuid.uuid4().hex[:24]}"


def _wire_usage(usage: FakeUsage) -> dict[str, Any]:
    # Anthropic's input_tokens excludes cache reads and writes; output_tokens includes thinking tokens.
    wire: dict[str, Any] = {
        "input_tokens": usage.input_tokens - usage.cache_read_tokens - usage.cache_write_tokens,
        "cache_creation_input_tokens": usage.cache_write_tokens,
        "cache_read_input_tokens": usage.cache_read_tokens,
        "cache_creation": {
            "ephemeral_5m_input_tokens": usage.cache_write_tokens - usage.cache_write_1h_tokens,
            "ephemeral_1h_input_tokens": usage.cache_write_1h_tokens,
        },
        "output_tokens": usage.output_tokens,
        "service_tier": "standard",
    }
    if usage.web_search_requests:
        wire["server_tool_use"] = {"web_search_requests": usage.web_search_requests, "web_fetch_requests": 0}
    if usage.service_tier is not None:
        wire["service_tier"] = usage.service_tier
    if usage.speed is not None:
        wire["speed"] = usage.speed
    if usage.reasoning_tokens:
        wire["output_tokens_details"] = {"thinking_tokens": usage.reasoning_tokens}
    return wire


def _tool_input(tool: dict[str, Any]) -> dict[str, Any]:
    """A plausible input for a tool: each string property of its schema gets a fixed value."""
    props = (tool.get("input_schema") or {}).get("properties") or {}
    return {name: "fake" for name, spec in props.items() if isinstance(spec, dict) and spec.get("type") == "string"}


def _content(body: dict[str, Any]) -> tuple[list[dict[str, Any]], str]:
    text = reply_text(str(body.get("model")))
    blocks: list[dict[str, Any]] = [{"type": "text", "text": text}]
    tools = body.get("tools") or []
    if tools:
        tool = tools[0]
        blocks.append(
            {
                "type": "tool_use",
                "id": _new_id("toolu_fake"),
                "name": tool.get("name"),
                "input": _tool_input(tool),
            }
        )
        return blocks, "tool_use"
    return blocks, "end_turn"


def _message(body: dict[str, Any], usage: FakeUsage) -> dict[str, Any]:
    blocks, stop_reason = _content(body)
    return {
        "id": _new_id("msg_fake"),
        "type": "message",
        "role": "assistant",
        "model": body.get("model"),
        "content": blocks,
        "stop_reason": stop_reason,
        "stop_sequence": None,
        "usage": _wire_usage(usage),
    }


def _frame(event: str, data: dict[str, Any]) -> bytes:
    return f"event: {event}\ndata: {json.dumps(data)}\n\n".encode()


def stream_events(message: dict[str, Any]) -> list[bytes]:
    """The SSE frames of one streamed message, in the order the real API sends them."""
    usage = message["usage"]
    start = {**message, "content": [], "stop_reason": None, "usage": {**usage, "output_tokens": 1}}
    frames = [_frame("message_start", {"type": "message_start", "message": start})]
    for index, block in enumerate(message["content"]):
        if block["type"] == "text":
            frames.append(
                _frame(
                    "content_block_start",
                    {"type": "content_block_start", "index": index, "content_block": {"type": "text", "text": ""}},
                )
            )
            if index == 0:
                frames.append(_frame("ping", {"type": "ping"}))
            words = block["text"].split(" ")
            for n, word in enumerate(words):
                piece = word if n == 0 else " " + word
                frames.append(
                    _frame(
                        "content_block_delta",
                        {"type": "content_block_delta", "index": index, "delta": {"type": "text_delta", "text": piece}},
                    )
                )
        else:
            frames.append(
                _frame(
                    "content_block_start",
                    {"type": "content_block_start", "index": index, "content_block": {**block, "input": {}}},
                )
            )
            frames.append(
                _frame(
                    "content_block_delta",
                    {
                        "type": "content_block_delta",
                        "index": index,
                        "delta": {"type": "input_json_delta", "partial_json": json.dumps(block["input"])},
                    },
                )
            )
        frames.append(_frame("content_block_stop", {"type": "content_block_stop", "index": index}))
    delta_usage = {
        k: usage[k] for k in ("input_tokens", "cache_creation_input_tokens", "cache_read_input_tokens", "output_tokens")
    }
    if "output_tokens_details" in usage:
        delta_usage["output_tokens_details"] = usage["output_tokens_details"]
    frames.append(
        _frame(
            "message_delta",
            {
                "type": "message_delta",
                "usage": delta_usage,
                "delta": {"stop_reason": message["stop_reason"], "stop_sequence": None},
            },
        )
    )
    frames.append(_frame("message_stop", {"type": "message_stop"}))
    return frames


def _error(respond: _Respond, status: int, kind: str, message: str) -> None:
    headers = {"request-id": _new_id("req_fake")}
    respond.json(status, {"type": "error", "error": {"type": kind, "message": message}}, headers)


def _messages(request: FakeRequest, config: _Config, respond: _Respond) -> None:
    body = request.body if isinstance(request.body, dict) else {}
    if not request.had_api_key:
        _error(respond, 401, "authentication_error", "x-api-key header is required")
        return
    if config.failure == "unauthorized":
        _error(respond, 401, "authentication_error", "invalid x-api-key")
        return
    if config.failure == "http_500":
        _error(respond, 500, "api_error", "Internal server error")
        return
    if config.failure == "overloaded":
        _error(respond, 529, "overloaded_error", "Overloaded")
        return
    if not body.get("model") or not body.get("max_tokens") or not isinstance(body.get("messages"), list):
        _error(respond, 400, "invalid_request_error", "model, max_tokens and messages are required")
        return
    message = _message(body, config.usage(body))
    if config.failure == "malformed":
        if body.get("stream"):
            respond.sse([b"event: message_start\ndata: {not json\n\n"])
        else:
            respond.raw(200, b'{"id": "msg_broken", "type": "message", "content": [', "application/json")
        return
    if body.get("stream"):
        frames = stream_events(message)
        cut = len(frames) // 2 if config.failure == "stream_cut" else None
        # Frames: message_start, block start, ping, 1st text delta (the first token, index 3), ...; a hold is after it.
        respond.sse(frames, cut_after=cut, hold_after=4, first_token=3)
        return
    if config.failure == "stream_cut":
        respond.truncated(200, json.dumps(message).encode(), "application/json")
        return
    respond.json(200, message, {"request-id": _new_id("req_fake")})


class FakeAnthropic(FakeServer):
    """A fake Anthropic Messages API on 127.0.0.1: `with FakeAnthropic() as fake: fake.base_url`.

    Requires an `x-api-key` or `Authorization: Bearer` header (any value), like the real API. `usage` maps the
    request JSON to a `FakeUsage`; `failure` is one of `FAILURES`; `latency_s` delays every answer and
    `chunk_delay_s` every stream frame; a stream waits on `stream_hold` (if given) after its first text delta.
    `plan` maps the request JSON to a `FakePlan` that overrides these for that request (latency, failure, usage).
    """

    provider = "anthropic"
    _routes = {"/v1/messages": _messages}

    @staticmethod
    def _has_api_key(headers: Any) -> bool:
        bearer = (headers.get("Authorization") or "").removeprefix("Bearer ").strip()
        return bool((headers.get("x-api-key") or "").strip() or bearer)

    @property
    def base_url(self) -> str:
        """The URL to give the SDK as `base_url` (it appends `/v1/messages`)."""
        return f"http://127.0.0.1:{self.port}"

"""A fake xAI chat completions API (OpenAI-compatible): `POST /v1/chat/completions`, JSON and SSE streaming."""

from __future__ import annotations

import json
import uuid
from typing import Any

from ._server import FakeRequest, FakeServer, _Config, _Respond
from .types import FakeUsage, reply_text


def _new_id(prefix: str) -> str:
    """Unique across processes, like a real API's ids: the collector treats one response id as one call."""
    return f"{prefix}{uuid.uuid4().hex[:24]}"


_CREATED = 1_767_225_600  # fixed: 2026-01-01T00:00:00Z, so responses are reproducible


def _wire_usage(usage: FakeUsage) -> dict[str, Any]:
    # xAI: prompt_tokens includes cached tokens; completion_tokens excludes reasoning tokens, which are
    # reported (and billed as output) in completion_tokens_details.reasoning_tokens.
    completion = usage.output_tokens - usage.reasoning_tokens
    return {
        "prompt_tokens": usage.input_tokens,
        "completion_tokens": completion,
        "total_tokens": usage.input_tokens + completion + usage.reasoning_tokens,
        "prompt_tokens_details": {
            "text_tokens": usage.input_tokens,
            "audio_tokens": 0,
            "image_tokens": 0,
            "cached_tokens": usage.cache_read_tokens,
        },
        "completion_tokens_details": {
            "reasoning_tokens": usage.reasoning_tokens,
            "audio_tokens": 0,
            "accepted_prediction_tokens": 0,
            "rejected_prediction_tokens": 0,
        },
        "num_sources_used": 0,
    }


def _completion(body: dict[str, Any], usage: FakeUsage) -> dict[str, Any]:
    model = str(body.get("model"))
    message: dict[str, Any] = {"role": "assistant", "content": reply_text(model), "refusal": None}
    if usage.reasoning_tokens:
        message["reasoning_content"] = "Thinking it over (fake)."
    finish = "stop"
    tools = body.get("tools") or []
    if tools:
        name = (tools[0].get("function") or {}).get("name")
        call = {"id": _new_id("call_fake"), "type": "function", "function": {"name": name, "arguments": "{}"}}
        message["tool_calls"] = [call]
        finish = "tool_calls"
    return {
        "id": _new_id("fake-"),
        "object": "chat.completion",
        "created": _CREATED,
        "model": model,
        "choices": [{"index": 0, "message": message, "finish_reason": finish, "logprobs": None}],
        "usage": _wire_usage(usage),
        "system_fingerprint": "fp_fake",
    }


def _data(payload: dict[str, Any] | str) -> bytes:
    text = payload if isinstance(payload, str) else json.dumps(payload)
    return f"data: {text}\n\n".encode()


def stream_chunks(completion: dict[str, Any], include_usage: bool) -> list[bytes]:
    """The SSE frames of one streamed completion; usage comes in a last chunk with no choices."""
    base = {k: completion[k] for k in ("id", "created", "model", "system_fingerprint")}
    base["object"] = "chat.completion.chunk"
    choice = completion["choices"][0]
    message = choice["message"]
    frames = [_data({**base, "choices": [{"index": 0, "delta": {"role": "assistant", "content": ""}}]})]
    for n, word in enumerate(message["content"].split(" ")):
        piece = word if n == 0 else " " + word
        frames.append(_data({**base, "choices": [{"index": 0, "delta": {"content": piece}}]}))
    for i, call in enumerate(message.get("tool_calls") or []):
        frames.append(_data({**base, "choices": [{"index": 0, "delta": {"tool_calls": [{**call, "index": i}]}}]}))
    frames.append(_data({**base, "choices": [{"index": 0, "delta": {}, "finish_reason": choice["finish_reason"]}]}))
    if include_usage:
        frames.append(_data({**base, "choices": [], "usage": completion["usage"]}))
    frames.append(_data("[DONE]"))
    return frames


def _error(respond: _Respond, status: int, message: str, code: str) -> None:
    respond.json(status, {"error": {"message": message, "type": "invalid_request_error", "code": code}})


def _chat_completions(request: FakeRequest, config: _Config, respond: _Respond) -> None:
    body = request.body if isinstance(request.body, dict) else {}
    if not request.had_api_key:
        _error(respond, 401, "No API key provided (Authorization: Bearer ...)", "unauthorized")
        return
    if config.failure == "unauthorized":
        _error(respond, 401, "Incorrect API key provided", "invalid_api_key")
        return
    if config.failure == "http_500":
        _error(respond, 500, "The server had an error while processing your request", "internal_error")
        return
    if config.failure == "overloaded":
        _error(respond, 503, "The service is temporarily overloaded, please retry", "service_unavailable")
        return
    if not body.get("model") or not isinstance(body.get("messages"), list):
        _error(respond, 400, "model and messages are required", "invalid_request")
        return
    completion = _completion(body, config.usage(body))
    if config.failure == "malformed":
        if body.get("stream"):
            respond.sse([b"data: {not json\n\n"])
        else:
            respond.raw(200, b'{"id": "broken", "choices": [{"index": 0, "message":', "application/json")
        return
    if body.get("stream"):
        include_usage = bool((body.get("stream_options") or {}).get("include_usage"))
        frames = stream_chunks(completion, include_usage)
        cut = len(frames) // 2 if config.failure == "stream_cut" else None
        respond.sse(frames, cut_after=cut, hold_after=2, first_token=1)
        return
    if config.failure == "stream_cut":
        respond.truncated(200, json.dumps(completion).encode(), "application/json")
        return
    respond.json(200, completion)


class FakeXAI(FakeServer):
    """A fake xAI OpenAI-compatible chat completions API on 127.0.0.1: `with FakeXAI() as fake: fake.base_url`.

    Requires an `Authorization: Bearer` header (any value). Same options as `FakeAnthropic`.
    """

    provider = "x_ai"
    _routes = {"/v1/chat/completions": _chat_completions}

    @staticmethod
    def _has_api_key(headers: Any) -> bool:
        value = headers.get("Authorization") or ""
        return value.startswith("Bearer ") and bool(value.removeprefix("Bearer ").strip())

    @property
    def base_url(self) -> str:
        """The URL to give the SDK (`XAI_BASE_URL`): it ends in `/v1`, like `https://api.x.ai/v1`."""
        return f"http://127.0.0.1:{self.port}/v1"

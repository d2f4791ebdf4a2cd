"""Data types of the fake providers."""

from __future__ import annotations

from dataclasses import dataclass

FAILURES = frozenset({"http_500", "unauthorized", "malformed", "stream_cut", "overloaded", "disconnect"})
"""Failure modes: HTTP 500; 401 key rejected; 200 with a body that is not the API's JSON; a stream (or a JSON
body) cut off mid-way by a dropped connection; overloaded (Anthropic answers 529 `overloaded_error`, xAI 503);
the connection closed before any answer."""


@dataclass(frozen=True)
class FakeUsage:
    """The usage a fake reports, in the OpenTelemetry GenAI convention; each fake turns it into its wire format.

    `input_tokens` counts all input, cache reads and writes included; `output_tokens` counts all output,
    reasoning included. Anthropic's wire `input_tokens` excludes the cache; xAI's `completion_tokens`
    excludes reasoning tokens (reported in `completion_tokens_details.reasoning_tokens`).
    """

    input_tokens: int
    output_tokens: int
    cache_read_tokens: int = 0
    cache_write_tokens: int = 0
    reasoning_tokens: int = 0
    cache_write_1h_tokens: int = 0
    """The part of `cache_write_tokens` written for one hour (Anthropic reports it in `cache_creation`)."""
    service_tier: str | None = None
    """Anthropic's `usage.service_tier` (`standard`, `priority`, `batch`); None: `standard`, as the API answers."""
    web_search_requests: int = 0
    """Anthropic's `server_tool_use.web_search_requests` (sent when not 0)."""
    speed: str | None = None
    """Anthropic's `usage.speed` (`standard`, `fast`); None: left out."""

    def __post_init__(self) -> None:
        if not 0 <= self.cache_write_1h_tokens <= self.cache_write_tokens:
            raise ValueError("cache_write_tokens must include cache_write_1h_tokens (>= 0)")
        if min(self.input_tokens, self.output_tokens, self.cache_read_tokens) < 0:
            raise ValueError("token counts must be >= 0")
        if min(self.cache_write_tokens, self.reasoning_tokens) < 0:
            raise ValueError("token counts must be >= 0")
        if self.cache_read_tokens + self.cache_write_tokens > self.input_tokens:
            raise ValueError("input_tokens must include cache_read_tokens and cache_write_tokens")
        if self.reasoning_tokens > self.output_tokens:
            raise ValueError("output_tokens must include reasoning_tokens")


def reply_text(model: str) -> str:
    """The deterministic text every fake answers with."""
    return f"Hello from the fake {model}. This reply is canned."


@dataclass(frozen=True)
class FakePlan:
    """How a fake answers one request, chosen per request by a `plan` policy (the demo's traffic model)."""

    latency_s: float = 0.0
    """Wait before answering (before the first frame of a stream, or before failing)."""
    stream_s: float = 0.0
    """A stream's frames are spread over this many seconds after the first one."""
    failure: str | None = None
    """None, or one of `FAILURES` for this request only."""
    usage: FakeUsage | None = None
    """The usage to report; None: the fake's `usage` policy decides."""

    def __post_init__(self) -> None:
        if self.failure is not None and self.failure not in FAILURES:
            raise ValueError(f"unknown failure mode {self.failure!r}; expected one of {sorted(FAILURES)}")
        if self.latency_s < 0 or self.stream_s < 0:
            raise ValueError("latency_s and stream_s must be >= 0")

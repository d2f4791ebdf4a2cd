"""Data types of the fake providers."""

from __future__ import annotations

from dataclasses import dataclass

FAILURES = frozenset({"http_500", "unauthorized", "malformed", "stream_cut"})
"""Failure modes: HTTP 500; 401 key rejected; 200 with a body that is not the API's JSON; a stream (or a JSON
body) cut off mid-way by a dropped connection."""


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
    cache_creation_tokens: int = 0
    reasoning_tokens: int = 0

    def __post_init__(self) -> None:
        if min(self.input_tokens, self.output_tokens, self.cache_read_tokens) < 0:
            raise ValueError("token counts must be >= 0")
        if min(self.cache_creation_tokens, self.reasoning_tokens) < 0:
            raise ValueError("token counts must be >= 0")
        if self.cache_read_tokens + self.cache_creation_tokens > self.input_tokens:
            raise ValueError("input_tokens must include cache_read_tokens and cache_creation_tokens")
        if self.reasoning_tokens > self.output_tokens:
            raise ValueError("output_tokens must include reasoning_tokens")


def reply_text(model: str) -> str:
    """The deterministic text every fake answers with."""
    return f"Hello from the fake {model}. This reply is canned."

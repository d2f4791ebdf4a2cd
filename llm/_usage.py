"""Usage normalisation for LangChain's `usage_metadata` (light: imports nothing from LangChain)."""

from __future__ import annotations

from typing import Any

from .telemetry import CallRecord


def apply_langchain_usage(record: CallRecord, usage_metadata: Any) -> None:
    """Copy LangChain `usage_metadata` onto `record`; it already follows the GenAI convention.

    LangChain's `input_tokens` includes cache reads and writes (ChatAnthropic adds Anthropic's cache counts to
    its uncached `input_tokens`; ChatXAI passes xAI's `prompt_tokens`, which include cached tokens), and its
    `output_tokens` includes reasoning (ChatXAI adds xAI's reasoning tokens, which `completion_tokens` leaves out).
    """
    if not usage_metadata:
        return
    record.input_tokens = int(usage_metadata.get("input_tokens") or 0)
    record.output_tokens = int(usage_metadata.get("output_tokens") or 0)
    inputs = usage_metadata.get("input_token_details") or {}
    outputs = usage_metadata.get("output_token_details") or {}
    if inputs.get("cache_read") is not None:
        record.cache_read_tokens = int(inputs["cache_read"])
    # ChatAnthropic reports cache writes by TTL (ephemeral_5m/1h_input_tokens) and then leaves cache_creation at 0.
    by_ttl = sum(int(inputs.get(key) or 0) for key in ("ephemeral_5m_input_tokens", "ephemeral_1h_input_tokens"))
    if inputs.get("cache_creation") is not None or by_ttl:
        record.cache_write_tokens = max(int(inputs.get("cache_creation") or 0), by_ttl)
    if inputs.get("ephemeral_1h_input_tokens") is not None:
        record.cache_write_1h_tokens = int(inputs["ephemeral_1h_input_tokens"])
    if outputs.get("reasoning") is not None:
        record.reasoning_tokens = int(outputs["reasoning"])

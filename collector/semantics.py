"""Token semantics per instrumentation: which input counts leave the cache out, which output counts leave reasoning out.

The GenAI convention says `gen_ai.usage.input_tokens` includes cache reads and writes and the output count includes
reasoning, but some instrumentations pass a provider's raw counts under those names: Anthropic's `input_tokens`
excludes the cache, and xAI's OpenAI-style `completion_tokens` excludes reasoning (OpenAI's includes it). The table
below says, per instrumentation and provider, what the span's counts mean; `collector.mapping` normalises from it.
docs/ingest.md has the same table with the sources read. A span from no instrumentation in the table falls back to
the counts themselves (an input below the cache counts, an output below the reasoning count, can only be exclusive).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from tokenledger import contract as c


@dataclass(frozen=True)
class Semantics:
    """What a span's counts mean."""

    input_excludes_cache: bool
    output_excludes_reasoning: bool


INCLUSIVE = Semantics(False, False)
RAW_XAI = Semantics(False, True)
"""xAI's raw counts: `prompt_tokens` include cached tokens, `completion_tokens` leave reasoning out."""

INSTRUMENTATIONS: tuple[tuple[str, str], ...] = (
    ("tokenledger", "tokenledger."),  # our client: llm/telemetry.py INSTRUMENTATION_SCOPE
    ("anthropic-sdk", "com.anthropic.sdk"),
    ("langchain", "openinference.instrumentation.langchain"),  # before the generic prefixes below
    ("langchain", "opentelemetry.instrumentation.langchain"),
    ("openllmetry", "opentelemetry.instrumentation."),
    ("openinference", "openinference.instrumentation."),
    ("openlit", "openlit"),
    ("logfire", "logfire"),
)
"""(instrumentation, instrumentation-scope name prefix): the first match names the instrumentation."""

TABLE: dict[tuple[str, str], Semantics] = {
    # Ours: normalised in the client (llm/_anthropic.py apply_usage, llm/_usage.py for ChatXAI).
    ("tokenledger", "anthropic"): INCLUSIVE,
    ("tokenledger", "x_ai"): INCLUSIVE,
    # anthropic 2.14 lib/_tracing/_response.py set_usage_sums: input_tokens + cache read + cache creation.
    ("anthropic-sdk", "anthropic"): INCLUSIVE,
    # opentelemetry-instrumentation-anthropic 0.62.4 __init__.py: input_tokens = prompt + cache read + creation.
    ("openllmetry", "anthropic"): INCLUSIVE,
    # opentelemetry-instrumentation-openai: gen_ai.usage.output_tokens is the response's raw completion_tokens.
    ("openllmetry", "x_ai"): RAW_XAI,
    # openinference-instrumentation-anthropic 3.1.0 _utils.py _get_token_counts: prompt = input + cache counts.
    ("openinference", "anthropic"): INCLUSIVE,
    # openinference-instrumentation-openai: llm.token_count.completion is the raw completion_tokens.
    ("openinference", "x_ai"): RAW_XAI,
    # openlit sdk/python/src/openlit/instrumentation/anthropic/utils.py common_chat_logic: Anthropic's own
    # input_tokens ("exclusive of cache read / creation tokens"), cache counts on their own attributes.
    ("openlit", "anthropic"): Semantics(True, False),
    # openlit's OpenAI instrumentation (used for xAI's OpenAI-compatible API): raw completion_tokens.
    ("openlit", "x_ai"): RAW_XAI,
    # logfire 5.4 _internal/integrations/llm_providers/anthropic.py: input_tokens + cache read + cache write.
    ("logfire", "anthropic"): INCLUSIVE,
    # logfire 5.4 llm_providers/openai.py: output_tokens = usage.completion_tokens (raw).
    ("logfire", "x_ai"): RAW_XAI,
}
"""(instrumentation, provider) -> what the counts mean. A provider not listed for a known instrumentation is the
OpenAI shape, whose raw counts follow the convention (prompt_tokens include cached, completion_tokens reasoning)."""


def instrumentation(resource: Mapping[str, Any], scope_name: str | None) -> str | None:
    """The instrumentation that sent a span, from its scope name, else the resource's `telemetry.sdk.name`."""
    return _instrumentation(scope_name, resource.get(c.SDK_NAME) == "openlit")


@lru_cache(maxsize=1024)
def _instrumentation(scope_name: str | None, openlit_sdk: bool) -> str | None:
    # Every span of a scope asks the same question: the prefix scan runs once per scope name, not once per span.
    scope = (scope_name or "").lower()
    for name, prefix in INSTRUMENTATIONS:
        if scope.startswith(prefix):
            return name
    return "openlit" if openlit_sdk else None


def semantics(resource: Mapping[str, Any], scope_name: str | None, provider: str | None) -> Semantics | None:
    """What the span's token counts mean, or None when the table does not know its instrumentation."""
    name = instrumentation(resource, scope_name)
    if name is None or name == "langchain":  # LangChain instrumentations: not verified, the counts decide
        return None
    return TABLE.get((name, provider or ""), INCLUSIVE)

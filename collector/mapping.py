"""One OTLP span -> one call row, across the instrumentations teams run (see docs/ingest.md for the table).

`map_span` returns None for a span that is not an LLM call (accepted and ignored) and raises `InvalidSpan` for
an LLM span that cannot be stored (negative or non-integer token counts): that span is rejected, the rest land.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import Any

from opentelemetry.proto.trace.v1.trace_pb2 import Span, Status

from rates.money import money
from tokenledger import contract as c
from tokenledger.contract import (
    CACHE_READ_KEYS,
    CACHE_WRITE_1H_KEYS,
    CACHE_WRITE_KEYS,
    COST_KEYS,
    INPUT_KEYS,
    MODEL_KEYS,
    OUTPUT_KEYS,
    PROVIDER_KEYS,
    REASONING_KEYS,
    REQUEST_MODEL_KEYS,
    SERVICE_TIER_KEYS,
    STREAM_KEYS,
    TOKEN_KEYS,
)

from .otlp_values import attributes, read_attributes
from .row import CallRow
from .semantics import semantics

GENERATION_OPERATIONS = {"chat", "text_completion", "generate_content", "completion", "embeddings"}
"""`gen_ai.operation.name` values that are one provider call."""
NOT_A_CALL = {"invoke_agent", "create_agent", "execute_tool", "invoke_workflow"}
"""Operations whose token counts (if any) add up calls recorded on their own spans: never rows."""
OPENINFERENCE_CALL_KINDS = {"LLM", "EMBEDDING"}


MAX_TOKENS = 10**12
"""The largest token count one call may report (far above any context window); more rejects the span."""
MAX_REPORTED_COST_USD = Decimal(10**12)
"""A reported cost this large or larger is ignored: no call costs a trillion dollars, and sums must not overflow."""

_PROVIDER_ALIASES = {"xai": "x_ai", "x-ai": "x_ai", "grok": "x_ai", "claude": "anthropic"}
_HOSTS = (
    ("anthropic.com", "anthropic"),
    ("x.ai", "x_ai"),
    ("openai.com", "openai"),
    ("googleapis.com", "gcp.gemini"),
    ("mistral.ai", "mistral_ai"),
    ("groq.com", "groq"),
)
_MODEL_PREFIXES = (("claude", "anthropic"), ("grok", "x_ai"), ("gpt-", "openai"), ("gemini", "gcp.gemini"))
_STATUS = {Status.STATUS_CODE_UNSET: "unset", Status.STATUS_CODE_OK: "ok", Status.STATUS_CODE_ERROR: "error"}


__all__ = ["InvalidSpan", "attributes", "dimensions", "is_llm_call", "map_span", "provider_of", "reported_cost"]


class InvalidSpan(ValueError):
    """An LLM span that cannot become a row; the message names the attribute and the problem."""


def is_llm_call(attrs: Mapping[str, Any]) -> bool:
    """A span is a provider call when it names a generation operation or carries a token count."""
    operation = attrs.get(c.OPERATION)
    if operation in NOT_A_CALL:
        return False
    kind = attrs.get(c.OPENINFERENCE_KIND)
    if isinstance(kind, str) and kind.upper() not in OPENINFERENCE_CALL_KINDS:
        return False
    if operation in GENERATION_OPERATIONS or (isinstance(kind, str) and kind.upper() == "LLM"):
        return True
    return not _TOKEN_KEYS.isdisjoint(attrs)


_TOKEN_KEYS = frozenset(TOKEN_KEYS)


def _first(attrs: Mapping[str, Any], keys: tuple[str, ...]) -> tuple[str | None, Any]:
    for key in keys:
        found = attrs.get(key)
        if found is not None and found != "":
            return key, found
    return None, None


def _count(attrs: Mapping[str, Any], keys: tuple[str, ...]) -> int | None:
    """The first present count among `keys`. Present with an empty or null value is not a count: it rejects."""
    for key in keys:
        if key in attrs:
            break
    else:
        return None
    found = attrs[key]
    if found is None or found == "":
        raise InvalidSpan(f"{key} must be an integer token count, got an empty value")
    if isinstance(found, bool) or not isinstance(found, int):
        raise InvalidSpan(f"{key} must be an integer token count, got {type(found).__name__}")
    if found < 0:
        raise InvalidSpan(f"{key} must be >= 0, got {found}")
    if found > MAX_TOKENS:
        raise InvalidSpan(f"{key} must be at most {MAX_TOKENS}, got {found}")
    return found


def _text(found: Any) -> str | None:
    if found.__class__ is str:  # the common case first: a plain str attribute
        return found.strip() or None
    return found.strip() if isinstance(found, str) and found.strip() else None


def _first_text(attrs: Mapping[str, Any], keys: tuple[str, ...]) -> str | None:
    for key in keys:
        text = _text(attrs.get(key))
        if text:
            return text
    return None


def provider_of(attrs: Mapping[str, Any], model: str | None) -> str | None:
    """The provider, from the attribute variants, else the server address, else the model's name.

    An OpenAI-compatible SDK pointed at another provider (xAI through the `openai` package) says `openai`; a known
    `server.address` of another provider wins over that generic name.
    """
    _, found = _first(attrs, PROVIDER_KEYS)
    name = _text(found)
    host = _text(attrs.get(c.SERVER))
    by_host = next((p for suffix, p in _HOSTS if host == suffix or host.endswith("." + suffix)), None) if host else None
    if name:
        name = _PROVIDER_ALIASES.get(name.lower(), name.lower())
        return by_host if name == "openai" and by_host else name
    if by_host:
        return by_host
    lowered = (model or "").lower()
    for prefix, provider in _MODEL_PREFIXES:
        if lowered.startswith(prefix):
            return provider
    return None


def reported_cost(attrs: Mapping[str, Any]) -> tuple[Decimal | None, str | None]:
    """The cost a client reported (rounded to the stored precision), and the attribute it came from.

    An unusable figure (not a number, negative, `MAX_REPORTED_COST_USD` or more) is ignored: never a wrong number.
    """
    for key in COST_KEYS:
        found = attrs.get(key)
        if found is None or isinstance(found, bool):
            continue
        try:
            if isinstance(found, float):
                if not math.isfinite(found):
                    continue
                cost = Decimal(repr(found))
            elif isinstance(found, int | str):
                cost = Decimal(str(found).strip())
            else:
                continue
        except InvalidOperation:
            continue
        if cost.is_finite() and 0 <= cost < MAX_REPORTED_COST_USD:
            return money(cost), key
    return None, None


def _ttft_ms(attrs: Mapping[str, Any]) -> float | None:
    for key, scale in c.TTFT_KEYS:
        found = attrs.get(key)
        if isinstance(found, int | float) and not isinstance(found, bool) and math.isfinite(found) and found >= 0:
            return float(found) * scale
    return None


def _response_id(attrs: Mapping[str, Any]) -> str | None:
    found = _first_text(attrs, c.RESPONSE_ID_KEYS)
    if found:
        return found
    # OpenInference puts the provider's response (JSON) in output.value: read its id only, store nothing else.
    output = attrs.get(c.OPENINFERENCE_OUTPUT)
    is_json = attrs.get(c.OPENINFERENCE_OUTPUT_TYPE) == "application/json"
    if is_json and isinstance(output, str) and output.startswith("{"):
        try:
            parsed = json.loads(output)
        except (ValueError, RecursionError):  # not JSON, or nested too deeply to read: no id
            return None
        if isinstance(parsed, dict):
            return _text(parsed.get("id"))
    return None


_TIER_NAMES = {"default": "standard"}
"""Other spellings of the standard tier (OpenAI answers `default`)."""


def _service_tier(attrs: Mapping[str, Any]) -> str | None:
    text = _first_text(attrs, SERVICE_TIER_KEYS)
    if text is None:
        return None
    tier = text.strip().lower()[:32]
    return _TIER_NAMES.get(tier, tier) or None


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _utc(unix_nano: int) -> datetime:
    return _EPOCH + timedelta(microseconds=unix_nano // 1000)


MAX_DIMENSION_CHARS = 256
"""An attribution value longer than this is cut (a team or customer name, not a document)."""


def _attributed(attrs: Mapping[str, Any], resource: Mapping[str, Any], keys: tuple[str, ...]) -> str | None:
    """The first of `keys` present on the span, else on the resource, for each key in turn."""
    for key in keys:
        for source in (attrs, resource):
            found = _text(source.get(key))
            if found and found.strip():
                return found.strip()[:MAX_DIMENSION_CHARS]
    return None


def dimensions(
    attrs: Mapping[str, Any], resource: Mapping[str, Any], extra: tuple[tuple[str, str], ...] = ()
) -> dict[str, str | None]:
    """team, cost_center, customer, feature: `tokenledger.<name>` (span, then resource), then the attributes an
    operator mapped to the dimension (`extra`: (dimension, attribute) pairs in order of preference)."""
    return {name: _attributed(attrs, resource, keys) for name, keys in _dimension_keys(extra)}


@lru_cache(maxsize=64)
def _read_keys(extra: tuple[tuple[str, str], ...]) -> frozenset[str]:
    # Every span attribute the mapping may read: the contract's list and the operator's dimension attributes.
    return c.COLLECTOR_READS | {attr for _, attr in extra}


@lru_cache(maxsize=64)
def _dimension_keys(extra: tuple[tuple[str, str], ...]) -> tuple[tuple[str, tuple[str, ...]], ...]:
    # The keys read per dimension, worked out once per configuration rather than for every span.
    return tuple((name, (key, *(attr for dim, attr in extra if dim == name))) for name, key in c.DIMENSION_KEYS.items())


def map_span(
    resource: Mapping[str, Any],
    scope_name: str | None,
    scope_version: str | None,
    span: Span,
    dimension_attributes: tuple[tuple[str, str], ...] = (),
) -> CallRow | None:
    """The call row for an LLM span (unpriced: `collector.pricing` fills the cost), or None for other spans.

    `dimension_attributes`: the operator's extra attributes per dimension (TOKENLEDGER_DIMENSION_ATTRIBUTES)."""
    attrs = read_attributes(span.attributes, _read_keys(dimension_attributes))
    if not is_llm_call(attrs):
        return None
    # Each read of a protobuf field builds a Python object: every field is read once.
    trace_id, span_id, start_nano = span.trace_id, span.span_id, span.start_time_unix_nano
    if len(trace_id) != 16 or len(span_id) != 8:
        raise InvalidSpan("span has no valid trace_id (16 bytes) and span_id (8 bytes)")
    if start_nano <= 0:
        raise InvalidSpan("span has no start time")
    end_nano = max(span.end_time_unix_nano, start_nano)
    _, model = _first(attrs, MODEL_KEYS)
    model = _text(model)
    provider = provider_of(attrs, model)
    input_tokens = _count(attrs, INPUT_KEYS) or 0
    output_tokens = _count(attrs, OUTPUT_KEYS) or 0
    cache_read = _count(attrs, CACHE_READ_KEYS) or 0
    cache_write = _count(attrs, CACHE_WRITE_KEYS) or 0
    reasoning = _count(attrs, REASONING_KEYS) or 0
    meaning = semantics(resource, scope_name, provider)
    if meaning is not None:
        if meaning.output_excludes_reasoning:  # a raw xAI completion_tokens (docs/ingest.md, token semantics)
            output_tokens += reasoning
    elif reasoning > output_tokens:  # unknown instrumentation: only an exclusive count can be below reasoning
        output_tokens += reasoning
    cache_write_1h = _count(attrs, CACHE_WRITE_1H_KEYS) or 0
    # The 1-hour writes are part of all writes; a source that sent only the 1-hour part wrote at least that much.
    cache_write = max(cache_write, cache_write_1h)
    has_tokens = not _TOKEN_KEYS.isdisjoint(attrs)
    response_id = _response_id(attrs)
    error_type = _text(attrs.get(c.ERROR_TYPE))
    status = _STATUS.get(span.status.code, "unset")
    if error_type and status == "unset":
        status = "error"
    if not (has_tokens or response_id or status == "error"):
        return None  # a wrapper span with nothing to bill (Logfire's stream request span, say)
    # An input count below the cache counts can only be an exclusive count, whoever sent it.
    excludes_cache = meaning.input_excludes_cache if meaning is not None else False
    if excludes_cache or input_tokens < cache_read + cache_write:
        input_tokens += cache_read + cache_write
    cost, cost_source = reported_cost(attrs)
    layer = _text(attrs.get(c.LAYER))
    service = _text(resource.get(c.SERVICE))
    environment = _first_text(resource, c.ENVIRONMENT_KEYS) or _first_text(attrs, c.ENVIRONMENT_KEYS)
    _, streaming = _first(attrs, STREAM_KEYS)
    return CallRow(
        trace_id=trace_id.hex(),
        span_id=span_id.hex(),
        response_id=response_id,
        start_time=_utc(start_nano),
        end_time=_utc(end_nano),
        duration_ms=(end_nano - start_nano) / 1_000_000,
        service=service,
        environment=environment,
        layer=layer or service,
        provider=provider,
        request_model=_text(_first(attrs, REQUEST_MODEL_KEYS)[1]),
        model=model,
        input_tokens=input_tokens,
        output_tokens=output_tokens,
        cache_read_tokens=cache_read,
        cache_write_tokens=cache_write,
        reasoning_tokens=reasoning,
        cache_write_1h_tokens=cache_write_1h,
        service_tier=_service_tier(attrs),
        web_search_requests=_count(attrs, (c.WEB_SEARCH_REQUESTS,)) or 0,
        reported_cost_usd=cost,
        reported_cost_source=cost_source,
        status=status,
        error_type=error_type,
        streaming=streaming is True,
        ttft_ms=_ttft_ms(attrs),
        requested_model=_text(attrs.get(c.REQUESTED_MODEL)),
        operation=_text(attrs.get(c.OPERATION)),
        span_name=span.name or None,
        scope_name=scope_name or None,
        scope_version=scope_version or None,
        # Richer attribution wins the dedupe: our own layer first, then a reported cost.
        attribution_score=(2 if layer else 0) + (1 if cost is not None else 0),
        **dimensions(attrs, resource, dimension_attributes),
        conversation_id=_attributed(attrs, resource, (c.CONVERSATION,)),
    )

"""The Anthropic side: SDK clients (cached), usage normalisation and error translation."""

from __future__ import annotations

import asyncio
import hashlib
import weakref
from typing import Any

import anthropic
import httpx2

from ._settings import Settings
from ._translate import translate_sdk_error
from .errors import LLMError, LLMUnavailableError
from .telemetry import CallRecord

PROVIDER = "anthropic"

# One client per (key, base URL, options) and event loop: an SDK client's connection pool belongs to the loop
# that opened it, and a service should not open a new pool per call.
_clients: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[tuple, anthropic.AsyncAnthropic]] = (
    weakref.WeakKeyDictionary()
)


def client_for(
    settings: Settings, model: str, http_client: httpx2.AsyncClient | None = None
) -> anthropic.AsyncAnthropic:
    """An AsyncAnthropic for `settings`, with the SDK's own tracing off (our span is the one span of spend)."""
    if not settings.anthropic_api_key:
        raise LLMUnavailableError(
            "ANTHROPIC_API_KEY is not set", provider=PROVIDER, model=model, error_type="api_key_missing"
        )
    options: dict[str, Any] = {
        "api_key": settings.anthropic_api_key,
        "base_url": settings.anthropic_base_url,
        "max_retries": settings.max_retries,
        "timeout": settings.timeout_s,
        "open_telemetry": False,
    }
    if http_client is not None:
        return anthropic.AsyncAnthropic(**options, http_client=http_client)
    key_digest = hashlib.sha256(settings.anthropic_api_key.encode()).hexdigest()
    cache_key = (key_digest, settings.anthropic_base_url, settings.max_retries, settings.timeout_s)
    per_loop = _clients.setdefault(asyncio.get_running_loop(), {})
    client = per_loop.get(cache_key)
    if client is None:
        client = per_loop[cache_key] = anthropic.AsyncAnthropic(**options)
    return client


async def aclose_clients() -> None:
    """Close the cached clients of the running event loop (at shutdown, or between tests)."""
    clients = _clients.pop(asyncio.get_running_loop(), {})
    for client in clients.values():
        await client.close()


def _count(source: Any, name: str) -> int | None:
    value = source.get(name) if isinstance(source, dict) else getattr(source, name, None)
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def apply_usage(record: CallRecord, usage: Any) -> None:
    """Normalise Anthropic usage onto `record`: its `input_tokens` excludes the cache, ours includes it.

    `usage` is a `Usage`, a `MessageDeltaUsage` (cumulative counts) or a dict; counts it lacks stay as they were.
    """
    uncached = _count(usage, "input_tokens")
    cache_read = _count(usage, "cache_read_input_tokens")
    cache_creation = _count(usage, "cache_creation_input_tokens")
    if cache_read is not None:
        record.cache_read_tokens = cache_read
    if cache_creation is not None:
        record.cache_creation_tokens = cache_creation
    if uncached is not None:
        record.input_tokens = uncached + (record.cache_read_tokens or 0) + (record.cache_creation_tokens or 0)
    output = _count(usage, "output_tokens")
    if output is not None:
        record.output_tokens = output
    details = (
        usage.get("output_tokens_details") if isinstance(usage, dict) else getattr(usage, "output_tokens_details", None)
    )
    if details is not None and _count(details, "thinking_tokens") is not None:
        record.reasoning_tokens = _count(details, "thinking_tokens")


def translate(exc: BaseException, model: str) -> LLMError | None:
    """The `llm.errors` error for an Anthropic failure, or None when `exc` is not a provider failure."""
    return translate_sdk_error(exc, anthropic, PROVIDER, "Anthropic", model)


async def complete(
    settings: Settings,
    record: CallRecord,
    system: str,
    user_prompt: str,
    max_tokens: int,
    http_client: httpx2.AsyncClient | None,
) -> str:
    """One Messages API call; fills `record` from the response and returns the text."""
    client = client_for(settings, record.request_model, http_client)
    try:
        message = await client.messages.create(
            model=record.request_model,
            max_tokens=max_tokens,
            system=system,
            messages=[{"role": "user", "content": user_prompt}],
        )
    except Exception as exc:
        err = translate(exc, record.request_model)
        if err is None:
            raise
        raise err from exc
    record.response_model = message.model
    record.response_id = message.id
    apply_usage(record, message.usage)
    return "".join(block.text for block in message.content if block.type == "text")

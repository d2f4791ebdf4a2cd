"""The Anthropic adapter: SDK clients (cached), completion, the native stream, ChatAnthropic for agents, usage
normalisation and error translation. The anthropic SDK (~2 s to import) is imported on the Anthropic path only."""

from __future__ import annotations

import asyncio
import functools
import hashlib
import weakref
from typing import TYPE_CHECKING, Any

from ._adapter import Adapter
from ._translate import translate_sdk_error
from .errors import LLMError

if TYPE_CHECKING:
    import anthropic
    import httpx2
    from langchain_anthropic import ChatAnthropic

    from ._settings import Settings
    from .telemetry import CallRecord

# One client per (key, base URL, options) and event loop: an SDK client's connection pool belongs to the loop
# that opened it, and a service should not open a new pool per call.
_clients: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[tuple, anthropic.AsyncAnthropic]] = (
    weakref.WeakKeyDictionary()
)

_last_key: tuple[Settings, tuple] | None = None


def _cache_key(settings: Settings) -> tuple:
    """A client's key in `_clients`: (API key digest, base URL, retries, timeout). Kept for the last settings:
    `load_settings` returns the same object until a variable changes, and hashing the key every call costs."""
    global _last_key
    last = _last_key
    if last is not None and last[0] is settings:
        return last[1]
    key_digest = hashlib.sha256(str(settings.anthropic_api_key).encode()).hexdigest()
    key = (key_digest, settings.anthropic_base_url, settings.max_retries, settings.timeout_s)
    _last_key = (settings, key)
    return key


def _count(source: Any, name: str) -> int | None:
    value = source.get(name) if isinstance(source, dict) else getattr(source, name, None)
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _text(source: Any, name: str) -> str | None:
    value = source.get(name) if isinstance(source, dict) else getattr(source, name, None)
    return value if isinstance(value, str) and value else None


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
        record.cache_write_tokens = cache_creation
    # The TTL split: `cache_creation.ephemeral_1h_input_tokens` are the writes billed at the 1-hour rate.
    by_ttl = usage.get("cache_creation") if isinstance(usage, dict) else getattr(usage, "cache_creation", None)
    one_hour = _count(by_ttl, "ephemeral_1h_input_tokens") if by_ttl is not None else None
    if one_hour is not None:
        record.cache_write_1h_tokens = one_hour
    if uncached is not None:
        record.input_tokens = uncached + (record.cache_read_tokens or 0) + (record.cache_write_tokens or 0)
    # The tier as billed: `speed: fast` is its own price (2x on some Opus-class models), else `service_tier`.
    tier, speed = _text(usage, "service_tier"), _text(usage, "speed")
    if speed == "fast" or tier is not None:
        record.service_tier = "fast" if speed == "fast" else tier
    tools = usage.get("server_tool_use") if isinstance(usage, dict) else getattr(usage, "server_tool_use", None)
    searches = _count(tools, "web_search_requests") if tools is not None else None
    if searches is not None:
        record.web_search_requests = searches
    output = _count(usage, "output_tokens")
    if output is not None:
        record.output_tokens = output
    details = (
        usage.get("output_tokens_details") if isinstance(usage, dict) else getattr(usage, "output_tokens_details", None)
    )
    if details is not None and _count(details, "thinking_tokens") is not None:
        record.reasoning_tokens = _count(details, "thinking_tokens")


@functools.cache
def _chat_anthropic_class() -> type[ChatAnthropic]:
    from langchain_anthropic import ChatAnthropic

    class _ChatAnthropic(ChatAnthropic):
        """ChatAnthropic whose SDK client does not trace itself: our callback's span is the one span of spend."""

        @functools.cached_property
        def _client_params(self) -> dict[str, Any]:
            return {**super()._client_params, "open_telemetry": False}

    return _ChatAnthropic


class AnthropicAdapter(Adapter):
    """`claude-*` models, through `anthropic.AsyncAnthropic` (and `ChatAnthropic` for agents)."""

    name = "anthropic"
    label = "Anthropic"
    prefixes = ("claude-",)

    key_env = "ANTHROPIC_API_KEY"

    def credentials(self, settings: Settings) -> tuple[str | None, str | None]:
        # No base URL: the SDK's default (and its own ANTHROPIC_BASE_URL reading).
        return settings.anthropic_api_key, settings.anthropic_base_url

    def client(
        self, settings: Settings, model: str, http_client: httpx2.AsyncClient | None = None
    ) -> anthropic.AsyncAnthropic:
        """An AsyncAnthropic for `settings`, with the SDK's own tracing off (our span is the one span of spend)."""
        if http_client is None and settings.anthropic_api_key:  # the cached client, the path of every call
            per_loop = _clients.get(asyncio.get_running_loop())
            client = per_loop.get(_cache_key(settings)) if per_loop is not None else None
            if client is not None:
                return client
        options = self.sdk_options(settings, model) | {"open_telemetry": False}
        import anthropic  # deferred: see the module docstring

        if http_client is not None:
            return anthropic.AsyncAnthropic(**options, http_client=http_client)
        client = anthropic.AsyncAnthropic(**options)
        _clients.setdefault(asyncio.get_running_loop(), {})[_cache_key(settings)] = client
        return client

    async def complete(
        self,
        settings: Settings,
        record: CallRecord,
        system: str,
        user_prompt: str,
        max_tokens: int,
        http_client: httpx2.AsyncClient | None,
    ) -> str:
        """One Messages API call; fills `record` from the response and returns the text."""
        message = await self.client(settings, record.request_model, http_client).messages.create(
            model=record.request_model,
            max_tokens=max_tokens,
            system=system,
            messages=[{"role": "user", "content": user_prompt}],
        )
        record.response_model = message.model
        record.response_id = message.id
        apply_usage(record, message.usage)
        return "".join(block.text for block in message.content if block.type == "text")

    async def stream(self, settings: Settings, request: dict[str, Any], http_client: httpx2.AsyncClient | None):
        """The SDK's `AsyncStream` of raw events for a Messages API `request`."""
        return await self.client(settings, request["model"], http_client).messages.create(**request, stream=True)

    def chat_model(self, settings: Settings, model: str, **kwargs: Any) -> ChatAnthropic:
        """A ChatAnthropic whose SDK client does not trace itself."""
        return _chat_anthropic_class()(model=model, **self.sdk_options(settings, model), **kwargs)

    def translate(self, exc: BaseException, model: str) -> LLMError | None:
        if isinstance(exc, LLMError):  # ours already (a missing key): no need to load the SDK
            return exc
        import anthropic  # loaded already: only a call on this path fails with this adapter

        return translate_sdk_error(exc, anthropic, self.name, self.label, model)

    async def aclose_clients(self) -> None:
        """Close the cached clients of the running event loop (at shutdown, or between tests)."""
        for client in _clients.pop(asyncio.get_running_loop(), {}).values():
            await client.close()


ADAPTER = AnthropicAdapter()

"""The xAI side, through LangChain's ChatXAI. Imported only on the xAI path: a Claude-only service never loads
`langchain_xai` (or `openai`)."""

from __future__ import annotations

import asyncio
import hashlib
import weakref
from typing import Any

import httpx2
import openai
from langchain_core.messages import HumanMessage, SystemMessage
from langchain_xai import ChatXAI

from ._settings import Settings
from ._translate import translate_sdk_error
from ._usage import apply_langchain_usage
from .errors import LLMError, LLMUnavailableError
from .telemetry import CallRecord

PROVIDER = "x_ai"

_sync_roots: dict[tuple, openai.OpenAI] = {}
_async_roots: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[tuple, openai.AsyncOpenAI]] = (
    weakref.WeakKeyDictionary()
)


def _options(settings: Settings, model: str) -> dict[str, Any]:
    if not settings.xai_api_key:
        raise LLMUnavailableError(
            "XAI_API_KEY is not set", provider=PROVIDER, model=model, error_type="api_key_missing"
        )
    options: dict[str, Any] = {
        "api_key": settings.xai_api_key,
        "max_retries": settings.max_retries,
        "timeout": settings.timeout_s,
    }
    if settings.xai_base_url:
        options["base_url"] = settings.xai_base_url
    return options


def chat_model(
    settings: Settings,
    model: str,
    *,
    http_client: httpx2.AsyncClient | None = None,
    chat_class: type[ChatXAI] = ChatXAI,
    **kwargs: Any,
) -> ChatXAI:
    """A ChatXAI on cached OpenAI SDK clients (one pool per key, base URL and event loop)."""
    options = _options(settings, model)
    if http_client is not None:
        return chat_class(model=model, http_async_client=http_client, **options, **kwargs)
    digest = hashlib.sha256(settings.xai_api_key.encode()).hexdigest()  # type: ignore[union-attr]
    key = (digest, settings.xai_base_url, settings.max_retries, settings.timeout_s)
    sdk_options = {**options, "base_url": options.get("base_url") or "https://api.x.ai/v1"}
    sync_root = _sync_roots.get(key)
    if sync_root is None:
        sync_root = _sync_roots[key] = openai.OpenAI(**sdk_options)
    clients: dict[str, Any] = {"client": sync_root.chat.completions, "root_client": sync_root}
    try:
        per_loop = _async_roots.setdefault(asyncio.get_running_loop(), {})
    except RuntimeError:  # no running loop (an agent built at import time): let ChatXAI make its own
        per_loop = None
    if per_loop is not None:
        async_root = per_loop.get(key)
        if async_root is None:
            async_root = per_loop[key] = openai.AsyncOpenAI(**sdk_options)
        clients |= {"async_client": async_root.chat.completions, "root_async_client": async_root}
    return chat_class(model=model, **options, **clients, **kwargs)


async def aclose_clients() -> None:
    """Close the cached async clients of the running event loop, and the sync ones."""
    for client in _async_roots.pop(asyncio.get_running_loop(), {}).values():
        await client.close()
    while _sync_roots:
        _sync_roots.popitem()[1].close()


def translate(exc: BaseException, model: str) -> LLMError | None:
    """The `llm.errors` error for an xAI failure, or None when `exc` is not a provider failure."""
    return translate_sdk_error(exc, openai, PROVIDER, "xAI", model)


async def complete(
    settings: Settings,
    record: CallRecord,
    system: str,
    user_prompt: str,
    max_tokens: int,
    http_client: httpx2.AsyncClient | None,
) -> str:
    """One chat completion through ChatXAI; fills `record` and returns the text."""
    model = chat_model(settings, record.request_model, http_client=http_client, max_tokens=max_tokens)
    try:
        message = await model.ainvoke([SystemMessage(system), HumanMessage(user_prompt)])
    except Exception as exc:
        err = translate(exc, record.request_model)
        if err is None:
            raise
        raise err from exc
    metadata = message.response_metadata or {}
    record.response_model = metadata.get("model_name") or metadata.get("model")
    record.response_id = metadata.get("id") or message.id
    apply_langchain_usage(record, getattr(message, "usage_metadata", None))
    content = message.content
    if isinstance(content, str):
        return content
    return "".join(part.get("text", "") if isinstance(part, dict) else str(part) for part in content)

"""The xAI adapter, through LangChain's ChatXAI on cached OpenAI SDK clients. `langchain_xai` and `openai` are
imported on the xAI path only: a Claude-only service never loads them."""

from __future__ import annotations

import asyncio
import hashlib
import weakref
from typing import TYPE_CHECKING, Any

from ._adapter import Adapter
from ._translate import translate_sdk_error
from ._usage import apply_langchain_usage
from .errors import LLMError

if TYPE_CHECKING:
    import httpx2
    import openai
    from langchain_xai import ChatXAI

    from ._settings import Settings
    from .telemetry import CallRecord

_sync_roots: dict[tuple, openai.OpenAI] = {}
_async_roots: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[tuple, openai.AsyncOpenAI]] = (
    weakref.WeakKeyDictionary()
)


class XAIAdapter(Adapter):
    """`grok-*` models, and every model no other adapter claims: through `langchain_xai.ChatXAI`."""

    name = "x_ai"
    label = "xAI"
    prefixes = ("grok-",)

    key_env = "XAI_API_KEY"

    def credentials(self, settings: Settings) -> tuple[str | None, str | None]:
        return settings.xai_api_key, settings.xai_base_url

    def chat_model(
        self,
        settings: Settings,
        model: str,
        *,
        http_client: httpx2.AsyncClient | None = None,
        chat_class: type[ChatXAI] | None = None,
        **kwargs: Any,
    ) -> ChatXAI:
        """A ChatXAI on cached OpenAI SDK clients (one pool per key, base URL and event loop)."""
        options = self.sdk_options(settings, model)
        import openai  # deferred: see the module docstring
        from langchain_xai import ChatXAI

        chat_class = chat_class or ChatXAI
        if http_client is not None:
            return chat_class(model=model, http_async_client=http_client, **options, **kwargs)
        digest = hashlib.sha256(options["api_key"].encode()).hexdigest()
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

    async def complete(
        self,
        settings: Settings,
        record: CallRecord,
        system: str,
        user_prompt: str,
        max_tokens: int,
        http_client: httpx2.AsyncClient | None,
    ) -> str:
        """One chat completion through ChatXAI; fills `record` and returns the text."""
        from langchain_core.messages import HumanMessage, SystemMessage

        model = self.chat_model(settings, record.request_model, http_client=http_client, max_tokens=max_tokens)
        message = await model.ainvoke([SystemMessage(system), HumanMessage(user_prompt)])
        metadata = message.response_metadata or {}
        record.response_model = metadata.get("model_name") or metadata.get("model")
        record.response_id = metadata.get("id") or message.id
        apply_langchain_usage(record, getattr(message, "usage_metadata", None))
        content = message.content
        if isinstance(content, str):
            return content
        return "".join(part.get("text", "") if isinstance(part, dict) else str(part) for part in content)

    def translate(self, exc: BaseException, model: str) -> LLMError | None:
        if isinstance(exc, LLMError):  # ours already (a missing key): no need to load the SDK
            return exc
        import openai  # loaded already: only a call on this path fails with this adapter

        return translate_sdk_error(exc, openai, self.name, self.label, model)

    async def aclose_clients(self) -> None:
        """Close the cached async clients of the running event loop, and the sync ones."""
        for client in _async_roots.pop(asyncio.get_running_loop(), {}).values():
            await client.close()
        while _sync_roots:
            _sync_roots.popitem()[1].close()


ADAPTER = XAIAdapter()

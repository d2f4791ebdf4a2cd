"""`Adapter`: what the client needs from one provider. Adding a provider is writing one adapter and registering it
(`llm.providers.register_provider`); nothing else in `llm/` names a provider.

An adapter imports its SDK lazily, inside its methods: `import llm` must not pay for SDKs a service never calls.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

from .errors import LLMError, LLMUnavailableError

if TYPE_CHECKING:
    import httpx2
    from langchain_core.language_models import BaseChatModel

    from ._settings import Settings
    from .telemetry import CallRecord


class Adapter:
    """One provider. Subclasses set `name`, `label` and `prefixes` and implement `complete`; the rest is optional:
    by default the provider's models cannot stream or back an agent (`unsupported_model`), and failures that are
    not `LLMError`s propagate as themselves."""

    name: str = ""
    """The span's `gen_ai.provider.name` (`anthropic`, `x_ai`)."""
    label: str = ""
    """The provider's name in error messages (`Anthropic`)."""
    prefixes: tuple[str, ...] = ()
    """Lower-case model-name prefixes this adapter serves (`claude-`); the longest matching prefix wins."""

    key_env: str = ""
    """The environment variable of the provider's API key, named in the 503 when it is missing."""

    def credentials(self, settings: Settings) -> tuple[str | None, str | None]:
        """(API key, base URL) from the call's settings; a base URL of None leaves the SDK's own default."""
        return None, None

    def sdk_options(self, settings: Settings, model: str) -> dict[str, Any]:
        """The options every provider SDK takes (key, retries, timeout, base URL); 503 when the key is missing."""
        api_key, base_url = self.credentials(settings)
        if not api_key:
            raise LLMUnavailableError.key_missing(self.key_env, provider=self.name, model=model)
        options: dict[str, Any] = {"api_key": api_key, "max_retries": settings.max_retries}
        options["timeout"] = settings.timeout_s
        if base_url:
            options["base_url"] = base_url
        return options

    async def complete(
        self,
        settings: Settings,
        record: CallRecord,
        system: str,
        user_prompt: str,
        max_tokens: int,
        http_client: httpx2.AsyncClient | None,
    ) -> str:
        """One completion of `record.request_model`: fill `record` (response model and id, usage), return text."""
        raise NotImplementedError

    async def stream(
        self, settings: Settings, request: dict[str, Any], http_client: httpx2.AsyncClient | None
    ) -> AsyncIterator[Any]:
        """Send a streamed Messages API `request`; return its Anthropic-format events (an iterator with an async
        `close()`)."""
        raise self.unsupported(request["model"], "stream_chat streams Anthropic (claude-*) models only")

    def chat_model(self, settings: Settings, model: str, **kwargs: Any) -> BaseChatModel:
        """A LangChain chat model for `model`; `kwargs` go to the chat model (callbacks, max_tokens, ...)."""
        raise self.unsupported(model, f"no LangChain chat model for {self.label or self.name} models")

    def translate(self, exc: BaseException, model: str) -> LLMError | None:
        """The `llm.errors` error for a failure of this provider, or None when `exc` is not a provider failure."""
        return exc if isinstance(exc, LLMError) else None

    async def aclose_clients(self) -> None:
        """Close the SDK clients this adapter cached for the running event loop."""

    def unsupported(self, model: str, message: str) -> LLMUnavailableError:
        """The error for what this provider does not offer (`error.type` `unsupported_model`)."""
        return LLMUnavailableError(message, provider=self.name, model=model, error_type="unsupported_model")

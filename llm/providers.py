"""The provider table: which adapter serves a model. Adding a provider is one adapter and one `register_provider`.

    class FakeAdapter(llm.providers.Adapter):
        name, label, prefixes = "fake_llm", "Fake", ("fake-",)
        async def complete(self, settings, record, system, user_prompt, max_tokens, http_client): ...

    llm.providers.register_provider(FakeAdapter())

A model goes to the adapter with the longest prefix it starts with (case-insensitive), else to xAI (the rule
since the start: `claude-*` to Anthropic, every other model to xAI). The built-in adapters import their SDKs on
first use, so the table costs nothing at `import llm`.
"""

from __future__ import annotations

from . import _anthropic, _xai
from ._adapter import Adapter

__all__ = ["DEFAULT_PROVIDER", "PROVIDERS", "Adapter", "adapter_for", "provider_for", "register_provider"]

PROVIDERS: dict[str, Adapter] = {}
"""Registered adapters by provider name (`gen_ai.provider.name`)."""

DEFAULT_PROVIDER = "x_ai"
"""The provider of a model no adapter's prefix matches."""


def register_provider(adapter: Adapter) -> Adapter:
    """Add `adapter` to the table (replacing one of the same name) and return it."""
    if not adapter.name or not adapter.prefixes:
        raise ValueError("an adapter needs a name and at least one model prefix")
    PROVIDERS[adapter.name] = adapter
    return adapter


def adapter_for(model: str) -> Adapter:
    """The adapter that serves `model`: the longest matching prefix wins, else the default provider's."""
    name = model.lower()
    best, best_length = None, -1
    for adapter in PROVIDERS.values():
        for prefix in adapter.prefixes:
            if len(prefix) > best_length and name.startswith(prefix.lower()):  # `>`: the first of equals wins
                best, best_length = adapter, len(prefix)
    return best if best is not None else PROVIDERS[DEFAULT_PROVIDER]


def provider_for(model: str) -> str:
    """The provider name for `model` (`anthropic` for `claude-*`, `x_ai` for grok and anything unclaimed)."""
    return adapter_for(model).name


register_provider(_anthropic.ADAPTER)
register_provider(_xai.ADAPTER)

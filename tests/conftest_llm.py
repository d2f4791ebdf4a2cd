"""Compatibility shim: the llm fixtures are now the plugin `plugins.llm`, the helpers `helpers.llm`.

``from conftest_llm import *`` still works (and still makes ``close_llm_clients`` autouse in that module); new
test modules say ``pytestmark = [pytest.mark.anyio, pytest.mark.usefixtures("close_llm_clients")]`` and import
helpers from `helpers.llm`.
"""

from __future__ import annotations

import pytest
from helpers.llm import (
    ANTHROPIC_KEY,
    SDK_SCOPE,
    XAI_KEY,
    global_sdk_provider,
    llm_spans,
    only_llm_span,
    sdk_spans,
)
from plugins.llm import fake_anthropic, fake_xai, llm_env, spans


@pytest.fixture(autouse=True)
async def close_llm_clients(anyio_backend):
    """Close the client's cached SDK clients in the test's own event loop, so no socket outlives its loop."""
    from llm import aclose_clients

    yield
    await aclose_clients()


__all__ = [
    "ANTHROPIC_KEY",
    "SDK_SCOPE",
    "XAI_KEY",
    "close_llm_clients",
    "fake_anthropic",
    "fake_xai",
    "global_sdk_provider",
    "llm_env",
    "llm_spans",
    "only_llm_span",
    "sdk_spans",
    "spans",
]

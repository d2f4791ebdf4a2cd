"""The instrumented LLM client that services import.

    model = resolve_model("PROCESSING_BACKEND_MODEL_NAME", logger)
    text = await simple_complete(model, system, prompt, 1024, logger, layer="analysis")

Agents: `llm.agents.make_chat_model`; FastAPI error mapping: `llm.fastapi.install_error_handlers`; adding a
provider: `llm.providers.register_provider`. No provider SDK is imported until a call takes its path.
"""

from .attribution import attribute
from .client import aclose_clients, simple_complete
from .errors import LLMError, LLMTimeoutError, LLMUnavailableError, LLMUpstreamError, SettingsError
from .policy import DEFAULT_MODEL, ResolvedModel, resolve_model
from .providers import Adapter, register_provider
from .sse import sse_frames
from .streaming import stream_chat
from .telemetry import CallRecord, configure_telemetry, record_call

__all__ = [
    "DEFAULT_MODEL",
    "Adapter",
    "CallRecord",
    "LLMError",
    "LLMTimeoutError",
    "LLMUnavailableError",
    "LLMUpstreamError",
    "ResolvedModel",
    "SettingsError",
    "aclose_clients",
    "attribute",
    "configure_telemetry",
    "record_call",
    "register_provider",
    "resolve_model",
    "simple_complete",
    "sse_frames",
    "stream_chat",
]

"""The instrumented LLM client that services import.

    model = resolve_model("PROCESSING_BACKEND_MODEL_NAME", logger)
    text = await simple_complete(model, system, prompt, 1024, logger, layer="analysis")

Agents: `llm.agents.make_chat_model`; FastAPI error mapping: `llm.fastapi.install_error_handlers`.
"""

from .client import aclose_clients, simple_complete
from .errors import LLMError, LLMTimeoutError, LLMUnavailableError, LLMUpstreamError
from .policy import DEFAULT_MODEL, ResolvedModel, resolve_model
from .sse import sse_frames
from .streaming import stream_chat
from .telemetry import CallRecord, configure_telemetry, record_call

__all__ = [
    "DEFAULT_MODEL",
    "CallRecord",
    "LLMError",
    "LLMTimeoutError",
    "LLMUnavailableError",
    "LLMUpstreamError",
    "ResolvedModel",
    "aclose_clients",
    "configure_telemetry",
    "record_call",
    "resolve_model",
    "simple_complete",
    "sse_frames",
    "stream_chat",
]

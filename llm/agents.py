"""LangChain chat models for agent code, chosen by the same prefix rule, each LLM call recorded as a span."""

from __future__ import annotations

import logging
import time
from typing import Any
from uuid import UUID

from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.language_models import BaseChatModel
from langchain_core.outputs import LLMResult
from langchain_core.utils.utils import LC_ID_PREFIX

from . import policy, telemetry
from ._settings import load_settings
from ._usage import apply_langchain_usage
from .providers import PROVIDERS, adapter_for
from .telemetry import CallRecord


class SpanCallbackHandler(BaseCallbackHandler):
    """Records each chat model call of a LangChain run as one span of the contract, from `usage_metadata`."""

    run_inline = True  # called in the event loop's thread and context, not in an executor

    def __init__(self, provider: str, *, layer: str | None = "agents", requested_model: str | None = None) -> None:
        self.provider = provider
        self.layer = layer
        self.requested_model = requested_model
        self._open: dict[UUID, tuple[Any, CallRecord, int, int]] = {}

    def on_chat_model_start(
        self, serialized: dict[str, Any], messages: list[list[Any]], *, run_id: UUID, **kwargs: Any
    ) -> None:
        params = kwargs.get("invocation_params") or {}
        metadata = kwargs.get("metadata") or {}
        model = params.get("model") or params.get("model_name") or metadata.get("ls_model_name") or "unknown"
        max_tokens = params.get("max_tokens") or metadata.get("ls_max_tokens")
        record = CallRecord(
            provider=self.provider,
            request_model=str(model),
            layer=self.layer,
            max_tokens=max_tokens if isinstance(max_tokens, int) else None,
            requested_model=self.requested_model,
            streaming=bool(params.get("stream")),
        )
        start_ns = time.time_ns()
        span = telemetry.start_span(record, start_time_ns=start_ns)
        self._open[run_id] = (span, record, start_ns, time.monotonic_ns())

    def on_llm_new_token(self, token: str, *, run_id: UUID, **kwargs: Any) -> None:
        opened = self._open.get(run_id)
        if opened is not None and opened[1].ttft_ms is None:
            opened[1].streaming = True
            opened[1].ttft_ms = (time.monotonic_ns() - opened[3]) / 1e6

    def on_llm_end(self, response: LLMResult, *, run_id: UUID, **kwargs: Any) -> None:
        opened = self._open.pop(run_id, None)
        if opened is None:
            return
        span, record, start_ns, _ = opened
        try:
            _fill_from_result(record, response)
        except Exception:
            logging.getLogger(__name__).exception("reading the usage of an agent LLM call failed")
        telemetry.finish_span(span, record, start_time_ns=start_ns)

    def on_llm_error(self, error: BaseException, *, run_id: UUID, **kwargs: Any) -> None:
        opened = self._open.pop(run_id, None)
        if opened is None:
            return
        span, record, start_ns, _ = opened
        adapter = PROVIDERS.get(self.provider) or adapter_for(record.request_model)
        err = adapter.translate(error, record.request_model)
        record.error_type = err.error_type if err is not None else type(error).__name__
        telemetry.finish_span(span, record, start_time_ns=start_ns)


def _fill_from_result(record: CallRecord, response: LLMResult) -> None:
    generation = response.generations[0][0] if response.generations and response.generations[0] else None
    message = getattr(generation, "message", None)
    if message is None:
        return
    metadata = message.response_metadata or {}
    record.response_model = metadata.get("model_name") or metadata.get("model")
    response_id = metadata.get("id") or message.id
    # LangChain stamps its own run id ("lc_run-...") on messages, on streamed ones always: that is not the
    # provider's response id, and a wrong id would merge unrelated calls in the collector's dedupe.
    if isinstance(response_id, str) and not response_id.startswith(LC_ID_PREFIX):
        record.response_id = response_id
    apply_langchain_usage(record, getattr(message, "usage_metadata", None))


def make_chat_model(
    model: str,
    *,
    layer: str | None = "agents",
    logger: logging.Logger | None = None,
    **kwargs: Any,
) -> BaseChatModel:
    """A LangChain chat model for `model`, from the provider table: `ChatAnthropic` for `claude-*`, else `ChatXAI`
    (each imported only when chosen).

    RESTRICT_MODELS applies. Keys and base URLs come from the same variables as `simple_complete`; a missing key
    raises `LLMUnavailableError`. Each LLM call of a run is recorded as one span (layer `agents` by default) by
    a `SpanCallbackHandler`; the SDK's own tracing is off. `kwargs` go to the chat model (e.g. `max_tokens`).
    """
    settings = load_settings()
    chosen = policy.enforce(model, logger, settings=settings)
    adapter = adapter_for(chosen)
    handler = SpanCallbackHandler(adapter.name, layer=layer, requested_model=chosen.requested_model)
    callbacks = [*(kwargs.pop("callbacks", None) or []), handler]
    return adapter.chat_model(settings, str(chosen), callbacks=callbacks, **kwargs)

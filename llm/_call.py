"""What every recorded call does around its provider: settings read once, policy, the adapter, and one span whose
`error.type` says how the call ended. Used by `simple_complete` and `stream_chat`."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager

from opentelemetry.trace import Span

from . import policy, telemetry
from ._adapter import Adapter
from ._settings import Settings, load_settings
from ._translate import provider_errors
from .errors import LLMError, SettingsError
from .providers import adapter_for
from .telemetry import CallRecord


def prepare(
    model: str, log: logging.Logger, *, layer: str | None, max_tokens: int, streaming: bool = False
) -> tuple[Settings, Adapter, CallRecord]:
    """Read the settings (once for the call), apply RESTRICT_MODELS, pick the adapter, and start the record.

    A bad setting raises `SettingsError`, and the refused call is still recorded as a span with `error.type`
    `settings_error` (for the model as the caller named it: policy could not run)."""
    try:
        settings = load_settings()
    except SettingsError as err:
        log.error("LLM call refused: model=%s: %s", model, err)
        telemetry.record_call(
            CallRecord(
                provider=adapter_for(model).name,
                request_model=str(model),
                layer=layer,
                max_tokens=max_tokens,
                streaming=streaming,
                error_type="settings_error",
            )
        )
        raise
    chosen = policy.enforce(model, log, settings=settings)
    adapter = adapter_for(chosen)
    record = CallRecord(
        provider=adapter.name,
        request_model=str(chosen),
        layer=layer,
        max_tokens=max_tokens,
        requested_model=chosen.requested_model,
        streaming=streaming,
    )
    return settings, adapter, record


@contextmanager
def call_span(record: CallRecord, adapter: Adapter, log: logging.Logger) -> Iterator[Span]:
    """The call's span, open for the block and ended however the block ends; what the provider raises inside is
    translated to `llm.errors` (`provider_errors`). The span is not made current: streams yield inside the block,
    and a context set there would leak to the consumer; wrap the request in `trace.use_span` yourself."""
    start_ns = time.time_ns()
    span = telemetry.start_span(record, start_time_ns=start_ns)
    try:
        with provider_errors(adapter, record.request_model):
            yield span
    except LLMError as err:
        record.error_type = err.error_type
        log.warning("LLM call failed: provider=%s model=%s error=%s", err.provider, err.model, err.error_type)
        raise
    except (GeneratorExit, asyncio.CancelledError):  # the consumer stopped a stream, or the task was cancelled
        record.error_type = "cancelled"
        raise
    except BaseException as exc:  # a bug or a bad argument: the span still ends, naming it
        record.error_type = type(exc).__name__
        raise
    finally:
        telemetry.finish_span(span, record, start_time_ns=start_ns)

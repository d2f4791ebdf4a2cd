"""What every recorded call does around its provider: settings read once, policy, the adapter, and one span whose
`error.type` says how the call ended. Used by `simple_complete` and `stream_chat`."""

from __future__ import annotations

import asyncio
import logging
import time
from types import TracebackType

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


class call_span:  # noqa: N801 - used as a function: `with call_span(record, adapter, log) as span:`
    """The call's span, open for the block and ended however the block ends; what the provider raises inside is
    translated to `llm.errors` (`provider_errors`). The span is not made current: streams yield inside the block,
    and a context set there would leak to the consumer; wrap the request in `trace.use_span` yourself.

    A class, not a `@contextmanager` generator: it is around every call, and a generator costs a few microseconds
    more per call on the success path; the error path goes through `_raise_recorded`."""

    __slots__ = ("_adapter", "_log", "_record", "_span", "_start_ns")

    def __init__(self, record: CallRecord, adapter: Adapter, log: logging.Logger) -> None:
        self._record, self._adapter, self._log = record, adapter, log

    def __enter__(self) -> Span:
        self._start_ns = time.time_ns()
        self._span = telemetry.start_span(self._record, start_time_ns=self._start_ns)
        return self._span

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> bool:
        try:
            if exc is not None:
                self._raise_recorded(exc)
        finally:
            telemetry.finish_span(self._span, self._record, start_time_ns=self._start_ns)
        return False

    def _raise_recorded(self, exc: BaseException) -> None:
        """Raise what the caller gets for `exc` (its `llm.errors` translation), its `error.type` on the record."""
        record = self._record
        try:
            with provider_errors(self._adapter, record.request_model):
                raise exc
        except LLMError as err:
            record.error_type = err.error_type
            self._log.warning("LLM call failed: provider=%s model=%s error=%s", err.provider, err.model, err.error_type)
            raise
        except (GeneratorExit, asyncio.CancelledError):  # the consumer stopped a stream, or the task was cancelled
            record.error_type = "cancelled"
            raise
        except BaseException as other:  # a bug or a bad argument: the span still ends, naming it
            record.error_type = type(other).__name__
            raise

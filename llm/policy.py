"""Model policy: which model a call site uses, and the cost guard that blocks the Sonnet and Opus families."""

from __future__ import annotations

import logging
import re

from rates import DEFAULT_MODEL  # the cost-safe default, what a blocked model is replaced by, and the estimate's rates

from ._settings import Settings, env_value, load_settings

FRONTEND_MODEL_KEY = "CGX_FRONTEND_MODEL_NAME"
"""Env key of the chat (BFF) layer's model."""
BACKEND_MODEL_KEY = "PROCESSING_BACKEND_MODEL_NAME"
"""Env key of the analysis, drafts and agents layers' model."""
LEGACY_MODEL_KEY = "MODEL_NAME"

_BLOCKED_FAMILY = re.compile(r"(?<![a-z])(sonnet|opus)(?![a-z])")


class ResolvedModel(str):
    """A model name that remembers what policy did: `requested_model` is set when RESTRICT_MODELS substituted."""

    requested_model: str | None

    def __new__(cls, name: str, *, requested_model: str | None = None):
        obj = super().__new__(cls, name)
        obj.requested_model = requested_model
        return obj


def is_blocked_family(model: str) -> bool:
    """True for any Sonnet or Opus model (`claude-sonnet-4-5`, `claude-3-opus-20240229`, ...)."""
    return _BLOCKED_FAMILY.search(model.lower()) is not None


def enforce(
    model: str, logger: logging.Logger | None, *, env_key: str | None = None, settings: Settings | None = None
) -> ResolvedModel:
    """`model`, or DEFAULT_MODEL when RESTRICT_MODELS blocks it (logged as a warning, remembered as requested).

    A `ResolvedModel` that policy already substituted passes through unchanged. `settings`: the call's settings,
    when it has read them already (default: read now).
    """
    if isinstance(model, ResolvedModel) and model.requested_model is not None:
        return model
    restrict = (settings or load_settings()).restrict_models
    if restrict and is_blocked_family(model):
        (logger or logging.getLogger("llm.policy")).warning(
            "RESTRICT_MODELS blocks model %s (from %s); using %s instead",
            model,
            env_key or "the caller",
            DEFAULT_MODEL,
        )
        return ResolvedModel(DEFAULT_MODEL, requested_model=str(model))
    return model if isinstance(model, ResolvedModel) else ResolvedModel(model)


def resolve_model(env_key: str, logger: logging.Logger | None) -> str:
    """The model for a call site: the env var named `env_key`, else `MODEL_NAME`, else claude-haiku-4-5-20251001.

    With RESTRICT_MODELS on (the default), a Sonnet or Opus model is replaced by the default with a warning
    naming the model and the env key; the returned `ResolvedModel` carries the requested model, which the call's
    span records as `tokenledger.policy.requested_model`. Reads the environment at call time.
    """
    for key in (env_key, LEGACY_MODEL_KEY):
        value = env_value(key)
        if value is not None:
            return enforce(value, logger, env_key=key)
    return enforce(DEFAULT_MODEL, logger, env_key=None)

"""Model policy: env key, legacy fallback, default, and the RESTRICT_MODELS cost guard."""

from __future__ import annotations

import logging

import pytest
from helpers.llm import only_llm_span

from llm import DEFAULT_MODEL, ResolvedModel, SettingsError, resolve_model, simple_complete
from llm._settings import load_settings
from llm.policy import BACKEND_MODEL_KEY, FRONTEND_MODEL_KEY, is_blocked_family
from tokenledger.contract import REQUEST_MODEL, REQUESTED_MODEL

pytestmark = [pytest.mark.anyio, pytest.mark.usefixtures("close_llm_clients")]
log = logging.getLogger("test.policy")


@pytest.fixture
def clean_env(monkeypatch):
    for name in ("MODEL_NAME", FRONTEND_MODEL_KEY, BACKEND_MODEL_KEY, "RESTRICT_MODELS"):
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def test_env_key_wins_over_legacy_and_default(clean_env):
    clean_env.setenv(BACKEND_MODEL_KEY, "grok-4-fast-reasoning")
    clean_env.setenv("MODEL_NAME", "claude-haiku-4-5")
    assert resolve_model(BACKEND_MODEL_KEY, log) == "grok-4-fast-reasoning"


def test_legacy_model_name_is_the_fallback(clean_env):
    clean_env.setenv("MODEL_NAME", "grok-4")
    assert resolve_model(FRONTEND_MODEL_KEY, log) == "grok-4"


def test_default_is_the_cost_safe_haiku(clean_env):
    clean_env.setenv(FRONTEND_MODEL_KEY, "   ")  # blank counts as unset
    assert resolve_model(FRONTEND_MODEL_KEY, log) == DEFAULT_MODEL == "claude-haiku-4-5-20251001"


def test_env_is_read_at_call_time(clean_env):
    clean_env.setenv(FRONTEND_MODEL_KEY, "claude-haiku-4-5")
    assert resolve_model(FRONTEND_MODEL_KEY, log) == "claude-haiku-4-5"
    clean_env.setenv(FRONTEND_MODEL_KEY, "grok-4")
    assert resolve_model(FRONTEND_MODEL_KEY, log) == "grok-4"


@pytest.mark.parametrize(
    "model",
    [
        "claude-sonnet-4-5",
        "claude-opus-4-1-20250805",
        "claude-3-5-sonnet-20241022",
        "claude-3-opus-20240229",
        "CLAUDE-OPUS-4",
    ],
)
def test_restrict_models_blocks_sonnet_and_opus_with_a_warning(clean_env, caplog, model):
    clean_env.setenv(FRONTEND_MODEL_KEY, model)
    with caplog.at_level(logging.WARNING, logger="test.policy"):
        resolved = resolve_model(FRONTEND_MODEL_KEY, log)
    assert resolved == DEFAULT_MODEL
    assert isinstance(resolved, ResolvedModel) and resolved.requested_model == model
    [record] = [r for r in caplog.records if r.name == "test.policy"]
    assert record.levelno == logging.WARNING
    assert model in record.getMessage() and FRONTEND_MODEL_KEY in record.getMessage()


@pytest.mark.parametrize(
    "model", ["claude-haiku-4-5", "grok-4-fast-reasoning", "claude-3-haiku-20240307", "opusculum-1", "grok-sonnetish"]
)
def test_other_models_are_not_blocked(model):
    assert not is_blocked_family(model)


@pytest.mark.parametrize("raw", ["false", "FALSE", "0", "no", "No"])
def test_restrict_models_off_lets_sonnet_through(clean_env, caplog, raw):
    clean_env.setenv("RESTRICT_MODELS", raw)
    clean_env.setenv(BACKEND_MODEL_KEY, "claude-sonnet-4-5")
    with caplog.at_level(logging.WARNING):
        resolved = resolve_model(BACKEND_MODEL_KEY, log)
    assert resolved == "claude-sonnet-4-5" and resolved.requested_model is None
    assert not caplog.records


@pytest.mark.parametrize("raw", ["true", "TRUE", "1", "yes", "Yes", ""])
def test_restrict_models_on_values(clean_env, raw):
    clean_env.setenv("RESTRICT_MODELS", raw)
    assert load_settings().restrict_models is True


@pytest.mark.parametrize("raw", ["maybe", "on", "2", "ture"])
def test_restrict_models_rejects_anything_else_naming_the_variable(clean_env, raw):
    clean_env.setenv("RESTRICT_MODELS", raw)
    clean_env.setenv(BACKEND_MODEL_KEY, "claude-haiku-4-5")
    with pytest.raises(SettingsError, match="RESTRICT_MODELS"):
        resolve_model(BACKEND_MODEL_KEY, log)


async def test_substitution_is_recorded_on_the_span(llm_env, spans, fake_anthropic):
    llm_env.setenv(BACKEND_MODEL_KEY, "claude-opus-4-1")
    model = resolve_model(BACKEND_MODEL_KEY, log)
    await simple_complete(model, "system", "hello", 32, log, layer="analysis")
    span = only_llm_span(spans)
    assert span.attributes[REQUEST_MODEL] == DEFAULT_MODEL
    assert span.attributes[REQUESTED_MODEL] == "claude-opus-4-1"
    assert fake_anthropic.requests[0].body["model"] == DEFAULT_MODEL


async def test_a_blocked_model_passed_straight_to_the_client_is_substituted_too(llm_env, spans, fake_anthropic):
    await simple_complete("claude-sonnet-4-5", "system", "hello", 32, log)
    assert fake_anthropic.requests[0].body["model"] == DEFAULT_MODEL
    assert only_llm_span(spans).attributes[REQUESTED_MODEL] == "claude-sonnet-4-5"


async def test_no_requested_model_attribute_without_substitution(llm_env, spans):
    await simple_complete("claude-haiku-4-5", "system", "hello", 32, log)
    assert REQUESTED_MODEL not in only_llm_span(spans).attributes


async def test_moving_backend_work_to_grok_is_one_env_change(llm_env, spans, fake_anthropic, fake_xai):
    llm_env.setenv(BACKEND_MODEL_KEY, "grok-4-fast-reasoning")
    text = await simple_complete(resolve_model(BACKEND_MODEL_KEY, log), "system", "hello", 32, log, layer="drafts")
    assert "grok-4-fast-reasoning" in text
    assert len(fake_xai.requests) == 1 and not fake_anthropic.requests

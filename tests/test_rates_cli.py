"""`tokenledger rates ...` through the real command; listing a collector's cards against a real collector."""

from __future__ import annotations

import subprocess
import sys
from collections import Counter

import httpx
import pytest

from rates import load_cards
from tokenledger.cli import main as cli_main

ADMIN = "sk-test-not-a-real-key-admin"
READ = "sk-test-not-a-real-key-read"
ADDED = {  # a model the shipped file does not know, added as the Review page does
    "model": "acme-llm-9000",
    "provider": "acme",
    "input_usd_per_mtok": "1.5",
    "output_usd_per_mtok": "6",
    "effective_from": "2026-01-01",
    "note": "reviewed",
}
PRICE_CHANGE = {  # a dated price change of a shipped model
    "model": "claude-haiku-4-5",
    "input_usd_per_mtok": "0.8",
    "output_usd_per_mtok": "4",
    "effective_from": "2026-06-01",
    "note": "new price",
}
SHIPPED = load_cards()
SHIPPED_MODELS = len({c.model for c in SHIPPED})


@pytest.fixture
def collector(start_collector, tmp_path, monkeypatch):
    handle = start_collector(tmp_path, mode="thread", TOKENLEDGER_ADMIN_TOKEN=ADMIN, TOKENLEDGER_READ_TOKEN=READ)
    for card in (ADDED, PRICE_CHANGE):
        answer = httpx.post(f"{handle.url}/api/v1/rates", json=card, headers={"Authorization": f"Bearer {ADMIN}"})
        assert answer.status_code == 201, answer.text
    for name in ("TOKENLEDGER_READ_TOKEN", "TOKENLEDGER_ADMIN_TOKEN", "TOKENLEDGER_INGEST_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    return handle


def _lines_for(out: str, model: str) -> list[str]:
    return [line for line in out.splitlines() if line.split("  ")[0].strip() == model]


def test_list_from_the_collector_shows_cards_added_through_the_api(collector, monkeypatch, capsys):
    monkeypatch.setenv("TOKENLEDGER_READ_TOKEN", READ)
    # Before the shipped 2026-10-14 cards (genai-prices' batch prices), so the added haiku card is in force.
    assert cli_main(["rates", "list", "--collector", collector.url, "--at", "2026-09-01"]) == 0
    out = capsys.readouterr().out
    (acme,) = _lines_for(out, "acme-llm-9000")
    assert "1.5" in acme and " api " in acme and "POST /api/v1/rates" in acme
    (haiku,) = _lines_for(out, "claude-haiku-4-5")
    assert "2026-06-01" in haiku and " 0.8 " in haiku  # the added price change is the card in force
    models, cards = SHIPPED_MODELS + 1, len(SHIPPED) + 2
    changed = len({m for m, n in Counter(c.model for c in SHIPPED).items() if n > 1} | {"claude-haiku-4-5"})
    assert f"{models} models with a card in force at 2026-09-01" in out
    assert f"{cards} cards for {models} models ({changed} with dated price changes: " in out
    assert "2 card(s) added through the Review page or the API" in out
    assert READ not in out


def test_list_from_the_file_says_what_each_count_counts(capsys):
    assert cli_main(["rates", "list", "--at", "2026-11-01"]) == 0
    out = capsys.readouterr().out
    changed = sorted(m for m, n in Counter(c.model for c in SHIPPED).items() if n > 1)
    assert changed  # the shipped file has dated price changes: cards outnumber models
    summary = f"{len(SHIPPED)} cards for {SHIPPED_MODELS} models ({len(changed)} with dated price changes: "
    assert f"{SHIPPED_MODELS} models with a card in force" in out and summary + ", ".join(changed) in out
    assert "acme-llm-9000" not in out
    assert cli_main(["rates", "check"]) == 0
    assert f"All {summary}" in capsys.readouterr().out


def test_check_against_the_collector_includes_the_added_cards(collector, monkeypatch, capsys):
    monkeypatch.setenv("TOKENLEDGER_ADMIN_TOKEN", ADMIN)  # the admin token reads too
    assert cli_main(["rates", "check", "--collector", collector.url]) == 0
    out = capsys.readouterr().out
    assert f"{len(SHIPPED) + 2} cards for {SHIPPED_MODELS + 1} models" in out
    assert "acme-llm-9000: (card): ours acme-llm-9000@2026-01-01, snapshot not in snapshot" in out
    assert "claude-haiku-4-5: input: ours 0.8, snapshot 1" in out


def test_a_refused_or_unreachable_collector_is_exit_1_with_a_message(collector, monkeypatch, capsys):
    assert cli_main(["rates", "list", "--collector", collector.url]) == 1  # no token in the environment
    captured = capsys.readouterr()
    assert "HTTP 401" in captured.err and "TOKENLEDGER_READ_TOKEN" in captured.err and not captured.out
    monkeypatch.setenv("TOKENLEDGER_READ_TOKEN", "sk-test-wrong-token")
    assert cli_main(["rates", "list", "--collector", collector.url]) == 1
    captured = capsys.readouterr()
    assert "HTTP 401" in captured.err and "sk-test-wrong-token" not in captured.err
    collector.stop()
    assert cli_main(["rates", "list", "--collector", collector.url]) == 1
    assert "cannot reach the collector" in capsys.readouterr().err


def test_snapshot_of_an_unknown_model_exits_1_with_a_message_on_stderr():
    command = [sys.executable, "-m", "tokenledger", "rates", "snapshot"]
    unknown = subprocess.run([*command, "no-such-model"], capture_output=True, text=True, timeout=60)
    assert unknown.returncode == 1
    assert unknown.stdout == "" and "no-such-model: not in the genai-prices" in unknown.stderr
    mixed = subprocess.run([*command, "claude-sonnet-4-6", "no-such-model"], capture_output=True, text=True, timeout=60)
    assert mixed.returncode == 1 and 'model = "claude-sonnet-4-6"' in mixed.stdout  # the known one is still printed
    known = subprocess.run([*command, "claude-sonnet-4-6"], capture_output=True, text=True, timeout=60)
    assert known.returncode == 0 and not known.stderr


def test_command_settings_read_tokens_once_and_never_show_them():
    from tokenledger.settings import load_settings

    settings = load_settings({"TOKENLEDGER_ADMIN_TOKEN": ADMIN, "TOKENLEDGER_INGEST_TOKEN": "  "})
    assert settings.read_headers == settings.ingest_headers == {"Authorization": f"Bearer {ADMIN}"}
    assert ADMIN not in repr(settings) and "ingest_token=unset" in repr(settings)
    assert load_settings({"TOKENLEDGER_READ_TOKEN": READ}).read_headers == {"Authorization": f"Bearer {READ}"}
    assert load_settings({}).read_headers == {}

"""The pricing engine: shipped cards, estimates for unknown models, cache, tiers, effective dates, bad files."""

from __future__ import annotations

import textwrap
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from genai_prices import Usage, calc_price

import rates
from rates import CardFileError, RateBook, compute_cost_usd, load_cards, price_call
from rates._cli import card_to_toml
from tokenledger.cli import main as cli_main

NOW = datetime(2026, 11, 1, tzinfo=UTC)


@pytest.mark.parametrize(
    ("model", "provider"),
    [
        ("claude-sonnet-4-6", "anthropic"),
        ("claude-haiku-4-5-20251001", "anthropic"),
        ("claude-opus-4-5", "anthropic"),
        ("claude-opus-4-1", "anthropic"),
        ("grok-4-fast-reasoning", "x-ai"),
        ("grok-4-fast-non-reasoning", "x-ai"),
        ("grok-4", "x-ai"),
        ("grok-code-fast-1", "x-ai"),
    ],
)
def test_known_models_match_genai_prices(model, provider):
    usage = {"input_tokens": 12_345, "output_tokens": 678, "cache_read_tokens": 2_000, "cache_write_tokens": 0}
    if provider == "anthropic":
        usage["cache_write_tokens"] = 1_000
    cost, unknown = compute_cost_usd(
        model,
        usage["input_tokens"],
        usage["output_tokens"],
        cache_read_tokens=usage["cache_read_tokens"],
        cache_write_tokens=usage["cache_write_tokens"],
        at=NOW,
    )
    expected = calc_price(Usage(**usage), model, provider_id=provider, genai_request_timestamp=NOW).total_price
    assert unknown is False
    assert isinstance(cost, Decimal)
    assert cost == expected


def test_haiku_figures_by_hand():
    # 1M uncached input at $1 + 1M output at $5.
    assert compute_cost_usd("claude-haiku-4-5", 1_000_000, 1_000_000, at=NOW) == (Decimal(6), False)


def test_unknown_model_is_estimated_at_default_rates_and_flagged():
    cost, unknown = compute_cost_usd("acme-llm-9000", 1_000_000, 1_000_000, at=NOW)
    default_cost, default_unknown = compute_cost_usd(rates.DEFAULT_MODEL, 1_000_000, 1_000_000, at=NOW)
    assert unknown is True and default_unknown is False
    assert cost == default_cost == Decimal(6)
    assert cost > 0  # an unknown price is never shown as $0


def test_unknown_model_without_default_card_uses_fallback_rates():
    book = RateBook([])
    price = price_call(book, "anything", rates.Usage(1_000_000, 0), at=NOW)
    assert price.pricing_unknown is True
    assert price.card is None
    assert price.cost_usd == rates.FALLBACK_RATES.input_usd_per_mtok


def _write(tmp_path, text: str):
    path = tmp_path / "cards.toml"
    path.write_text(textwrap.dedent(text))
    return path


FREE_AND_CHANGING = """
    [[cards]]
    model = "free-model"
    effective_from = 2026-01-01
    input_usd_per_mtok = 0
    output_usd_per_mtok = 0
    source = "test"

    [[cards]]
    model = "acme-large"
    aliases = ["acme-large-latest"]
    effective_from = 2026-01-01
    input_usd_per_mtok = 2.0
    output_usd_per_mtok = 8
    cache_read_usd_per_mtok = 0.2
    cache_write_usd_per_mtok = 2.5
    source = "test, 2026-01-01"
    [cards.long_context]
    above_input_tokens = 200000
    input_usd_per_mtok = 4
    output_usd_per_mtok = 12
    cache_read_usd_per_mtok = 0.4
    cache_write_usd_per_mtok = 5

    [[cards]]
    model = "acme-large"
    effective_from = 2026-06-01
    input_usd_per_mtok = 1
    output_usd_per_mtok = 4
    source = "test, price cut"
"""


@pytest.fixture
def book(tmp_path):
    return RateBook(load_cards(_write(tmp_path, FREE_AND_CHANGING)))


def test_zero_priced_model_costs_zero_and_is_known(book):
    price = price_call(book, "free-model", rates.Usage(5_000, 5_000), at=NOW)
    assert price.cost_usd == 0
    assert price.pricing_unknown is False


def test_cache_tokens_are_priced_at_their_own_rates(book):
    at = datetime(2026, 3, 1, tzinfo=UTC)
    # 1000 input of which 600 cache reads and 100 cache writes: 300 uncached.
    price = price_call(book, "acme-large", rates.Usage(1000, 50, cache_read_tokens=600, cache_write_tokens=100), at=at)
    expected = (300 * Decimal(2) + 600 * Decimal("0.2") + 100 * Decimal("2.5") + 50 * Decimal(8)) / 1_000_000
    assert price.cost_usd == expected
    with pytest.raises(ValueError, match="must include"):
        price_call(book, "acme-large", rates.Usage(100, 0, cache_read_tokens=80, cache_write_tokens=80), at=at)


def test_long_context_tier_applies_to_every_token_above_threshold(book):
    at = datetime(2026, 3, 1, tzinfo=UTC)
    at_threshold = price_call(book, "acme-large", rates.Usage(200_000, 1_000), at=at).cost_usd
    above = price_call(book, "acme-large", rates.Usage(200_001, 1_000), at=at).cost_usd
    assert at_threshold == (200_000 * Decimal(2) + 1_000 * Decimal(8)) / 1_000_000
    assert above == (200_001 * Decimal(4) + 1_000 * Decimal(12)) / 1_000_000


def test_shipped_long_context_tier_matches_genai_prices():
    at = datetime(2026, 1, 1, tzinfo=UTC)  # claude-sonnet-4-6 charged >200k input at 2x until 2026-03-13
    cost, unknown = compute_cost_usd("claude-sonnet-4-6", 300_000, 2_000, at=at)
    expected = calc_price(
        Usage(input_tokens=300_000, output_tokens=2_000),
        "claude-sonnet-4-6",
        provider_id="anthropic",
        genai_request_timestamp=at,
    ).total_price
    assert (cost, unknown) == (expected, False)
    assert cost == (300_000 * Decimal(6) + 2_000 * Decimal("22.5")) / 1_000_000


def test_price_change_on_effective_date(book):
    before = price_call(book, "acme-large", rates.Usage(100_000, 0), at=datetime(2026, 5, 31, 23, 59, tzinfo=UTC))
    after = price_call(book, "acme-large", rates.Usage(100_000, 0), at=datetime(2026, 6, 1, tzinfo=UTC))
    assert (before.cost_usd, after.cost_usd) == (Decimal("0.2"), Decimal("0.1"))
    assert before.card.card_id == "acme-large@2026-01-01"
    assert after.card.card_id == "acme-large@2026-06-01"
    # Before the first card, nothing covers the model: estimated and flagged.
    early = price_call(book, "acme-large", rates.Usage(1_000_000, 0), at=datetime(2025, 12, 31, tzinfo=UTC))
    assert early.pricing_unknown is True


def test_aliases_and_dated_names_share_a_card(book):
    a = price_call(book, "acme-large", rates.Usage(1000, 10), at=NOW)
    b = price_call(book, "ACME-LARGE-latest", rates.Usage(1000, 10), at=NOW)
    c = price_call(book, "acme-large-20261001", rates.Usage(1000, 10), at=NOW)
    assert a == b == c
    assert compute_cost_usd("claude-haiku-4-5", 1000, 10, at=NOW) == compute_cost_usd(
        "claude-haiku-4-5-20251001", 1000, 10, at=NOW
    )


def test_default_at_is_now():
    # claude-sonnet-4-6 charged >200k input at the long-context rate until 2026-03-13: "now" is after that.
    cost_now, _ = compute_cost_usd("claude-sonnet-4-6", 300_000, 0)
    assert cost_now == compute_cost_usd("claude-sonnet-4-6", 300_000, 0, at=datetime.now(UTC))[0]
    assert cost_now == Decimal("0.9")
    assert cost_now != compute_cost_usd("claude-sonnet-4-6", 300_000, 0, at=datetime(2026, 1, 1, tzinfo=UTC))[0]


def test_negative_token_counts_are_refused():
    with pytest.raises(ValueError, match="output_tokens"):
        compute_cost_usd("claude-haiku-4-5", 10, -1)


BASE = """
[[cards]]
model = "m1"
effective_from = 2026-01-01
input_usd_per_mtok = 1
output_usd_per_mtok = 2
source = "test"
"""


@pytest.mark.parametrize(
    ("text", "model", "reason"),
    [
        (BASE.replace("input_usd_per_mtok = 1", "input_usd_per_mtok = -1"), "m1", "negative price input_usd_per_mtok"),
        (BASE.replace('source = "test"\n', ""), "m1", "missing field 'source'"),
        (BASE.replace("output_usd_per_mtok = 2\n", ""), "m1", "missing field 'output_usd_per_mtok'"),
        (BASE + BASE, "m1", "two cards with the same effective_from 2026-01-01"),
        (
            BASE + BASE.replace('"m1"', '"m2"').replace("source", 'aliases = ["m1"]\nsource'),
            "m2",
            "alias 'm1' is also claimed by 'm1'",
        ),
        (
            BASE.replace('model = "m1"', 'model = "a"\naliases = ["x"]')
            + BASE.replace('model = "m1"', 'model = "b"\naliases = ["x"]'),
            "b",
            "alias 'x' is also claimed by 'a'",
        ),
        (BASE.replace("source", "colour = 'red'\nsource"), "m1", "unknown key(s) colour"),
        (BASE.replace("effective_from = 2026-01-01", "effective_from = 'soon'"), "m1", "not an ISO date"),
    ],
)
def test_bad_card_files_fail_loudly(tmp_path, text, model, reason):
    path = _write(tmp_path, text)
    with pytest.raises(CardFileError) as info:
        load_cards(path)
    assert info.value.model == model
    assert reason in str(info.value)
    assert str(path) in str(info.value)


def test_unreadable_and_malformed_files(tmp_path):
    with pytest.raises(CardFileError, match="cannot read"):
        load_cards(tmp_path / "missing.toml")
    with pytest.raises(CardFileError, match="not valid TOML"):
        load_cards(_write(tmp_path, "[[cards]\n"))


def test_shipped_cards_cover_the_required_models():
    book = rates.default_book()
    for model in (
        "claude-sonnet-4-6",
        "claude-haiku-4-5-20251001",
        "claude-opus-4-5",
        "grok-4-fast-reasoning",
        "grok-4-fast-non-reasoning",
        "grok-4",
    ):
        card = book.find(model, NOW)
        assert card is not None, model
        assert "genai-prices" in card.source


def test_cli_list_and_check(capsys):
    assert cli_main(["rates", "list", "--at", "2026-11-01"]) == 0
    listed = capsys.readouterr().out
    assert "claude-sonnet-4-6" in listed and "grok-4-fast-reasoning" in listed
    assert cli_main(["rates", "check"]) == 0
    assert "agree with the genai-prices" in capsys.readouterr().out


def test_cli_check_reports_differences(tmp_path, capsys):
    path = _write(
        tmp_path,
        BASE.replace('"m1"', '"claude-haiku-4-5"').replace("output_usd_per_mtok = 2", "output_usd_per_mtok = 7"),
    )
    assert cli_main(["rates", "check", "--file", str(path)]) == 0
    out = capsys.readouterr().out
    assert "claude-haiku-4-5: output: ours 7, snapshot 5" in out


def test_cli_check_reports_a_missing_price_change(tmp_path, capsys):
    # Only the 2023 card of claude-sonnet-4-6: the snapshot's 2026-03-13 change has no card here.
    first = next(c for c in rates.snapshot_cards("claude-sonnet-4-6") if c.effective_from.year == 2023)
    path = _write(tmp_path, card_to_toml(first))
    assert cli_main(["rates", "check", "--file", str(path)]) == 0
    out = capsys.readouterr().out
    assert "claude-sonnet-4-6: (card): ours none, snapshot a price from 2026-03-13" in out


def test_cli_snapshot_round_trips(tmp_path, capsys):
    assert cli_main(["rates", "snapshot", "claude-sonnet-4-6"]) == 0
    path = _write(tmp_path, capsys.readouterr().out)
    cards = load_cards(path)
    assert [c.card_id for c in cards] == [
        "claude-sonnet-4-6@2023-01-01",
        "claude-sonnet-4-6@2026-03-13",
        "claude-sonnet-4-6@2026-10-14",  # genai-prices' batch price starts then
    ]
    assert cards[0].long_context is not None and cards[1].long_context is None
    assert cards[1].service_tiers == () and cards[2].service_tiers == (("batch", Decimal("0.5")),)


def test_suggest_card_for_unknown_and_known():
    assert rates.suggest_card("acme-llm-9000") is None
    card = rates.suggest_card("grok-4-fast", NOW)
    assert card is not None and card.model == "grok-4-fast-reasoning" and card.provider == "x_ai"


def test_price_call_takes_a_usage_and_the_usage_checks_its_counts():
    book = RateBook(load_cards())
    with pytest.raises(TypeError, match="rates.Usage"):
        price_call(book, "claude-haiku-4-5", 1000, at=NOW)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="must include cache_read_tokens"):
        rates.Usage(10, 0, cache_read_tokens=8, cache_write_tokens=8)
    with pytest.raises(ValueError, match="reasoning_tokens must be >= 0"):
        rates.Usage(10, 0, reasoning_tokens=-1)
    with pytest.raises(TypeError, match="output_tokens must be an int"):
        rates.Usage(10, 1.5)  # type: ignore[arg-type]
    usage = rates.Usage(1000, 50, cache_read_tokens=600, cache_write_tokens=100)
    assert usage.uncached_input_tokens == 300
    model = "claude-haiku-4-5"
    cost, unknown = compute_cost_usd(model, 1000, 50, cache_read_tokens=600, cache_write_tokens=100, at=NOW)
    assert (cost, unknown) == (price_call(book, "claude-haiku-4-5", usage, at=NOW).cost_usd, False)


def test_one_card_id_format_for_cards_and_stored_rows():
    from datetime import timedelta, timezone

    from rates.types import card_id

    assert card_id("m", datetime(2026, 1, 1, tzinfo=UTC)) == "m@2026-01-01"
    # A stored instant read back in another zone names the same card.
    assert card_id("m", datetime(2026, 1, 1, 2, tzinfo=timezone(timedelta(hours=2)))) == "m@2026-01-01"
    assert card_id("m", datetime(2026, 1, 1, 6, tzinfo=UTC)) == "m@2026-01-01T06:00:00+00:00"

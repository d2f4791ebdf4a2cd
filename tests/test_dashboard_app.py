"""Every dashboard page under Streamlit's AppTest, against the real collector fed known spans over real OTLP.

The seed below is also used by the browser test (test_dashboard_e2e.py). Expected money is computed with the
same `rates` engine and shipped cards the collector seeds itself with, at each span's start time.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import httpx
import pytest
from helpers.collector import launch_collector
from helpers.otlp import export_spans
from opentelemetry.sdk.trace.export import SpanExportResult
from opentelemetry.trace import SpanKind, Status, StatusCode
from streamlit.testing.v1 import AppTest

import rates
from dashboard import review, spend
from dashboard.money import format_usd
from dashboard.ui import EMPTY_RANGE

# Not in the conformance suite: what this checks does not depend on the store (the API it reads is checked on
# every store by the conformance modules), and its chdb half cost CI minutes.

NO_REPORT = (
    "No provider report in this range. Import a provider's daily usage file (POST /api/v1/reconciliation/import) "
    "or fetch Anthropic's reports (`tokenledger reconcile anthropic --start DATE --end DATE`): docs/reconciliation.md."
)

APP = Path(__file__).resolve().parent.parent / "dashboard" / "app.py"
PERIOD = {"from": "2026-10-01", "to": "2026-10-31"}  # the range every page is opened on (previous: September)
ADMIN = "sk-test-not-a-real-key-admin"
READ = "sk-test-not-a-real-key-read"


@dataclass(frozen=True)
class SeedCall:
    service: str
    environment: str
    layer: str | None  # None: no tokenledger.layer, so the collector falls back to service.name
    model: str
    provider: str
    input_tokens: int
    output_tokens: int
    start: datetime
    duration_ms: int
    cache_read_tokens: int = 0
    ttft_ms: float | None = None
    requested_model: str | None = None
    error: str | None = None

    @property
    def effective_layer(self) -> str:
        return self.layer or self.service

    def price(self) -> rates.Price:
        return rates.price_call(
            rates.default_book(),
            self.model,
            rates.Usage(self.input_tokens, self.output_tokens, cache_read_tokens=self.cache_read_tokens),
            at=self.start,
        )


def _at(day: int, month: int = 10) -> datetime:
    return datetime(2026, month, day, 12, 0, tzinfo=UTC)


HAIKU = "claude-haiku-4-5-20251001"
SEED = [
    SeedCall("chat-bff", "production", "chat", HAIKU, "anthropic", 12_000, 800, _at(3), 1200, 10_000, ttft_ms=300.0),
    SeedCall("chat-bff", "production", "chat", HAIKU, "anthropic", 4_000, 500, _at(10), 900, ttft_ms=250.0),
    SeedCall("chat-bff", "production", "chat", HAIKU, "anthropic", 3_000, 300, _at(15, 9), 800),  # previous period
    SeedCall("worker", "production", "analysis", "grok-4-fast-reasoning", "x_ai", 20_000, 1_500, _at(5), 2500),
    SeedCall(
        "worker", "production", "analysis", "grok-4-fast-reasoning", "x_ai", 1_000, 0, _at(6), 400, error="timeout"
    ),
    SeedCall(
        "worker",
        "production",
        "drafts",
        HAIKU,
        "anthropic",
        5_000,
        2_000,
        _at(7),
        3000,
        requested_model="claude-sonnet-4-5",
    ),  # fmt: skip
    SeedCall("worker", "staging", "agents", "grok-9-preview", "x_ai", 8_000, 1_000, _at(8), 1800),
    SeedCall("worker", "staging", "agents", "grok-9-preview", "x_ai", 2_000, 500, _at(9), 1500),
    SeedCall("research-notebook", "production", None, "gpt-4o-mini", "openai", 30_000, 4_000, _at(11), 2200),
]
IN_PERIOD = [c for c in SEED if c.start.month == 10]
UNPRICED = {"grok-9-preview", "gpt-4o-mini"}


def _ns(moment: datetime) -> int:
    return int(moment.timestamp()) * 1_000_000_000


def feed(url: str, send_spans, seed: list[SeedCall] = SEED) -> None:
    """Send `seed` to the collector through the OpenTelemetry SDK's OTLP exporter, one provider per resource."""
    resources: dict[tuple[str, str], list[SeedCall]] = {}
    for call in seed:
        resources.setdefault((call.service, call.environment), []).append(call)
    for (service, environment), calls in resources.items():

        def build(tracer, calls=calls):
            for c in calls:
                attrs = {
                    "gen_ai.operation.name": "chat",
                    "gen_ai.provider.name": c.provider,
                    "gen_ai.request.model": c.requested_model or c.model,
                    "gen_ai.response.model": c.model,
                    "gen_ai.usage.input_tokens": c.input_tokens,
                    "gen_ai.usage.output_tokens": c.output_tokens,
                    "gen_ai.usage.cache_read.input_tokens": c.cache_read_tokens,
                    "tokenledger.streaming": c.ttft_ms is not None,
                }
                if c.layer:
                    attrs["tokenledger.layer"] = c.layer
                if c.ttft_ms is not None:
                    attrs["tokenledger.ttft_ms"] = c.ttft_ms
                if c.requested_model:
                    attrs["tokenledger.policy.requested_model"] = c.requested_model
                    attrs["gen_ai.request.model"] = c.model
                if c.error:
                    attrs["error.type"] = c.error
                span = tracer.start_span(
                    f"chat {c.model}", kind=SpanKind.CLIENT, start_time=_ns(c.start), attributes=attrs
                )
                if c.error:
                    span.set_status(Status(StatusCode.ERROR, c.error))
                span.end(end_time=_ns(c.start) + c.duration_ms * 1_000_000)

        results = send_spans(url, build, service_name=service, resource={"deployment.environment.name": environment})
        assert results and all(r == SpanExportResult.SUCCESS for r in results)


def expected_by_layer(calls: list[SeedCall]) -> dict[str, dict[str, Decimal]]:
    out: dict[str, dict[str, Decimal]] = {}
    for c in calls:
        p = c.price()
        row = out.setdefault(c.effective_layer, {"priced": Decimal(0), "estimated": Decimal(0)})
        row["estimated" if p.pricing_unknown else "priced"] += p.cost_usd
    for row in out.values():
        row["total"] = row["priced"] + row["estimated"]
    return out


def expected_banner(calls: list[SeedCall] = SEED) -> str:
    unpriced = [c for c in calls if c.price().pricing_unknown]
    est = sum((c.price().cost_usd for c in unpriced), Decimal(0))
    calls, models = len(unpriced), len({c.model for c in unpriced})
    return (
        f"{calls} call{'s' * (calls != 1)} from {models} unpriced model{'s' * (models != 1)} "
        f"(est. {format_usd(est)}, all time) awaiting review"
    )


# -- fixtures --------------------------------------------------------------------------------------------------


def _feed_with_admin(url: str, send_spans) -> None:
    feed(url, lambda url, build, **kw: send_spans(url, build, headers={"Authorization": f"Bearer {ADMIN}"}, **kw))


def _point_the_app_at(handle, monkeypatch) -> None:
    monkeypatch.setenv("TOKENLEDGER_COLLECTOR_URL", handle.url)
    monkeypatch.setenv("TOKENLEDGER_READ_TOKEN", READ)
    monkeypatch.setenv("TOKENLEDGER_ADMIN_TOKEN", ADMIN)


@pytest.fixture(scope="module")
def seeded_once(store_kind, tmp_path_factory):  # store_kind: one per store (conformance)
    """One collector (thread mode: real HTTP for the app) holding SEED, shared by the tests that only read."""
    handle = launch_collector(
        tmp_path_factory.mktemp("seeded"), mode="thread", TOKENLEDGER_ADMIN_TOKEN=ADMIN, TOKENLEDGER_READ_TOKEN=READ
    )
    try:
        _feed_with_admin(handle.url, export_spans)
        yield handle
    finally:
        handle.stop()


@pytest.fixture
def seeded(seeded_once, monkeypatch):
    """The shared SEED collector, the app pointed at it with both tokens. For tests that change nothing."""
    _point_the_app_at(seeded_once, monkeypatch)
    return seeded_once


@pytest.fixture
def seeded_fresh(start_collector, send_spans, tmp_path, monkeypatch):
    """A collector of this test's own holding SEED, the app pointed at it: for tests that change (or try to)."""
    handle = start_collector(tmp_path, mode="thread", TOKENLEDGER_ADMIN_TOKEN=ADMIN, TOKENLEDGER_READ_TOKEN=READ)
    _feed_with_admin(handle.url, send_spans)
    _point_the_app_at(handle, monkeypatch)
    return handle


def open_app(page: str | None = None) -> AppTest:
    at = AppTest.from_file(str(APP), default_timeout=60)
    at.query_params.update(PERIOD)
    at.run()
    if page:
        at.switch_page(f"views/{page}.py").run()
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    return at


def metric(at: AppTest, label: str) -> str:
    return next(m.value for m in at.metric if m.label == label)


def button(at: AppTest, label: str):
    return next(b for b in at.button if b.label == label)


# -- pages -----------------------------------------------------------------------------------------------------


def test_overview_layer_totals_match_the_fed_spans(seeded):
    at = open_app()
    assert at.title[0].value == "Overview"
    want = expected_by_layer(IN_PERIOD)
    table = at.table[0].value
    shown = {row["Layer"]: row for row in table.to_dict("records")}
    assert set(shown) == set(want) == {"chat", "analysis", "drafts", "agents", "research-notebook"}
    for layer, money in want.items():
        assert shown[layer]["Priced"] == format_usd(money["priced"]), layer
        assert shown[layer]["Estimated (unpriced)"] == format_usd(money["estimated"]), layer
        assert shown[layer]["Total incl. estimates"] == format_usd(money["total"]), layer
    # product layers first, then the others
    assert list(table["Layer"])[:4] == ["chat", "analysis", "drafts", "agents"]
    prev_chat = SEED[2].price().cost_usd
    assert shown["chat"]["Previous period"] == format_usd(prev_chat)
    priced = sum((m["priced"] for m in want.values()), Decimal(0))
    estimated = sum((m["estimated"] for m in want.values()), Decimal(0))
    assert estimated > 0 and priced > 0
    assert metric(at, "Priced spend") == format_usd(priced)
    assert metric(at, "Estimated spend (unpriced)") == format_usd(estimated)
    assert metric(at, "Total incl. estimates") == format_usd(priced + estimated)
    assert metric(at, "Calls") == str(len(IN_PERIOD))
    assert [w.value for w in at.warning] == [expected_banner()]
    assert any("Review" in str(link.label) for link in at.get("page_link"))
    assert at.sidebar.caption and any("Data fetched" in c.value for c in at.sidebar.caption)


def test_sidebar_filter_narrows_every_figure(seeded):
    at = open_app()
    at.multiselect(key="f_layer").set_value(["chat"]).run()
    assert not at.exception
    chat = expected_by_layer(IN_PERIOD)["chat"]
    assert [r["Layer"] for r in at.table[0].value.to_dict("records")] == ["chat"]
    assert metric(at, "Total incl. estimates") == format_usd(chat["total"])
    assert metric(at, "Calls") == "2"


def test_spend_page_tables_download_and_priced_only_switch(seeded):
    at = open_app("spend")
    assert at.title[0].value == "Spend"
    want = expected_by_layer(IN_PERIOD)
    priced = sum((m["priced"] for m in want.values()), Decimal(0))
    estimated = sum((m["estimated"] for m in want.values()), Decimal(0))
    assert metric(at, "Priced spend") == format_usd(priced)
    assert metric(at, "Estimated spend (unpriced)") == format_usd(estimated)
    report = at.dataframe[-1].value
    assert set(report["model"]) == {c.model for c in IN_PERIOD}
    # one row per seed call (each its own day): money by format_usd, the day a date (no 00:00:00)
    assert sorted(report["total_cost_usd"]) == sorted(format_usd(c.price().cost_usd) for c in IN_PERIOD)
    assert sorted(report["day"]) == sorted(c.start.date().isoformat() for c in IN_PERIOD)
    # the Model breakdown: total_usd includes estimates
    by_model = {r["model"]: r["total_usd"] for r in at.dataframe[0].value.to_dict("records")}
    for model in {c.model for c in IN_PERIOD}:
        spent = sum((c.price().cost_usd for c in IN_PERIOD if c.model == model), Decimal(0))
        assert by_model[model] == format_usd(spent), model
    assert at.get("download_button"), "CSV download missing"
    at.toggle(key="spend_priced_only").set_value(True).run()
    assert not at.exception
    assert metric(at, "Estimated spend (unpriced)") == "excluded"
    unpriced_calls = sum(1 for c in IN_PERIOD if c.model in UNPRICED)
    assert metric(at, "Calls") == str(len(IN_PERIOD) - unpriced_calls)
    report = at.dataframe[-1].value
    assert not set(report["model"]) & UNPRICED
    assert sorted(report["total_cost_usd"]) == sorted(
        format_usd(c.price().cost_usd) for c in IN_PERIOD if c.model not in UNPRICED
    )


def test_latency_page_percentiles_errors_and_ttft(seeded):
    at = open_app("latency")
    assert at.title[0].value == "Latency"
    summary = {r["layer"]: r for r in at.dataframe[0].value.to_dict("records")}
    assert summary["drafts"]["p50_ms"] == pytest.approx(3000)
    assert summary["analysis"]["error_rate"] == pytest.approx(0.5)
    assert summary["chat"]["error_rate"] == pytest.approx(0.0)
    assert summary["chat"]["ttft_p50_ms"] == pytest.approx(275.0)
    streamed = at.dataframe[1].value.to_dict("records")
    assert [r["layer"] for r in streamed] == ["chat"]
    # two streams, 250 and 300 ms to the first token: percentiles interpolated, and the mean
    ttft = [streamed[0][c] for c in ("ttft_p50_ms", "ttft_p95_ms", "ttft_p99_ms", "ttft_ms")]
    assert ttft == pytest.approx([275.0, 297.5, 299.5, 275.0])
    assert streamed[0]["streaming_calls"] == 2
    at.segmented_control(key="latency_by").set_value("model").run()
    assert not at.exception
    assert set(at.dataframe[0].value["model"]) == {c.model for c in IN_PERIOD}


def test_policy_page_shows_the_substitution(seeded):
    at = open_app("policy")
    assert metric(at, "Substituted calls") == "1"
    rows = at.dataframe[0].value.to_dict("records")
    assert len(rows) == 1
    sub = SEED[5]
    assert (rows[0]["requested_model"], rows[0]["model"], rows[0]["environment"], rows[0]["layer"]) == (
        "claude-sonnet-4-5",
        HAIKU,
        "production",
        "drafts",
    )
    assert rows[0]["service"] == "worker"
    paid = sub.price().cost_usd
    # the same tokens on the requested model's shipped card, at the call's time
    would = rates.price_call(
        rates.default_book(), sub.requested_model, rates.Usage(sub.input_tokens, sub.output_tokens), at=sub.start
    ).cost_usd
    assert would > paid
    assert (rows[0]["cost_usd"], rows[0]["requested_cost_usd"]) == (format_usd(paid), format_usd(would))
    assert rows[0]["difference_usd"] == format_usd(would - paid)
    assert metric(at, "Paid for substituted calls") == format_usd(paid)
    assert metric(at, "Would have cost") == format_usd(would)
    assert metric(at, "Saved by the policy") == format_usd(would - paid)


def test_policy_page_shows_an_unknown_requested_price_as_unknown(start_collector, send_spans, tmp_path, monkeypatch):
    handle = start_collector(tmp_path, mode="thread")
    call = dataclasses.replace(SEED[5], requested_model="claude-mythical-9")  # no card for what was asked
    feed(handle.url, send_spans, [call])
    monkeypatch.setenv("TOKENLEDGER_COLLECTOR_URL", handle.url)
    for name in ("TOKENLEDGER_READ_TOKEN", "TOKENLEDGER_ADMIN_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    at = open_app("policy")
    row = at.dataframe[0].value.to_dict("records")[0]
    assert (row["requested_model"], row["requested_cost_usd"], row["difference_usd"]) == (
        "claude-mythical-9",
        "unknown",
        "unknown",
    )
    assert metric(at, "Would have cost") == "unknown"
    assert metric(at, "Paid for substituted calls") == format_usd(call.price().cost_usd)


def test_review_page_prices_a_model_and_it_leaves_the_queue(seeded_fresh):
    at = open_app("review")
    queue = at.dataframe[0].value
    assert set(queue["model"]) == UNPRICED
    assert at.warning[0].value == expected_banner()
    # gpt-4o-mini has a genai-prices suggestion: the form is prefilled from it
    at.selectbox(key="review_model").set_value("gpt-4o-mini").run()
    suggested = rates.suggest_card("gpt-4o-mini")
    got = Decimal(at.text_input(key="card_gpt-4o-mini_input_usd_per_mtok").value)
    assert got == suggested.rates.input_usd_per_mtok
    # grok-9-preview has none: type a card, preview, apply
    at.selectbox(key="review_model").set_value("grok-9-preview").run()
    assert at.text_input(key="card_grok-9-preview_input_usd_per_mtok").value == ""
    at.text_input(key="card_grok-9-preview_input_usd_per_mtok").input("0.30")
    at.text_input(key="card_grok-9-preview_output_usd_per_mtok").input("1.20")
    button(at, "Preview repricing").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    grok = [c for c in SEED if c.model == "grok-9-preview"]
    new = sum(Decimal(c.input_tokens) * Decimal("0.30") + Decimal(c.output_tokens) * Decimal("1.20") for c in grok)
    new /= Decimal(1_000_000)
    old = sum((c.price().cost_usd for c in grok), Decimal(0))
    preview = at.table[-1].value.to_dict("records")[0]
    assert preview["Rows repriced"] == "2"
    assert preview["Now (estimated)"] == format_usd(old)
    assert preview["With this card (priced)"] == format_usd(new)
    button(at, "Apply card").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert any("grok-9-preview now has a rate card" in s.value for s in at.success)
    assert set(at.dataframe[0].value["model"]) == {"gpt-4o-mini"}
    audit = at.dataframe[-1].value.to_dict("records")
    assert [(a["model"], a["rows"]) for a in audit] == [("grok-9-preview", 2)]
    assert audit[0]["new_cost_usd"] == format_usd(new)
    assert audit[0]["delta_usd"] == format_usd(new - old)  # the sign before the dollar, as everywhere
    # its spend now counts as priced on the Overview
    at.switch_page("views/overview.py").run()
    agents = {r["Layer"]: r for r in at.table[0].value.to_dict("records")}["agents"]
    assert agents["Estimated (unpriced)"] == "$0.00" and agents["Priced"] == format_usd(new)


def test_review_page_without_admin_token_says_so(seeded_fresh, monkeypatch):
    monkeypatch.delenv("TOKENLEDGER_ADMIN_TOKEN")
    at = open_app("review")
    assert set(at.dataframe[0].value["model"]) == UNPRICED  # the read token still shows the queue
    assert any("admin token" in i.value for i in at.info)
    at.selectbox(key="review_model").set_value("grok-9-preview").run()
    at.text_input(key="card_grok-9-preview_input_usd_per_mtok").input("0.30")
    at.text_input(key="card_grok-9-preview_output_usd_per_mtok").input("1.20")
    button(at, "Preview repricing").click().run()
    assert not at.exception
    assert "admin token" in at.error[0].value and "TOKENLEDGER_ADMIN_TOKEN" in at.error[0].value
    assert set(at.dataframe[0].value["model"]) == UNPRICED  # nothing changed


TINY = SeedCall("chat-bff", "production", "chat", "tiny-unpriced-1", "x_ai", 1, 0, _at(12), 100)


def test_a_tiny_estimate_never_reads_as_zero(start_collector, send_spans, tmp_path, monkeypatch):
    # one input token at the default model's rates: $0.000001, which four decimals would round to $0.0000
    assert Decimal(0) < TINY.price().cost_usd < Decimal("0.00005") and TINY.price().pricing_unknown
    handle = start_collector(tmp_path, mode="thread")
    feed(handle.url, send_spans, [TINY])
    monkeypatch.setenv("TOKENLEDGER_COLLECTOR_URL", handle.url)
    for name in ("TOKENLEDGER_READ_TOKEN", "TOKENLEDGER_ADMIN_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    at = open_app()
    assert [w.value for w in at.warning] == ["1 call from 1 unpriced model (est. <$0.0001, all time) awaiting review"]
    assert metric(at, "Estimated spend (unpriced)") == "<$0.0001"
    assert metric(at, "Total incl. estimates") == "<$0.0001"
    assert metric(at, "Priced spend") == "$0.00"  # exact zero stays zero
    chat = at.table[0].value.to_dict("records")[0]
    assert (chat["Priced"], chat["Estimated (unpriced)"]) == ("$0.00", "<$0.0001")
    at.switch_page("views/review.py").run()
    assert not at.exception
    assert list(at.dataframe[0].value["estimated_cost_usd"]) == ["<$0.0001"]


GEMINI = [  # genai-prices prices gemini-2.5-pro higher above 200k input tokens; we ship no card for it
    SeedCall("worker", "production", "analysis", "gemini-2.5-pro", "gcp.gemini", 250_000, 2_000, _at(14), 9000),
    SeedCall("worker", "production", "analysis", "gemini-2.5-pro", "gcp.gemini", 20_000, 500, _at(16), 3000),
]


def _priced_with(card: rates.RateCard, calls: list[SeedCall]) -> Decimal:
    book = rates.RateBook([card])
    return sum(
        (
            rates.price_call(book, c.model, rates.Usage(c.input_tokens, c.output_tokens), at=c.start).cost_usd
            for c in calls
        ),
        Decimal(0),
    )


def test_review_applies_the_suggested_long_context_tier(start_collector, send_spans, tmp_path, monkeypatch):
    handle = start_collector(tmp_path, mode="thread")
    feed(handle.url, send_spans, GEMINI)
    monkeypatch.setenv("TOKENLEDGER_COLLECTOR_URL", handle.url)
    for name in ("TOKENLEDGER_READ_TOKEN", "TOKENLEDGER_ADMIN_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    suggested = rates.suggest_card("gemini-2.5-pro", provider="gcp.gemini")
    assert suggested is not None and suggested.long_context is not None
    tier = suggested.long_context
    with_tier = _priced_with(suggested, GEMINI)
    flat = _priced_with(dataclasses.replace(suggested, long_context=None), GEMINI)
    assert with_tier > flat  # the first call is above the threshold: the tier matters

    at = open_app("review")
    key = "card_gemini-2.5-pro_"
    assert at.text_input(key=key + review.TIER_THRESHOLD).value == str(tier.above_input_tokens)
    for name in review.RATE_FIELDS:
        assert Decimal(at.text_input(key=f"{key}long_context_{name}").value) == getattr(tier.rates, name), name
    button(at, "Preview repricing").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    preview = at.table[-1].value.to_dict("records")[0]
    assert preview["Rows repriced"] == "2"
    assert preview["With this card (priced)"] == format_usd(with_tier)

    button(at, "Apply card").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert any("gemini-2.5-pro now has a rate card" in s.value for s in at.success)
    audit = at.dataframe[-1].value.to_dict("records")
    assert [(a["model"], a["rows"], a["new_cost_usd"]) for a in audit] == [("gemini-2.5-pro", 2, format_usd(with_tier))]
    # the stored card has the tier
    cards = httpx.get(f"{handle.url}/api/v1/rates").raise_for_status().json()["cards"]
    card = next(c for c in cards if c["model"] == "gemini-2.5-pro")
    assert card["long_context_above_input_tokens"] == tier.above_input_tokens
    for name in review.RATE_FIELDS:
        assert Decimal(str(card[f"long_context_{name}"])) == getattr(tier.rates, name), name


def test_review_shows_where_the_suggestion_comes_from_and_a_price_change_since_first_seen(
    start_collector, send_spans, tmp_path, monkeypatch
):
    # genai-prices has two prices for this model; the one in force now started after our first call of it
    model, provider = "deepseek/deepseek-v4-flash", "avian"
    suggested = rates.suggest_card(model, provider=provider)
    assert suggested is not None and len(rates.snapshot_cards(model, provider)) > 1
    first = suggested.effective_from + timedelta(days=-3, hours=12)
    handle = start_collector(tmp_path, mode="thread")
    feed(handle.url, send_spans, [SeedCall("worker", "production", "agents", model, provider, 5_000, 100, first, 900)])
    monkeypatch.setenv("TOKENLEDGER_COLLECTOR_URL", handle.url)
    for name in ("TOKENLEDGER_READ_TOKEN", "TOKENLEDGER_ADMIN_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    at = open_app("review")
    captions = [c.value for c in at.caption]
    since = suggested.effective_from.date().isoformat()
    assert any("genai-prices" in c and f"in force since {since}" in c for c in captions), captions
    assert any(f"after this model's first call ({first.date().isoformat()})" in c for c in captions), captions
    assert any(f"every stored call of {model}" in c for c in captions), captions


def test_review_against_an_open_collector_needs_no_token(start_collector, send_spans, tmp_path, monkeypatch):
    handle = start_collector(tmp_path, mode="thread")  # no tokens at all: local use
    feed(handle.url, send_spans)
    monkeypatch.setenv("TOKENLEDGER_COLLECTOR_URL", handle.url)
    for name in ("TOKENLEDGER_READ_TOKEN", "TOKENLEDGER_ADMIN_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    at = open_app("review")
    assert set(at.dataframe[0].value["model"]) == UNPRICED
    # Estimated at its public price (issue 17 item 5), gpt-4o-mini is no longer the costliest entry: choose it.
    at.selectbox(key="review_model").set_value("gpt-4o-mini").run()
    button(at, "Preview repricing").click().run()  # gpt-4o-mini, prefilled from its suggestion
    button(at, "Apply card").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert any("gpt-4o-mini now has a rate card" in s.value for s in at.success)
    assert set(at.dataframe[0].value["model"]) == {"grok-9-preview"}


def test_review_preview_is_the_primary_action_and_apply_needs_a_preview_of_the_values(seeded):
    at = open_app("review")
    at.selectbox(key="review_model").set_value("grok-9-preview").run()
    assert button(at, "Preview repricing").proto.type == "primary"
    assert button(at, "Apply card").proto.type != "primary"
    assert button(at, "Apply card").disabled  # nothing previewed yet
    at.text_input(key="card_grok-9-preview_input_usd_per_mtok").input("0.30")
    at.text_input(key="card_grok-9-preview_output_usd_per_mtok").input("1.20").run()
    assert button(at, "Apply card").disabled
    button(at, "Preview repricing").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert not button(at, "Apply card").disabled
    at.text_input(key="card_grok-9-preview_output_usd_per_mtok").input("1.25").run()  # changed after the preview
    assert button(at, "Apply card").disabled
    assert not any("Repricing preview" == h.value for h in at.subheader)  # the old preview no longer shows
    at.text_input(key="card_grok-9-preview_output_usd_per_mtok").input("1.20").run()  # back to the previewed card
    assert not button(at, "Apply card").disabled
    button(at, "Apply card").click().run()
    assert any("grok-9-preview now has a rate card" in s.value for s in at.success)


def test_overview_says_the_scope_of_the_banner_and_of_the_figures(seeded):
    at = open_app()
    assert "all time" in at.warning[0].value
    scope = "The review queue counts every unpriced call stored; the figures below cover Oct 1 – Oct 31, 2026 only."
    assert scope in [c.value for c in at.caption]


def test_review_shows_no_sidebar_filters_and_keeps_them_for_the_other_pages(seeded):
    at = open_app()
    at.multiselect(key="f_layer").set_value(["chat"]).run()
    at.switch_page("views/review.py").run()
    assert not at.exception
    assert not at.sidebar.selectbox and not at.sidebar.date_input  # the queue is global: no filters to mislead
    assert at.sidebar.button, "Refresh data stays"
    at.switch_page("views/overview.py").run()
    assert at.multiselect(key="f_layer").value == ["chat"]
    assert [r["Layer"] for r in at.table[0].value.to_dict("records")] == ["chat"]
    assert not at.warning or all("Session State" not in w.value for w in at.warning)


def test_collector_down_gives_a_clear_message(monkeypatch):
    from helpers.collector import free_port

    monkeypatch.setenv("TOKENLEDGER_COLLECTOR_URL", f"http://127.0.0.1:{free_port()}")
    at = AppTest.from_file(str(APP), default_timeout=60).run()
    assert not at.exception
    assert "Cannot reach the collector" in at.error[0].value


def test_bad_setting_gives_a_clear_message(monkeypatch):
    monkeypatch.setenv("TOKENLEDGER_COLLECTOR_URL", "127.0.0.1:4318")
    at = AppTest.from_file(str(APP), default_timeout=60).run()
    assert not at.exception
    assert "TOKENLEDGER_COLLECTOR_URL must be an http(s) URL" in at.error[0].value


def test_refused_token_gives_a_clear_message(seeded, monkeypatch):
    monkeypatch.setenv("TOKENLEDGER_READ_TOKEN", "sk-test-not-a-real-key-wrong")
    monkeypatch.delenv("TOKENLEDGER_ADMIN_TOKEN")
    at = AppTest.from_file(str(APP), default_timeout=60).run()
    assert not at.exception
    message = at.error[0].value
    assert "refused" in message and "401" in message
    assert "sk-test" not in message


def test_layer_totals_helper_agrees_with_the_data_layer():
    # guards the expectations above: the seed's unpriced models really are unpriced, the rest priced
    for c in SEED:
        assert c.price().pricing_unknown == (c.model in UNPRICED), c.model
    assert spend.KNOWN_LAYERS == ("chat", "analysis", "drafts", "agents")
    assert review.banner_text is not None


PAGES = ("overview", "spend", "latency", "review", "policy", "reconciliation")


@pytest.mark.parametrize("page", PAGES)
def test_every_page_on_an_empty_collector_says_so(start_collector, tmp_path, monkeypatch, page):
    # a fresh collector: every read answers with zero rows (no schema from which to type a `layer` column)
    handle = start_collector(tmp_path, mode="thread")
    monkeypatch.setenv("TOKENLEDGER_COLLECTOR_URL", handle.url)
    for name in ("TOKENLEDGER_READ_TOKEN", "TOKENLEDGER_ADMIN_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    at = open_app(None if page == "overview" else page)
    if page == "review":
        assert any("No unpriced models" in s.value for s in at.success)
    elif page == "reconciliation":  # no provider report: it says how to import or fetch one
        assert [i.value for i in at.info] == [NO_REPORT]
    else:
        assert [i.value for i in at.info] == [EMPTY_RANGE], page


@pytest.mark.parametrize("page", ["overview", "latency", "policy", "spend"])
def test_a_range_with_no_calls_says_so(seeded, page):
    at = AppTest.from_file(str(APP), default_timeout=60)
    at.query_params.update({"from": "2027-03-01", "to": "2027-03-31"})  # after the seed: nothing in range
    at.run()
    if page != "overview":
        at.switch_page(f"views/{page}.py").run()
    assert not at.exception, [e.value for e in at.exception]
    assert EMPTY_RANGE in [i.value for i in at.info], page

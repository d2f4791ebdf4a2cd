"""A read of several queries sees one snapshot: calls committed while it runs enter none of its figures.

Deterministic, not timing-based: a hook on a function the read calls between its queries (after its first query,
before the others) commits more calls through `Store.insert_calls`, the way a concurrent ingest would. The answer
must equal the answer given before those calls existed.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from itertools import count

import pytest
from helpers.otlp import HAIKU, otlp_json_request, otlp_json_span

from collector.budgets import Budget
from collector.mapping import map_span
from collector.otlp import decode_export
from collector.pricing import price_row
from collector.store import CallFilter, Store

SONNET = "claude-sonnet-4-5"
_ids = count(1)


def _rows(store: Store, n: int, **attrs) -> list:
    """`n` call rows from real OTLP, mapped and priced as ingest does (Haiku run where Sonnet was asked for)."""
    spans = [
        otlp_json_span(f"{next(_ids):016x}", {**HAIKU, "tokenledger.policy.requested_model": SONNET, **attrs})
        for _ in range(n)
    ]
    body = json.dumps(otlp_json_request(spans)).encode()
    out = []
    for span in decode_export(body, "application/json").request.resource_spans[0].scope_spans[0].spans:
        row = price_row(store.book, map_span({}, "tests", "1", span))
        row.ingested_at = row.start_time
        out.append(row)
    return out


@pytest.fixture
def store(tmp_path):
    store = Store.open(tmp_path / "snapshot.duckdb")
    store.insert_calls(_rows(store, 3, **{"gen_ai.usage.cache_read.input_tokens": 400}))
    yield store
    store.close()


def _ingest_midway(monkeypatch, store: Store, module, name: str) -> list[int]:
    """Make `module.name` commit 2 more calls the first time the read calls it; the list counts the inserts."""
    original: Callable = getattr(module, name)
    done: list[int] = []

    def hooked(*args, **kwargs):
        if not done:
            done.append(store.insert_calls(_rows(store, 2, **{"gen_ai.usage.cache_read.input_tokens": 400})))
        return original(*args, **kwargs)

    monkeypatch.setattr(module, name, hooked)
    return done


def test_whatif_reads_one_snapshot(monkeypatch, store):
    from collector.store import _whatif

    before = store.whatif(CallFilter(), [], ["claude-sonnet-4-5"]).to_pylist()
    done = _ingest_midway(monkeypatch, store, _whatif, "cost_sql")  # between the totals and the per-card sums
    during = store.whatif(CallFilter(), [], ["claude-sonnet-4-5"]).to_pylist()
    assert done == [2]
    assert during == before
    assert (during[0]["calls"], during[0]["whatif_calls"], during[0]["whatif_unknown_calls"]) == (3, 3, 0)
    assert during[0]["compared_actual_usd"] == during[0]["actual_cost_usd"]
    assert store.whatif(CallFilter(), [], ["claude-sonnet-4-5"]).to_pylist()[0]["calls"] == 5  # seen afterwards


def test_policy_savings_and_substitutions_read_one_snapshot(monkeypatch, store):
    from collector.store import _policy

    before = store.policy_savings(CallFilter(), []).to_pylist()
    assert before[0]["requested_cost_usd"] is not None
    _ingest_midway(monkeypatch, store, _policy, "cost_sql")  # between the paid sums and the requested cards
    assert store.policy_savings(CallFilter(), []).to_pylist() == before
    subs = store.substitutions(CallFilter()).to_pylist()  # the hook has run: 5 calls now, all with a card
    monkeypatch.undo()
    _ingest_midway(monkeypatch, store, _policy, "cost_sql")
    assert store.substitutions(CallFilter()).to_pylist() == subs
    assert subs[0]["calls"] == 5 and subs[0]["requested_cost_usd"] is not None


def test_cache_reads_one_snapshot(monkeypatch, store):
    from collector.store import _whatif

    before = store.cache(CallFilter(), []).to_pylist()
    _ingest_midway(monkeypatch, store, _whatif, "_rate_sql")  # between the token sums and the money per card
    assert store.cache(CallFilter(), []).to_pylist() == before


def test_calls_total_and_page_read_one_snapshot(monkeypatch, store):
    from collector.store import _reads

    _ingest_midway(monkeypatch, store, _reads, "calls_sql")  # between the count and the page
    page, total = store.calls(CallFilter(), 100, 0)
    assert (page.num_rows, total) == (3, 3)


def test_a_budgets_spend_and_forecast_read_one_snapshot(monkeypatch, store):
    from collector import budgets, projections

    budget = Budget("all", Decimal("100"), "monthly", {}, (Decimal(1),))
    now = datetime(2025, 11, 28, tzinfo=UTC)  # the calls are on 2025-11-26
    before = budgets.measure(store, budget, now)
    _ingest_midway(monkeypatch, store, projections, "daily_spend")  # between the spend so far and the forecast
    during = budgets.measure(store, budget, now)
    assert during == before
    assert during.forecast.spent_usd == during.spent_usd > 0


def test_close_waits_for_a_read_in_flight_and_refuses_new_ones(store):
    """Shutdown during a read (a budget evaluation's thread, a request being answered): DuckDB refuses to close a
    connection while one of its cursors runs a query, and an in-flight read should finish, not fail."""
    import threading

    from collector.store import StoreError

    with store.snapshot() as view:
        closer = threading.Thread(target=store.close)
        closer.start()
        for _ in range(10_000):  # until close() has begun: new reads are refused from then on
            try:
                store.ping()
            except StoreError:
                break
            closer.join(0.001)
        else:
            pytest.fail("close() never began refusing reads")
        assert closer.is_alive()  # still waiting for this read
        assert view.spend(["layer"], CallFilter()).column("calls").to_pylist() == [3]
    closer.join(30)
    assert not closer.is_alive()
    with pytest.raises(StoreError):
        store.ping()

"""Several collector replicas on one ClickHouse database, and the same figures on DuckDB and ClickHouse.

Here the replicas are two `ClickHouseStore`s in this process on one chdb database (chdb serves one data path per
process, to any number of clients): the same SQL, the same rules, no process of their own. Two collector
*processes* against one ClickHouse server is the last test; it runs when TOKENLEDGER_TEST_CLICKHOUSE_URL names a
server (none can be installed on these machines, so here it skips, saying why).
"""

from __future__ import annotations

import os
import threading
import uuid
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import httpx
import pytest
from helpers.collector import CLICKHOUSE_URL_ENV, _chdb_dir, launch_collector
from helpers.otlp import otlp_json_request, otlp_json_span

from collector.row import CallRow
from collector.store import CallFilter, Store, open_store
from rates import card_from_mapping

pytest.importorskip("clickhouse_connect", reason="the ClickHouse store needs the clickhouse extra")
from collector.store import _clickhouse  # noqa: E402
from collector.store._clickhouse_cards import SWEEP_NOTE  # noqa: E402
from collector.store._clickhouse_schema import MIGRATIONS  # noqa: E402

NOV1 = datetime(2025, 11, 1, tzinfo=UTC)
MODEL = "replica-model-1"


def _url() -> str:
    return f"chdb://{_chdb_dir()}?database=r_{uuid.uuid4().hex[:10]}"


def _row(span: str, *, response_id: str | None = None, layer: str | None = None, model: str = MODEL, hour: int = 1):
    start = NOV1 + timedelta(hours=hour)
    return CallRow(
        trace_id="0" * 31 + "1", span_id=span, response_id=response_id, start_time=start,
        end_time=start + timedelta(seconds=1), duration_ms=1000.0, service="svc", environment="prod", layer=layer,
        provider="anthropic", request_model=model, model=model, input_tokens=1_000_000, output_tokens=1000,
        cache_read_tokens=0, cache_write_tokens=0, reasoning_tokens=0, cost_usd=Decimal("1"), pricing_unknown=True,
        status="ok", streaming=False, attribution_score=2 if layer else 0, ingested_at=datetime.now(UTC),
        reported_cost_usd=None, reported_cost_source=None, error_type=None, ttft_ms=None, requested_model=None,
        operation="chat", span_name="chat", scope_name="test", scope_version="1",
    )  # fmt: skip


def _priced(store, rows):
    from collector.pricing import price_row

    book = store.book
    return [price_row(book, r) for r in rows]


def _card(model=MODEL, input_rate="3.000000000001", effective=NOV1):
    return card_from_mapping(
        {
            "model": model,
            "effective_from": effective.isoformat(),
            "input_usd_per_mtok": input_rate,
            "output_usd_per_mtok": "15",
            "source": "test",
        }  # fmt: skip
    )


def _spend(store):
    (row,) = store.spend([], CallFilter()).to_pylist()
    return row["calls"], row["cost_usd"], row["unpriced_calls"]


@pytest.fixture
def replicas():
    url = _url()
    first = open_store(url)
    second = open_store(url)
    yield first, second
    first.close()
    second.close()


def test_replays_and_copies_count_once_whichever_replica_stored_them(replicas):
    a, b = replicas
    assert a.insert_calls(_priced(a, [_row("a1"), _row("a2", response_id="resp-1")])) == 2
    # b: a replay of a1, and a richer copy of resp-1 from another instrumentation (it wins, as on DuckDB)
    assert b.insert_calls(_priced(b, [_row("a1"), _row("b2", response_id="resp-1", layer="chat")])) == 1
    assert a.insert_calls(_priced(a, [_row("a3", response_id="resp-1")])) == 0  # poorer copy: adds nothing
    for store in (a, b):
        calls, _, _ = _spend(store)
        assert calls == 2
        layers = {r["layer"] for r in store.calls(CallFilter(), 10, 0)[0].to_pylist()}
        assert layers == {None, "chat"}


def test_a_card_added_on_one_replica_reprices_the_rows_another_priced_before_it_saw_it(replicas, monkeypatch):
    a, b = replicas
    b.book  # noqa: B018  (b looks now, then not again for CARD_REFRESH_S)
    a.insert_calls(_priced(a, [_row("x1")]))
    result = a.add_card(_card(), dry_run=False)
    assert result.rows == 1
    stale = _priced(b, [_row("x2", hour=2)])  # b has not looked yet: priced with its old book, an estimate
    assert stale[0].pricing_unknown
    b.insert_calls(stale, priced_with=b._book)
    assert _spend(a)[2] == 1  # the stale row, until b looks
    monkeypatch.setattr(_clickhouse, "CARD_REFRESH_S", 0.0)
    b.ping()  # a health check: b looks, sees the card, reprices what it stored with the old book
    expected = 2 * (Decimal("3.000000000001") + Decimal("0.015"))
    for store in (a, b):
        calls, cost, unpriced = _spend(store)
        assert (calls, cost, unpriced) == (2, expected, 0)
    notes = [r["note"] for r in a.repricings().to_pylist() if r["card_id"] == result.card.card_id]
    assert SWEEP_NOTE in notes


def test_replicas_starting_at_once_migrate_and_seed_once():
    url = _url()
    stores, errors = [], []

    def start():
        try:
            stores.append(open_store(url))
        except Exception as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=start) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    try:
        assert not errors
        cards = stores[0].rate_cards().num_rows
        assert cards == len(stores[0].book.cards) > 0
        keys = stores[0].rate_cards().select(["model", "effective_from"]).to_pylist()
        assert len({(k["model"], k["effective_from"]) for k in keys}) == cards
        names = stores[0].query("SELECT name FROM _migrations FINAL").column("name").to_pylist()
        assert len(names) == len(set(names)) == len(MIGRATIONS)
    finally:
        for store in stores:
            store.close()


def test_replays_copies_and_repricing_give_the_same_figures_to_the_digit_on_duckdb_and_clickhouse(tmp_path):
    duck = Store.open(tmp_path / "ledger.duckdb")
    house = open_store(_url())
    try:
        rows = [
            _row("d1"), _row("d2", response_id="r-9"), _row("d3", response_id="r-9", layer="agents"),
            _row("d4", hour=30), replace(_row("d5", model="claude-haiku-4-5"), input_tokens=3, output_tokens=7),
        ]  # fmt: skip
        for store in (duck, house):
            store.insert_calls(_priced(store, rows))
            store.insert_calls(_priced(store, rows[:2]))  # a replay
        figures = []
        for store in (duck, house):
            preview = store.add_card(_card(input_rate="0.000000000007"), dry_run=True)
            applied = store.add_card(_card(input_rate="0.000000000007"), dry_run=False)
            spend = store.spend(["day", "layer"], CallFilter()).to_pylist()
            figures.append(((preview.rows, preview.old_cost_usd, preview.new_cost_usd), applied.new_cost_usd, spend))
        assert figures[0] == figures[1]
        assert figures[0][0][0] == 3
    finally:
        duck.close()
        house.close()


@pytest.mark.skipif(
    not os.environ.get(CLICKHOUSE_URL_ENV),
    reason=f"needs a ClickHouse server: set {CLICKHOUSE_URL_ENV}=clickhouse://user:password@host:8123 "
    "(none can be installed on these machines)",
)
def test_two_collector_processes_on_one_clickhouse_server(tmp_path):
    from helpers.collector import store_url

    url = store_url("clickhouse", tmp_path, "subprocess")  # a fresh database on the server, for both
    (tmp_path / "one").mkdir()
    (tmp_path / "two").mkdir()
    first = launch_collector(tmp_path / "one", mode="subprocess", db=url)
    second = launch_collector(tmp_path / "two", mode="subprocess", db=url)
    try:
        spans = [otlp_json_span(f"{i:016x}", {"gen_ai.operation.name": "chat", "gen_ai.request.model": MODEL,
                                             "gen_ai.response.id": f"resp-{i % 3}", "gen_ai.usage.input_tokens": 10,
                                             "gen_ai.usage.output_tokens": 1}) for i in range(6)]  # fmt: skip
        for collector in (first, second, first):  # replays, and copies of three response ids, on both
            assert httpx.post(collector.url + "/v1/traces", json=otlp_json_request(spans)).status_code == 200
        body = {"model": MODEL, "effective_from": "2020-01-01T00:00:00+00:00", "input_usd_per_mtok": "1",
                "output_usd_per_mtok": "2", "source": "test"}  # fmt: skip
        assert httpx.post(first.url + "/api/v1/rates", json=body).status_code in (200, 201)
        for collector in (first, second):
            (row,) = httpx.get(collector.url + "/api/v1/spend", params={"group_by": "none"}).json()["rows"]
            assert (row["calls"], row["unpriced_calls"]) == (3, 0)
    finally:
        first.stop()
        second.stop()

"""End to end in a real headless browser: collector and `tokenledger dashboard` as processes, Debian's chromium.

Opens the Overview on the seed's month, checks the layer totals against the fed spans, prices the unpriced model
that has a suggestion through the Review page, sees it leave the queue, and saves screenshots in test-artifacts/.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from helpers.collector import free_port
from test_dashboard_app import ADMIN, IN_PERIOD, PERIOD, READ, SEED, expected_banner, expected_by_layer, feed

import rates
from dashboard.money import format_usd

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "test-artifacts"
START_TIMEOUT_S = 60

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(
        not os.access(CHROMIUM, os.X_OK), reason=f"no {CHROMIUM}: install Debian's chromium (.ci/run does) to run it"
    ),
]


@pytest.fixture
def dashboard(start_collector, send_spans, tmp_path):
    """The collector (a process) holding the seed, and `tokenledger dashboard` (a process) reading it."""
    collector = start_collector(tmp_path, mode="subprocess", TOKENLEDGER_ADMIN_TOKEN=ADMIN, TOKENLEDGER_READ_TOKEN=READ)
    feed(
        collector.url,
        lambda url, build, **kw: send_spans(url, build, headers={"Authorization": f"Bearer {ADMIN}"}, **kw),
    )
    port = free_port()
    env = {**os.environ, "TOKENLEDGER_READ_TOKEN": READ, "TOKENLEDGER_ADMIN_TOKEN": ADMIN}
    log_path = tmp_path / "dashboard.log"
    with log_path.open("wb") as log:
        command = [sys.executable, "-m", "tokenledger", "dashboard", "--collector", collector.url, "--port", str(port)]
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        while True:
            assert process.poll() is None, log_path.read_text(errors="replace")
            try:
                if httpx.get(url + "/_stcore/health", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "dashboard did not start: " + log_path.read_text(errors="replace")
            time.sleep(0.1)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=15)


def test_dashboard_in_chromium(dashboard):
    from playwright.sync_api import expect, sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    query = f"?from={PERIOD['from']}&to={PERIOD['to']}"
    want = expected_by_layer(IN_PERIOD)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1100})
        page.set_default_timeout(30_000)
        expect.set_options(timeout=30_000)  # the assertions wait as long as the actions (5 s is short on a busy CI)
        try:
            page.goto(dashboard + "/" + query)
            table = page.get_by_test_id("stTable").first
            expect(table).to_contain_text("research-notebook")
            rows = {}
            for tr in table.locator("tbody tr").all():
                cells = [c.strip() for c in tr.locator("th, td").all_inner_texts()]
                rows[cells[0]] = cells
            assert set(rows) == set(want)
            for layer, money in want.items():
                # Layer, Calls, Priced, Estimated, Total incl. estimates, Previous period, Change
                assert rows[layer][2:5] == [format_usd(money[k]) for k in ("priced", "estimated", "total")], layer
            expect(page.get_by_text(expected_banner())).to_be_visible()
            assert page.get_by_test_id("stException").count() == 0
            shot = ARTIFACTS / "dashboard-e2e-overview.png"
            page.screenshot(path=str(shot))
            print(f"screenshot: {shot}")

            # Review: gpt-4o-mini (the most expensive unpriced model) is preselected and prefilled from its suggestion
            page.get_by_role("link", name="Review unpriced models").click()
            expect(page.get_by_role("heading", name="Review unpriced models")).to_be_visible()
            expect(page.get_by_label("Input, USD per million tokens")).to_have_value("0.15")
            page.get_by_role("button", name="Preview repricing").click()
            preview = page.get_by_test_id("stTable").last
            expect(preview).to_contain_text("Rows repriced")
            expect(preview).to_contain_text(
                format_usd(next(c for c in SEED if c.model == "gpt-4o-mini").price().cost_usd)
            )
            page.get_by_role("button", name="Apply card").click()
            expect(page.get_by_text("gpt-4o-mini now has a rate card")).to_be_visible()
            remaining = [c for c in SEED if c.model == "grok-9-preview"]
            expect(page.get_by_text(expected_banner(remaining))).to_be_visible()
            shot = ARTIFACTS / "dashboard-e2e-review.png"
            page.screenshot(path=str(shot), full_page=True)
            print(f"screenshot: {shot}")
            assert page.get_by_test_id("stException").count() == 0

            # back on the Overview, that model's spend now counts as priced, at the suggested card's rates
            page.get_by_role("link", name="Overview").click()
            gpt = next(c for c in SEED if c.model == "gpt-4o-mini")
            book = rates.RateBook([rates.suggest_card("gpt-4o-mini")])
            priced = rates.price_call(book, gpt.model, gpt.input_tokens, gpt.output_tokens, at=gpt.start).cost_usd
            row = page.get_by_test_id("stTable").first.locator("tbody tr", has_text="research-notebook")
            expect(row).to_contain_text(format_usd(priced))
            cells = [c.strip() for c in row.locator("th, td").all_inner_texts()]
            assert cells[2:4] == [format_usd(priced), "$0.00"]
        except Exception:
            shot = ARTIFACTS / "dashboard-e2e-failure.png"
            page.screenshot(path=str(shot), full_page=True)
            print(f"failure screenshot: {shot}")
            raise
        finally:
            browser.close()

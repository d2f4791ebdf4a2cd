"""The test helpers' collector modes: what a test may rely on in each."""

from __future__ import annotations

import logging

import pytest


def test_asgi_mode_has_a_client_and_no_url_and_logs_the_collectors_records(start_collector, tmp_path):
    collector = start_collector(tmp_path, mode="asgi")
    assert collector.client.get("/healthz").status_code == 200
    with pytest.raises(AssertionError, match="use handle.client"):
        _ = collector.url
    with pytest.raises(AssertionError, match="kill\\(\\) needs mode='subprocess'"):
        collector.kill()
    collector.restart()  # the same file again: what was stored is there
    assert collector.client.get("/api/v1/calls").json()["total"] == 0
    assert "collector is OPEN" in collector.logs()


def test_an_in_process_collector_never_raises_the_level_a_test_set(start_collector, tmp_path, caplog):
    caplog.set_level(logging.DEBUG)
    collector = start_collector(tmp_path, mode="thread")
    logging.getLogger("collector.tests").debug("a debug line the test wants to see")
    assert any(r.getMessage() == "a debug line the test wants to see" for r in caplog.records)
    assert collector.client.get("/healthz").status_code == 200


def test_thread_mode_client_and_url_reach_the_same_collector(start_collector, tmp_path):
    import httpx

    collector = start_collector(tmp_path, mode="thread")
    assert httpx.get(collector.url + "/healthz").status_code == collector.client.get("/healthz").status_code == 200
    collector.restart()  # the same port: the client reconnects
    assert collector.client.get("/healthz").status_code == 200

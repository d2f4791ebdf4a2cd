"""`tokenledger dashboard` checks its collector URL at start-up, and the page names a server that is not one."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from conftest import ROOT, free_port
from streamlit.testing.v1 import AppTest
from test_dashboard_app import APP

from dashboard import NotACollector, ReadClient
from dashboard._cli import checked_environment
from dashboard.settings import SettingsError, collector_url, load_settings


class _NotACollector(BaseHTTPRequestHandler):
    """Answers every GET with an HTML page, as the dashboard (Streamlit) itself does for /healthz."""

    def do_GET(self) -> None:  # noqa: N802 - the stdlib's name
        body = b"<!doctype html><html><body>some other app</body></html>"
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def other_server() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", free_port()), _NotACollector)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()
    thread.join(timeout=10)


def dashboard_command(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    environ = {k: v for k, v in os.environ.items() if k != "TOKENLEDGER_COLLECTOR_URL"}
    return subprocess.run(
        [sys.executable, "-m", "tokenledger", "dashboard", "--port", str(free_port()), *args],
        cwd=ROOT,
        env={**environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize("url", ["127.0.0.1:4318", "localhost:4318", "ftp://127.0.0.1:4318", "http://", "http://h:x"])
def test_collector_url_needs_http_and_a_host(url):
    with pytest.raises(SettingsError, match="--collector must be an http"):
        collector_url(url, "--collector")
    with pytest.raises(SettingsError, match="TOKENLEDGER_COLLECTOR_URL must be an http"):
        load_settings({"TOKENLEDGER_COLLECTOR_URL": url})
    assert collector_url(" https://ledger.example:8443/ ", "--collector") == "https://ledger.example:8443"


def test_a_bad_flag_stops_the_command_and_names_the_flag():
    done = dashboard_command("--collector", "127.0.0.1:4318")
    assert done.returncode == 2
    assert "--collector must be an http(s) URL" in done.stderr and "TOKENLEDGER_COLLECTOR_URL" not in done.stderr


def test_a_bad_variable_stops_the_command_and_names_the_variable():
    done = dashboard_command(env={"TOKENLEDGER_COLLECTOR_URL": "localhost:4318"})
    assert done.returncode == 2 and "TOKENLEDGER_COLLECTOR_URL must be an http(s) URL" in done.stderr


def test_a_server_that_is_not_a_collector_stops_the_command(other_server):
    done = dashboard_command("--collector", other_server)
    assert done.returncode == 2
    assert "is not a tokenledger collector" in done.stderr and "--collector" in done.stderr


def test_an_unreachable_collector_is_a_warning_only(capsys):
    url = f"http://127.0.0.1:{free_port()}"
    env = checked_environment(argparse.Namespace(collector=url + "/"), {})
    assert env == {"TOKENLEDGER_COLLECTOR_URL": url}
    assert "warning: Cannot reach the collector" in capsys.readouterr().err


def test_a_real_collector_is_identified(start_collector, tmp_path, capsys):
    handle = start_collector(tmp_path, mode="thread")
    env = checked_environment(argparse.Namespace(collector=None), {"TOKENLEDGER_COLLECTOR_URL": handle.url})
    assert env is not None and env["TOKENLEDGER_COLLECTOR_URL"] == handle.url
    assert capsys.readouterr().err == ""
    with ReadClient(handle.url) as client:
        assert client.identify() == "ok"
        assert client.healthz() == {"status": "ok", "service": "tokenledger-collector"}


def test_the_page_says_the_url_is_not_a_collector(other_server, monkeypatch):
    with ReadClient(other_server) as client, pytest.raises(NotACollector):
        client.identify()
    monkeypatch.setenv("TOKENLEDGER_COLLECTOR_URL", other_server)
    at = AppTest.from_file(str(APP), default_timeout=60).run()
    assert not at.exception
    assert "is not a tokenledger collector" in at.error[0].value

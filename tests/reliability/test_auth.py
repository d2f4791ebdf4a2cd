"""Every endpoint against every credential (none, wrong, ingest, read, admin) for every token configuration; and no
token in any log line at debug level (full suite only). The matrix is fast: part of `make test`."""

from __future__ import annotations

import itertools

import httpx
import pytest
from fastapi.testclient import TestClient
from helpers import routes

from collector import Settings, create_app

TOKENS = {"ingest": "ingest-token-7f3a9c", "read": "read-token-b41e0d", "admin": "admin-token-c9d2e8"}
CREDENTIALS = ["none", "wrong", "ingest", "read", "admin"]
ENDPOINTS = [(method, path, scope.scope) for (method, path), scope in routes.EXAMPLES.items()]
"""Every route the collector mounts, with the scope docs/api.md gives it (helpers/routes.py; coverage checked below)."""
CONFIGS = [frozenset(c) for n in range(4) for c in itertools.combinations(TOKENS, n)]
"""Every subset of the three tokens: 8 configurations."""


def allowed(scope: str, configured: frozenset[str], credential: str) -> bool:
    """The access rule, stated independently of collector/deps.py (docs/api.md)."""
    if scope == "open" or not configured:
        return True
    presented = credential if credential in configured else None
    if scope == "admin":
        return presented == "admin"
    if scope not in configured and "admin" not in configured:
        return True  # this scope's token and the admin token are both unset: the scope is open
    return presented in (scope, "admin")


def _headers(credential: str) -> dict[str, str]:
    if credential == "none":
        return {}
    token = TOKENS.get(credential, "not-a-configured-token")
    return {"authorization": f"Bearer {token}"}


def _request(client, method: str, path: str, credential: str):
    return routes.send(client, (method, path), headers=_headers(credential))


def test_the_matrix_covers_every_route():
    assert not routes.missing_examples(), "add the route to EXAMPLES in tests/helpers/routes.py"


@pytest.mark.parametrize("configured", CONFIGS, ids=lambda c: "+".join(sorted(c)) or "no-tokens")
def test_every_endpoint_against_every_credential(tmp_path, configured):
    settings = Settings(db_path=tmp_path / "t.duckdb", **{f"{name}_token": TOKENS[name] for name in configured})
    wrong = []
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        for (method, path, scope), credential in itertools.product(ENDPOINTS, CREDENTIALS):
            status = _request(client, method, path, credential).status_code
            expected_ok = allowed(scope, configured, credential)
            permitted = routes.EXAMPLES[(method, path)].ok  # a valid request: refused only by auth, if at all
            if status >= 500 or (status == 401) == expected_ok or (expected_ok and status not in permitted):
                wrong.append((method, path, credential, status, "allowed" if expected_ok else "denied"))
    assert not wrong


@pytest.mark.reliability  # starts a collector process: full suite only
def test_no_token_in_any_log_line_at_debug_level(start_collector, tmp_path):
    env = {f"TOKENLEDGER_{name.upper()}_TOKEN": token for name, token in TOKENS.items()}
    collector = start_collector(tmp_path, TOKENLEDGER_LOG_LEVEL="debug", **env)
    with httpx.Client(base_url=collector.url, timeout=30) as client:
        for (method, path, _), credential in itertools.product(ENDPOINTS, [*CREDENTIALS, "wrong"]):
            assert _request(client, method, path, credential).status_code < 500
        # A token in odd places: the query string and a malformed header.
        client.get("/api/v1/calls", params={"token": TOKENS["read"]}, headers={"authorization": TOKENS["admin"]})
    collector.stop()
    logs = collector.logs()
    assert "DEBUG" in logs or "debug" in logs  # the collector really logged at debug level
    for token in [*TOKENS.values(), "not-a-configured-token"]:
        assert token not in logs

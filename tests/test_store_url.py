"""`--db` / TOKENLEDGER_DB: which store a value names, checked at start, and never a password in a log line."""

from __future__ import annotations

from pathlib import Path

import pytest

from collector import Settings, SettingsError
from collector.store import parse_db, redact
from collector.store._url import ClickHouseTarget


def test_a_path_or_duckdb_url_is_duckdb():
    assert parse_db("data/x.duckdb") == Path("data/x.duckdb")
    assert parse_db("duckdb:///var/lib/x.duckdb") == Path("/var/lib/x.duckdb")
    assert Settings.from_env({"TOKENLEDGER_DB": "duckdb:///tmp/l.duckdb"}).db_path == Path("/tmp/l.duckdb")


def test_clickhouse_urls():
    server = parse_db("clickhouse://ledger:s3cret@ch.internal:8123/finance")
    assert server == ClickHouseTarget("clickhouse", "finance", host="ch.internal", port=8123, user="ledger",
                                      password="s3cret")  # fmt: skip
    tls = parse_db("clickhouses://ch.internal/finance?cluster=main")
    assert (tls.port, tls.user, tls.cluster) == (8443, "default", "main")
    embedded = parse_db("chdb:///var/lib/ledger?database=t1")
    assert (embedded.embedded, embedded.path, embedded.database) == (True, "/var/lib/ledger", "t1")
    assert parse_db("chdb:///var/lib/ledger").database == "tokenledger"


def test_the_url_is_kept_as_text_in_settings_and_the_password_never_shows():
    url = "clickhouse://ledger:s3cret@ch.internal:8123/finance"
    settings = Settings.from_env({"TOKENLEDGER_DB": url})
    assert settings.db_path == url
    assert "s3cret" not in repr(settings) and "s3cret" not in repr(parse_db(url))
    assert redact(url) == "clickhouse://ledger@ch.internal:8123/finance"


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("postgres://u:p@h/db", "unknown store scheme 'postgres'"),
        ("chdb://", "chdb URLs take a data directory"),
        ("clickhouse:///finance", "clickhouse:// URLs need a host"),
        ("clickhouse://h/fin;ance", "must be letters, digits and underscores"),
        ("duckdb://relative.duckdb", "absolute path"),
    ],
)
def test_a_bad_store_fails_at_start_naming_the_variable(value, message):
    with pytest.raises(SettingsError, match=message) as caught:
        Settings.from_env({"TOKENLEDGER_DB": value})
    assert str(caught.value).startswith("TOKENLEDGER_DB: ")
    with pytest.raises(SettingsError, match="^--db: "):
        Settings.from_env({}, db_path=value)

"""``moo-markets schedule set/reset``: refusals, as a process (the success path is in
``tests/test_cron_change_e2e.py`` against a real webserver and daemon)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest


def cli(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "moo_markets.cli", "schedule", *args],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (("set", "1", "0 0 31 2 *"), "schedule: '0 0 31 2 *' never fires"),
        (("set", "listed_companies", "* * *"), "has 3 field(s); use 5"),
        (("reset", "nine"), "unknown job 'nine'"),
    ],
)
def test_bad_input_exits_2_saying_why(args, words, sqlite_database):
    result = cli(*args, MOO_MARKETS_DATABASE_URL=sqlite_database)
    assert result.returncode == 2, result.stdout + result.stderr
    assert words in result.stderr and "Traceback" not in result.stderr


def test_no_webserver_exits_1_and_stores_nothing(sqlite_database):
    from moo_markets.warehouse import schedule_overrides
    from moo_markets.warehouse.engine import get_engine

    result = cli(
        "set",
        "1",
        "30 18 * * 1-5",
        "--dagster-url",
        "http://127.0.0.1:9",
        MOO_MARKETS_DATABASE_URL=sqlite_database,
    )
    assert result.returncode == 1, result.stdout + result.stderr
    assert "the Dagster webserver does not answer" in result.stderr
    with get_engine(sqlite_database).connect() as connection:
        assert schedule_overrides.read(connection) == {}

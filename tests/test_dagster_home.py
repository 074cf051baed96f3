"""A fresh DAGSTER_HOME's storage is created by one process before any Dagster process starts.

Webserver, daemon, code server and ``dagster instance concurrency set`` each create and
stamp a fresh home's SQLite storage when they open it; started together they raced to
"Version table 'alembic_version' has more than one head present" (moo_markets.dagster_home).
"""

from __future__ import annotations

import argparse
import sqlite3
import subprocess
import sys
from contextlib import closing
from pathlib import Path

from support.dagster_processes import DagsterProcesses, free_port, write_instance

from moo_markets import devserver
from moo_markets.dagster_home import initialise_storage

STORAGE = ("history/runs.db", "history/runs/index.db", "schedules/schedules.db")


def revisions(home: Path) -> dict[str, list[str]]:
    """Each SQLite storage database's Alembic revisions ([] while not created or stamped)."""
    found: dict[str, list[str]] = {}
    for name in STORAGE:
        path = home / name
        rows: list[tuple[str]] = []
        if path.exists():
            with closing(sqlite3.connect(path)) as connection:
                try:
                    rows = connection.execute("SELECT version_num FROM alembic_version").fetchall()
                except sqlite3.OperationalError:  # no alembic_version table yet
                    pass
        found[name] = [row[0] for row in rows]
    return found


def stamped_once(found: dict[str, list[str]]) -> bool:
    return all(len(versions) == 1 for versions in found.values())


def test_the_test_stack_creates_the_storage_before_starting_any_process(tmp_path, monkeypatch):
    home = tmp_path / "home"
    write_instance(home, None)
    stack = DagsterProcesses(home, {}, log_dir=tmp_path / "logs", code_server=True)
    seen: dict[str, dict[str, list[str]]] = {}
    monkeypatch.setattr(stack, "_spawn", lambda name, argv: seen.setdefault(name, revisions(home)))
    monkeypatch.setattr(stack, "wait_ready", lambda timeout: None)
    stack.start()
    assert list(seen) == ["code_server", "webserver", "daemon"]
    for name, found in seen.items():
        assert stamped_once(found), (name, found)


def test_moo_markets_dev_creates_the_storage_before_starting_any_process(tmp_path, monkeypatch):
    home = tmp_path / "home"
    parser = argparse.ArgumentParser()
    devserver.add_arguments(parser)
    args = parser.parse_args(
        ["--port", str(free_port()), "--api-port", str(free_port()),
         "--sim-port", str(free_port()), "--home", str(home)]
    )  # fmt: skip
    monkeypatch.delenv("DAGSTER_HOME", raising=False)
    monkeypatch.setenv("DAGSTER_HOME", str(home))  # restored after the test (run() sets it)
    monkeypatch.delenv("JQUANTS_API_KEY", raising=False)
    monkeypatch.setenv("MOO_MARKETS_DATABASE_URL", f"sqlite:///{tmp_path / 'warehouse.db'}")
    seen: list[tuple[list[str], dict[str, list[str]]]] = []

    def supervise(self, commands):
        seen.append(([name for name, _ in commands], revisions(home)))
        return 0

    monkeypatch.setattr(devserver.Supervisor, "run", supervise)
    assert devserver.run(args) == 0
    [(names, found)] = seen
    assert {"code-server", "webserver", "daemon"} <= set(names)
    assert stamped_once(found), found


def test_processes_opening_an_initialised_home_at_once_all_succeed(tmp_path):
    """What the ordering buys: without initialise_storage, 3 such processes failed or left
    two revisions behind in 7 of 8 trials."""
    home = tmp_path / "home"
    write_instance(home, None)
    initialise_storage(home)
    initialise_storage(home)  # again: an initialised home is only opened
    assert stamped_once(before := revisions(home)), before
    code = "import dagster as dg\nwith dg.DagsterInstance.get() as i: i.get_runs(limit=1)"
    env = {"DAGSTER_HOME": str(home), "PATH": "/usr/bin:/bin"}
    opening = [
        subprocess.Popen([sys.executable, "-c", code], env=env, stderr=subprocess.PIPE, text=True)
        for _ in range(3)
    ]
    errors = [(p.communicate(timeout=120)[1], p.returncode) for p in opening]
    assert [code for _, code in errors] == [0, 0, 0], errors
    assert revisions(home) == before

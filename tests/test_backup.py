"""Backup and restore round trips on SQLite and PostgreSQL, through the real CLI."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from pathlib import Path

import dagster as dg
import pytest
import sqlalchemy as sa

from moo_markets.core.catalog import JOBS
from moo_markets.listed_companies.assets import listed_companies
from moo_markets.warehouse import get_engine
from moo_markets.warehouse.engine import dispose_engines
from moo_markets.warehouse.resource import WarehouseResource
from moo_markets.warehouse.schema import jobs
from moo_markets.warehouse.schema import listed_companies as companies_table

CLI = str(Path(sys.executable).parent / "moo-markets")
NOW = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)


def snapshot(url: str) -> tuple[list, list]:
    with get_engine(url).connect() as connection:
        companies = connection.execute(
            sa.select(companies_table).order_by(companies_table.c.date, companies_table.c.code)
        ).all()
        job_rows = connection.execute(sa.select(jobs).order_by(jobs.c.id)).all()
    return companies, job_rows


def moo(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([CLI, *args], capture_output=True, text=True, timeout=300)


def test_round_trip(simulator, make_jquants, warehouse_url, tmp_path) -> None:
    with dg.instance_for_test() as instance:
        assert dg.materialize(
            [listed_companies],
            resources={
                "jquants": make_jquants(simulator),
                "warehouse": WarehouseResource(database_url=warehouse_url),
            },
            run_config={"ops": {"listed_companies": {"config": {"date": "2026-03-02"}}}},
            instance=instance,
        ).success
    with get_engine(warehouse_url).begin() as connection:
        connection.execute(
            sa.insert(jobs),
            [
                {
                    "id": j.id,
                    "name": j.name,
                    "job_type": j.job_type,
                    "schedule": j.default_cron,
                    "is_enabled": j.id == 1,
                    "inserted_at": NOW,
                    "updated_at": NOW,
                }
                for j in JOBS
            ],
        )
    before = snapshot(warehouse_url)
    assert len(before[0]) > 4000 and len(before[1]) == len(JOBS)

    backup_file = tmp_path / "moo.backup"
    result = moo("backup", str(backup_file), "--database-url", warehouse_url)
    assert result.returncode == 0, result.stdout + result.stderr
    assert backup_file.stat().st_size > 0

    # Lose data, then restore.
    with get_engine(warehouse_url).begin() as connection:
        connection.execute(sa.delete(companies_table).where(companies_table.c.code < "5"))
        connection.execute(sa.update(jobs).values(is_enabled=False))
    dispose_engines()
    assert snapshot(warehouse_url) != before

    dispose_engines()
    result = moo("restore", str(backup_file), "--database-url", warehouse_url)
    assert result.returncode == 0, result.stdout + result.stderr
    dispose_engines()
    assert snapshot(warehouse_url) == before


def test_restore_refuses_a_file_that_is_not_a_backup(sqlite_database, tmp_path) -> None:
    get_engine(sqlite_database)
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"not a database at all" * 100)
    result = moo("restore", str(junk), "--database-url", sqlite_database)
    assert result.returncode == 1
    assert "not a SQLite database" in result.stdout or "not a moo_markets backup" in result.stdout


def test_restore_of_a_missing_file_fails_cleanly(sqlite_database, tmp_path) -> None:
    result = moo("restore", str(tmp_path / "missing"), "--database-url", sqlite_database)
    assert result.returncode == 1 and "no backup file" in result.stdout


@pytest.mark.parametrize("command", ["backup", "restore"])
def test_password_never_on_the_command_line_or_output(command, tmp_path) -> None:
    url = "postgresql://moo:hunter2secret@127.0.0.1:1/nowhere"
    result = moo(command, str(tmp_path / "x"), "--database-url", url)
    assert result.returncode == 1 and result.stdout.startswith("error: ")
    assert "Traceback" not in result.stderr
    assert "hunter2secret" not in result.stdout + result.stderr

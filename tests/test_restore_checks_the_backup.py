"""Restore on PostgreSQL refuses a file that is not a moo_markets backup (issue 12, item 8).

Real PostgreSQL and the real ``moo-markets restore`` (pg_restore). The files
offered are what an operator might pick up by mistake: a dump of Dagster's
own storage database, a dump of some other database, a file that is no dump
at all. Each is refused (on SQLite too, before the target is created) with a message saying so, and the target database -
a populated warehouse or an empty database - is left exactly as it was.
"""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa

from moo_markets.backup import backup
from moo_markets.core.catalog import JOBS
from moo_markets.warehouse import get_engine
from moo_markets.warehouse.engine import dispose_engines
from moo_markets.warehouse.migrate import upgrade
from moo_markets.warehouse.schema import jobs

CLI = str(Path(sys.executable).parent / "moo-markets")
NOW = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)


def pg_dump(url: str, path: Path) -> Path:
    dsn = sa.engine.make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    subprocess.run(
        ["pg_dump", "--format=custom", "--dbname", dsn, "--file", str(path)],
        check=True,
        capture_output=True,
        timeout=120,
    )
    return path


def dagster_storage_dump(make_postgres_database, tmp_path) -> Path:
    from dagster_postgres.event_log import PostgresEventLogStorage
    from dagster_postgres.run_storage import PostgresRunStorage

    url = make_postgres_database("moo_test_dagster")
    psycopg2_url = (
        sa.engine.make_url(url).set(drivername="postgresql+psycopg2").render_as_string(False)
    )
    PostgresRunStorage(psycopg2_url).dispose()
    PostgresEventLogStorage(psycopg2_url).dispose()
    return pg_dump(url, tmp_path / "dagster.dump")


def foreign_dump(make_postgres_database, tmp_path) -> Path:
    url = make_postgres_database("moo_test_foreign")
    engine = sa.create_engine(sa.engine.make_url(url).set(drivername="postgresql+psycopg"))
    with engine.begin() as connection:
        connection.execute(sa.text("CREATE TABLE jobs (id integer PRIMARY KEY, note text)"))
        connection.execute(sa.text("INSERT INTO jobs VALUES (1, 'not ours')"))
    engine.dispose()
    return pg_dump(url, tmp_path / "foreign.dump")


def not_a_dump(_make_postgres_database, tmp_path) -> Path:
    path = tmp_path / "notes.txt"
    path.write_text("just some notes\n" * 50)
    return path


def state(url: str) -> tuple[list[str], list]:
    """Tables of the database and the mirror's job rows, if it has them."""
    engine = sa.create_engine(sa.engine.make_url(url).set(drivername="postgresql+psycopg"))
    try:
        tables = sorted(sa.inspect(engine).get_table_names())
        with engine.connect() as connection:
            rows = connection.execute(sa.select(jobs)).all() if "jobs" in tables else []
        return tables, rows
    finally:
        engine.dispose()


def populated_warehouse(make_postgres_database) -> str:
    url = make_postgres_database("moo_test_target")
    upgrade(get_engine(url))
    with get_engine(url).begin() as connection:
        connection.execute(
            sa.insert(jobs),
            [
                {
                    "id": j.id,
                    "name": j.name,
                    "job_type": j.job_type,
                    "schedule": j.default_cron,
                    "is_enabled": True,
                    "inserted_at": NOW,
                    "updated_at": NOW,
                }
                for j in JOBS
            ],
        )
    dispose_engines()
    return url


@pytest.mark.postgres
@pytest.mark.parametrize(
    ("make_file", "target"),
    [
        (dagster_storage_dump, "populated"),
        (dagster_storage_dump, "empty"),  # the case nothing else would have stopped
        (foreign_dump, "populated"),
        (not_a_dump, "empty"),
    ],
)
def test_restore_refuses_what_is_not_a_moo_markets_backup(
    make_file, target, make_postgres_database, tmp_path
) -> None:
    path = make_file(make_postgres_database, tmp_path)
    if target == "populated":
        url = populated_warehouse(make_postgres_database)
    else:
        url = make_postgres_database("moo_test_empty")
    before = state(url)

    result = subprocess.run(
        [CLI, "restore", str(path), "--database-url", url],
        capture_output=True,
        text=True,
        timeout=120,
    )
    print(result.stdout)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "is not a moo_markets backup" in result.stdout, result.stdout
    assert "Traceback" not in result.stderr
    assert state(url) == before


@pytest.mark.postgres
def test_a_moo_markets_backup_is_still_accepted(make_postgres_database, tmp_path) -> None:
    source = populated_warehouse(make_postgres_database)
    path = tmp_path / "moo.backup"
    backup(source, path)
    target = make_postgres_database("moo_test_empty")
    result = subprocess.run(
        [CLI, "restore", str(path), "--database-url", target],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert state(target) == state(source)


def test_sqlite_target_is_not_created_for_a_file_that_is_not_a_backup(tmp_path) -> None:
    target = tmp_path / "new" / "warehouse.db"
    result = subprocess.run(
        [CLI, "restore", not_a_dump(None, tmp_path), "--database-url", f"sqlite:///{target}"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 1 and "not a SQLite database" in result.stdout, result.stdout
    assert not target.exists()

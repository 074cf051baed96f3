"""The warehouse: explicit migrations that match the declared schema, Tokyo times, no Dagster DB."""

from __future__ import annotations

import datetime as dt
import logging
import subprocess
import sys

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from moo_markets.warehouse import WarehouseConfigError, get_engine, resolve_database_url
from moo_markets.warehouse.engine import dispose_engines
from moo_markets.warehouse.migrate import (
    _config,
    current_revision,
    head_revision,
    startup_check,
    upgrade,
)
from moo_markets.warehouse.schema import jobs, metadata

TOKYO = dt.timezone(dt.timedelta(hours=9))


def test_migrations_produce_exactly_the_declared_schema(warehouse_url: str) -> None:
    engine = get_engine(warehouse_url)
    with engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"compare_type": True, "version_table": "moo_markets_alembic_version"}
        )
        diff = [
            d
            for d in compare_metadata(context, metadata)
            # SQLite reflects no table comments; irrelevant there.
            if not (
                engine.dialect.name == "sqlite"
                and d[0] in ("add_table_comment", "remove_table_comment")
            )
        ]
    assert diff == []


def test_an_engine_never_migrates_and_upgrade_is_idempotent(tmp_path) -> None:
    url = f"sqlite:///{tmp_path / 'fresh.db'}"
    engine = get_engine(url)
    assert sa.inspect(engine).get_table_names() == []  # getting an engine changed nothing
    assert upgrade(engine) == (None, head_revision())
    dispose_engines()  # as a fresh process would
    engine = get_engine(url)
    assert upgrade(engine) == (head_revision(), head_revision())
    with engine.connect() as connection:
        assert current_revision(connection) == head_revision() == "0007"


def test_startup_check_upgrades_once_and_says_so(tmp_path, caplog) -> None:
    url = f"sqlite:///{tmp_path / 'startup.db'}"
    with caplog.at_level(logging.INFO, logger="moo_markets.warehouse.migrate"):
        startup_check(url)
        startup_check(url)
    lines = [r.getMessage() for r in caplog.records]
    assert len(lines) == 1 and "upgraded from empty to 0007" in lines[0], lines


def test_startup_check_warns_and_goes_on_when_unreachable(caplog) -> None:
    url = "postgresql://nobody@127.0.0.1:9/none"  # nothing listens on port 9
    with caplog.at_level(logging.INFO, logger="moo_markets.warehouse.migrate"):
        startup_check(url)
    [record] = caplog.records
    assert record.levelno == logging.WARNING and "unreachable" in record.getMessage()


def test_db_upgrade_command(tmp_path) -> None:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    run = [sys.executable, "-m", "moo_markets.cli", "db", "upgrade", "--database-url", url]
    first = subprocess.run(run, capture_output=True, text=True, timeout=120)
    assert first.returncode == 0, first.stderr
    assert "upgraded from empty to 0007" in first.stdout
    again = subprocess.run(run, capture_output=True, text=True, timeout=120)
    assert "is at head (0007)" in again.stdout


def test_sqlite_times_are_iso_with_the_tokyo_offset(sqlite_database: str) -> None:
    engine = get_engine(sqlite_database)
    when = dt.datetime(2026, 11, 30, 23, 15, tzinfo=dt.UTC)
    with engine.begin() as connection:
        connection.execute(
            sa.insert(jobs).values(
                id=1, name="n", job_type="t", schedule="* * * * *", next_run_at=when,
                inserted_at=when, updated_at=when,
            )
        )  # fmt: skip
        raw = connection.exec_driver_sql("SELECT next_run_at FROM jobs").scalar_one()
        read = connection.execute(sa.select(jobs.c.next_run_at)).scalar_one()
    assert raw == "2026-12-01T08:15:00.000000+09:00"
    assert read == when and read.utcoffset() == dt.timedelta(hours=9)


def test_upgrade_rewrites_older_sqlite_times(tmp_path) -> None:
    """Version 0001 stored offset-less UTC text; 0002 rewrites it as Tokyo ISO text."""
    engine = get_engine(f"sqlite:///{tmp_path / 'old.db'}")
    with engine.begin() as connection:
        command.upgrade(_config(connection), "0001")
        connection.exec_driver_sql(
            "INSERT INTO jobs (id, name, job_type, schedule, is_enabled, next_run_at, "
            "inserted_at, updated_at) VALUES (1, 'n', 't', 's', 0, '2026-11-30 23:15:00.000000', "
            "'2026-11-30 23:15:00', '2026-11-30 23:15:00')"
        )
    upgrade(engine)
    with engine.connect() as connection:
        raw = connection.exec_driver_sql("SELECT next_run_at, inserted_at FROM jobs").one()
    assert tuple(raw) == ("2026-12-01T08:15:00.000000+09:00",) * 2


@pytest.mark.postgres
def test_postgres_keeps_timestamptz(postgres_database: str) -> None:
    engine = get_engine(postgres_database)
    when = dt.datetime(2026, 12, 1, 8, 15, tzinfo=TOKYO)
    with engine.begin() as connection:
        connection.execute(
            sa.insert(jobs).values(
                id=1, name="n", job_type="t", schedule="s", next_run_at=when,
                inserted_at=when, updated_at=when,
            )
        )  # fmt: skip
        assert connection.execute(sa.select(jobs.c.next_run_at)).scalar_one() == when


def test_refuses_the_database_holding_dagster_storage(make_postgres_database) -> None:
    """Dagster's PostgreSQL storage has its own `jobs` table: sharing a database must fail loudly."""
    from dagster_postgres import PostgresEventLogStorage, PostgresRunStorage

    url = make_postgres_database("moo_test")
    storage_url = sa.engine.make_url(url).set(drivername="postgresql+psycopg2")
    PostgresRunStorage(storage_url.render_as_string(hide_password=False))
    PostgresEventLogStorage(storage_url.render_as_string(hide_password=False))
    with pytest.raises(WarehouseConfigError, match="Dagster's own storage"):
        upgrade(get_engine(url))


def test_url_rules(monkeypatch, tmp_path) -> None:
    monkeypatch.delenv("MOO_MARKETS_DATABASE_URL", raising=False)
    monkeypatch.chdir(tmp_path)
    assert resolve_database_url() == f"sqlite:///{tmp_path.resolve() / 'data' / 'moo_markets.db'}"
    monkeypatch.setenv("MOO_MARKETS_DATABASE_URL", "postgresql://u:p@h/db")
    assert resolve_database_url() == "postgresql+psycopg://u:p@h/db"
    assert resolve_database_url("postgres://h/db") == "postgresql+psycopg://h/db"
    with pytest.raises(WarehouseConfigError, match="unsupported"):
        get_engine("mysql://u:secretpw@h/db")


def test_errors_never_show_the_password() -> None:
    with pytest.raises(WarehouseConfigError) as info:
        get_engine("mysql://u:secretpw@h/db")
    assert "secretpw" not in str(info.value)


def test_the_migration_renderer_finds_nothing_missing() -> None:
    """``python -m moo_markets.warehouse.render`` (how a new dataset gets its migration) sees
    the same schema as the migrations: nothing to render."""
    from moo_markets.warehouse.render import render

    with pytest.raises(SystemExit, match="already matches"):
        render("9999", "nothing")

"""Crons set at runtime: stored in the warehouse, read by the code location when it loads.

Precedence is override > ``MOO_MARKETS_<JOB>_CRON`` > catalog default; a warehouse that
cannot be read leaves the location loading on the environment/default crons, saying so.
"""

from __future__ import annotations

import datetime as dt
import logging

import dagster as dg
import pytest
import sqlalchemy as sa

from moo_markets.core.catalog import DAILY_BARS, JOBS, LISTED_COMPANIES
from moo_markets.core.settings import load_settings
from moo_markets.definitions import build_definitions
from moo_markets.mirror.jobs import catalog_schedules
from moo_markets.mirror.sync import sync
from moo_markets.warehouse import schedule_overrides as overrides
from moo_markets.warehouse.engine import get_engine
from moo_markets.warehouse.schema import jobs

TOKYO = dt.timezone(dt.timedelta(hours=9))


@pytest.fixture(autouse=True)
def _no_cron_variables(monkeypatch):
    for job in (LISTED_COMPANIES, DAILY_BARS):
        monkeypatch.delenv(job.cron_env_var, raising=False)


def schedules_of(defs: dg.Definitions) -> dict[str, dg.ScheduleDefinition]:
    return {s.name: s for s in defs.schedules}


def test_write_replace_read_and_clear(warehouse_url) -> None:
    engine = get_engine(warehouse_url)
    at = dt.datetime(2026, 11, 30, 9, 0, tzinfo=dt.UTC)
    with engine.begin() as connection:
        overrides.write(connection, LISTED_COMPANIES.id, "30 18 * * 1-5", "cli (ops)", at)
        overrides.write(connection, DAILY_BARS.id, "0 19 * * 1-5", "rest_api (10.0.0.1)", at)
    with engine.begin() as connection:  # a second write replaces, never duplicates
        overrides.write(connection, LISTED_COMPANIES.id, "45 18 * * 1-5", "rest_api (::1)", at)
    with engine.connect() as connection:
        stored = overrides.read(connection)
    assert set(stored) == {LISTED_COMPANIES.id, DAILY_BARS.id}
    listed = stored[LISTED_COMPANIES.id]
    assert (listed.cron, listed.set_by) == ("45 18 * * 1-5", "rest_api (::1)")
    assert listed.set_at == at and listed.set_at.utcoffset() == dt.timedelta(hours=9)
    with engine.begin() as connection:
        assert overrides.clear(connection, LISTED_COMPANIES.id) is True
        assert overrides.clear(connection, LISTED_COMPANIES.id) is False
    with engine.connect() as connection:
        assert set(overrides.read(connection)) == {DAILY_BARS.id}


def test_precedence_override_then_environment_then_default(sqlite_database, monkeypatch) -> None:
    monkeypatch.setenv("MOO_MARKETS_DATABASE_URL", sqlite_database)
    monkeypatch.setenv(LISTED_COMPANIES.cron_env_var, "0 7 * * 1-5")
    monkeypatch.setenv(DAILY_BARS.cron_env_var, "0 20 * * 1-5")
    with get_engine(sqlite_database).begin() as connection:
        overrides.write(connection, DAILY_BARS.id, "30 18 * * 1-5", "cli (ops)")
    settings = load_settings()
    crons = overrides.crons_in_force(settings)
    assert (crons["listed_companies"].cron, crons["listed_companies"].source) == (
        "0 7 * * 1-5",
        "environment",
    )
    assert (crons["daily_bars"].cron, crons["daily_bars"].source) == ("30 18 * * 1-5", "override")
    monkeypatch.delenv(LISTED_COMPANIES.cron_env_var)
    crons = overrides.crons_in_force(load_settings())
    assert (crons["listed_companies"].cron, crons["listed_companies"].source) == (
        LISTED_COMPANIES.default_cron,
        "default",
    )

    # The code location builds its schedules, and the mirror sensor its rows, on them.
    defs = build_definitions(settings, crons)
    schedule = schedules_of(defs)[DAILY_BARS.schedule_name]
    assert schedule.cron_schedule == "30 18 * * 1-5"
    assert "set at runtime by cli (ops)" in (schedule.description or "")
    assert schedule.name == "daily_bars_schedule"  # the name, hence the ON/OFF state, is kept


def test_the_mirror_shows_the_cron_in_force(warehouse_url, monkeypatch) -> None:
    monkeypatch.setenv("MOO_MARKETS_DATABASE_URL", warehouse_url)
    engine = get_engine(warehouse_url)
    with engine.begin() as connection:
        overrides.write(connection, LISTED_COMPANIES.id, "5 9 * * *", "cli (ops)")
    settings = load_settings()
    with dg.instance_for_test() as instance:
        sync(
            instance,
            engine,
            schedules=catalog_schedules(settings, crons=overrides.crons_in_force(settings)),
        )
    with engine.connect() as connection:
        rows = {r.id: r.schedule for r in connection.execute(sa.select(jobs.c.id, jobs.c.schedule))}
    assert rows == {
        job.id: "5 9 * * *" if job.id == LISTED_COMPANIES.id else job.default_cron for job in JOBS
    }


def test_an_unreadable_warehouse_falls_back_with_a_warning(tmp_path, monkeypatch, caplog):
    # A SQLite file that is not a database: connecting fails the way a broken warehouse does.
    broken = tmp_path / "broken.db"
    broken.write_bytes(b"this is not a database" * 100)
    monkeypatch.setenv("MOO_MARKETS_DATABASE_URL", f"sqlite:///{broken}")
    monkeypatch.setenv(DAILY_BARS.cron_env_var, "0 20 * * 1-5")
    settings = load_settings()
    with caplog.at_level(logging.WARNING):
        crons = overrides.crons_in_force(settings)
    assert crons["listed_companies"].cron == LISTED_COMPANIES.default_cron
    assert crons["daily_bars"].cron == "0 20 * * 1-5"
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1 and "schedule overrides" in warnings[0], warnings
    # The UI shows it too: in each catalog schedule's description.
    schedule = schedules_of(build_definitions(settings, crons))[LISTED_COMPANIES.schedule_name]
    assert "WARNING: the schedule overrides in the warehouse could not be read" in (
        schedule.description or ""
    )


def test_the_location_reads_overrides_when_it_loads_not_at_import(sqlite_database, monkeypatch):
    """`moo_markets.definitions.defs` is the factory Dagster calls on each (re)load."""
    import moo_markets.definitions as location

    monkeypatch.setenv("MOO_MARKETS_DATABASE_URL", sqlite_database)
    with get_engine(sqlite_database).begin() as connection:
        overrides.write(connection, LISTED_COMPANIES.id, "1 2 * * *", "cli (ops)")
    first = schedules_of(location.defs())[LISTED_COMPANIES.schedule_name].cron_schedule
    with get_engine(sqlite_database).begin() as connection:
        overrides.clear(connection, LISTED_COMPANIES.id)
    second = schedules_of(location.defs())[LISTED_COMPANIES.schedule_name].cron_schedule
    assert (first, second) == ("1 2 * * *", LISTED_COMPANIES.default_cron)

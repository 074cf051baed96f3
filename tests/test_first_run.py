"""A newcomer's first runs raise no false alarm: the calendar is there when checks need it.

In-process runs against the simulator, on a real (temporary) Dagster instance.
"""

from __future__ import annotations

import datetime as dt

import dagster as dg
import pytest

from moo_markets.core.settings import load_settings
from moo_markets.core.time import JST
from moo_markets.daily_bars import build_definitions as daily_bars_definitions
from moo_markets.daily_bars.assets import daily_bars
from moo_markets.daily_bars.calendar import ASSET_KEY as CALENDAR
from moo_markets.daily_bars.definitions import daily_bars_tick
from moo_markets.listed_companies.assets import listed_companies
from moo_markets.maintenance import build_definitions as maintenance_definitions
from moo_markets.maintenance.freshness import DAILY_BARS_FRESH, listed_companies_fresh
from moo_markets.warehouse.resource import WarehouseResource


@pytest.fixture
def instance():
    with dg.instance_for_test() as instance:
        yield instance


def resources(sim, url, make_jquants) -> dict:
    return {"jquants": make_jquants(sim), "warehouse": WarehouseResource(database_url=url)}


def test_listed_companies_fresh_passes_right_after_the_first_listing(
    simulator, sqlite_database, make_jquants, instance
) -> None:
    # On the simulator key's Standard plan: a Free listing is 12 weeks old, never fresh.
    result = dg.materialize(
        [listed_companies, listed_companies_fresh],
        resources={
            "jquants": make_jquants(simulator, plan="standard"),
            "warehouse": WarehouseResource(database_url=sqlite_database),
        },
        instance=instance,
    )
    (fresh,) = result.get_asset_check_evaluations()
    assert fresh.passed, fresh.description
    assert "No trading calendar" not in (fresh.description or "")
    # The calendar fetched on the way is recorded as trading_calendar's materialization.
    assert instance.get_latest_materialization_event(CALENDAR) is not None


def test_daily_bars_records_its_calendar_refresh_and_evaluates_freshness(
    simulator, sqlite_database, make_jquants, instance
) -> None:
    defs = dg.Definitions.merge(
        daily_bars_definitions(load_settings()),
        dg.Definitions(resources=resources(simulator, sqlite_database, make_jquants)),
    )
    job = defs.resolve_job_def("daily_bars_job")
    assert job.asset_layer.executable_asset_keys == {daily_bars.key}
    first = job.execute_in_process(instance=instance, partition_key="2026-03-02")
    assert first.success
    calendar_events = instance.fetch_materializations(CALENDAR, limit=10).records
    assert len(calendar_events) == 1
    assert calendar_events[0].run_id == first.run_id
    checks = {e.check_name: e for e in first.get_asset_check_evaluations()}
    assert DAILY_BARS_FRESH in checks  # evaluated by the run, not skipped

    # The stored calendar covers the next day: no second refresh, no new calendar event.
    second = job.execute_in_process(instance=instance, partition_key="2026-03-03")
    assert second.success
    assert len(instance.fetch_materializations(CALENDAR, limit=10).records) == 1


def test_freshness_job_logs_both_checks(sqlite_database, instance) -> None:
    defs = dg.Definitions.merge(
        maintenance_definitions(load_settings()),
        dg.Definitions(resources={"warehouse": WarehouseResource(database_url=sqlite_database)}),
    )
    result = defs.resolve_job_def("freshness_checks_job").execute_in_process(instance=instance)
    evaluations = {
        (e.asset_key.path[0], e.check_name) for e in result.get_asset_check_evaluations()
    }
    assert evaluations == {
        ("listed_companies", "listed_companies_fresh"),
        ("daily_bars", DAILY_BARS_FRESH),
    }


def test_schedule_skips_a_weekend_tick_of_a_custom_cron(sqlite_database) -> None:
    warehouse = WarehouseResource(database_url=sqlite_database)
    saturday = dt.datetime(2026, 3, 7, 18, 0, tzinfo=JST)
    context = dg.build_schedule_context(
        scheduled_execution_time=saturday, resources={"warehouse": warehouse}
    )
    result = daily_bars_tick(context)
    assert isinstance(result, dg.SkipReason)
    assert "2026-03-07 is a weekend" in result.skip_message

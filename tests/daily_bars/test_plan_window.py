"""Jobs 1 and 2 keep to the plan's history window like the declared datasets: the Free plan's
schedule and run-now ask for the newest day it may see (12 weeks ago), a day outside the
window is never requested (the run says why in one line), and a 403 names plan and path.

The runs use the real today, as the assets do (``core.plans.history_window``), against a
simulator whose today is the real one and which refuses Free dates newer than 12 weeks.
"""

from __future__ import annotations

import datetime as dt

import dagster as dg
import pytest
from support.jquants_sim import KEYS, config

from moo_markets.core.catalog import DAILY_BARS, LISTED_COMPANIES
from moo_markets.core.plans import FREE_DELAY
from moo_markets.core.settings import load_settings
from moo_markets.core.time import JST, today_jst
from moo_markets.daily_bars import build_definitions, store
from moo_markets.daily_bars.assets import daily_bars
from moo_markets.jquants_sim import JQuantsSimulator
from moo_markets.listed_companies.assets import listed_companies
from moo_markets.warehouse.resource import WarehouseResource

BARS_PATH = "/v2/equities/bars/daily"
MASTER_PATH = "/v2/equities/master"


@pytest.fixture(scope="module")
def today_sim():
    with JQuantsSimulator(config(today=None), port=0) as sim:
        yield sim


@pytest.fixture
def instance():
    with dg.instance_for_test() as instance:
        yield instance


def weekday_on_or_before(day: dt.date) -> dt.date:
    while day.weekday() >= 5:
        day -= dt.timedelta(days=1)
    return day


def requests_to(sim, path: str) -> list[dict[str, str]]:
    return [query for _, p, query, _ in sim.stats.log if p == path]


def failure(result) -> str:
    assert not result.success
    return next(e for e in result.all_events if e.is_step_failure).step_failure_data.error.message


def with_calendar(sim, url: str) -> WarehouseResource:
    warehouse = WarehouseResource(database_url=url)
    with warehouse.begin() as connection:
        store.replace_calendar(connection, sim.dataset.calendar())
    return warehouse


def run_bars(sim, warehouse, make_jquants, instance, days: list[dt.date], plan: str = "free"):
    tags = {}
    if len(days) > 1:
        tags = {
            "dagster/asset_partition_range_start": days[0].isoformat(),
            "dagster/asset_partition_range_end": days[-1].isoformat(),
        }
    return dg.materialize(
        [daily_bars],
        resources={
            "jquants": make_jquants(sim, api_key=KEYS[plan], plan=plan),
            "warehouse": warehouse,
        },
        instance=instance,
        partition_key=days[0].isoformat() if len(days) == 1 else None,
        tags=tags,
        raise_on_error=False,
    )


# --------------------------------------------------------------------------- schedule


class NoCalendar(dg.ConfigurableResource):
    def begin(self):
        raise RuntimeError("no stored calendar in this test")


def tick(plan: str, when: dt.datetime):
    defs = dg.Definitions.merge(
        build_definitions(load_settings(jquants_plan=plan)),
        dg.Definitions(
            resources={"jquants": dg.ResourceDefinition.none_resource(), "warehouse": NoCalendar()}
        ),
    )
    context = dg.build_schedule_context(
        scheduled_execution_time=when,
        resources={"warehouse": NoCalendar()},
        repository_def=defs.get_repository_def(),
    )
    return defs.resolve_schedule_def(DAILY_BARS.schedule_name).evaluate_tick(context)


def test_free_schedule_asks_for_the_newest_day_the_plan_may_see() -> None:
    when = dt.datetime(2026, 11, 27, 18, 0, tzinfo=JST)  # a Friday
    free = tick("free", when)
    assert [r.partition_key for r in free.run_requests] == ["2026-09-04"]  # 12 weeks before
    light = tick("light", when)
    assert [r.partition_key for r in light.run_requests] == ["2026-11-27"]


def test_run_now_default_is_the_newest_day_the_plan_may_see() -> None:
    monday = dt.date(2026, 11, 30)
    assert DAILY_BARS.default_partition(monday, "free") == (monday - FREE_DELAY).isoformat()
    assert DAILY_BARS.default_partition(dt.date(2026, 11, 29), "free") == "2026-09-04"  # Sunday
    # Plans without delay keep Dagster's newest partition (None), as before.
    assert DAILY_BARS.default_partition(monday, "light") is None
    assert LISTED_COMPANIES.default_partition(monday, "free") is None  # unpartitioned


# --------------------------------------------------------------------------- daily_bars runs


def test_free_run_of_a_recent_day_requests_nothing_and_says_why(
    today_sim, sqlite_database, make_jquants, instance
) -> None:
    warehouse = with_calendar(today_sim, sqlite_database)
    day = weekday_on_or_before(today_jst() - dt.timedelta(days=3))
    today_sim.reset_stats()
    message = failure(run_bars(today_sim, warehouse, make_jquants, instance, [day]))
    assert f"/equities/bars/daily partition {day} was not requested" in message
    assert "12 weeks old" in message and "\n" not in message.strip()
    assert requests_to(today_sim, BARS_PATH) == []


def test_free_range_across_the_window_stores_the_days_inside_and_fails_the_rest(
    today_sim, sqlite_database, make_jquants, instance
) -> None:
    warehouse = with_calendar(today_sim, sqlite_database)
    last_visible = today_jst() - FREE_DELAY
    first = weekday_on_or_before(last_visible - dt.timedelta(days=4))
    last = weekday_on_or_before(last_visible + dt.timedelta(days=7))
    today_sim.reset_stats()
    result = run_bars(today_sim, warehouse, make_jquants, instance, [first, last])
    message = failure(result)
    assert "were not requested: they lie outside the J-Quants history window" in message
    asked = sorted(q["date"] for q in requests_to(today_sim, BARS_PATH))
    assert asked and all(dt.date.fromisoformat(d) <= last_visible for d in asked)
    materialized = {
        e.materialization.partition
        for e in result.get_asset_materialization_events()
        if e.materialization.asset_key == daily_bars.key
    }
    assert max(materialized) <= last_visible.isoformat()
    assert first.isoformat() in materialized


def test_free_run_inside_the_window_succeeds(
    today_sim, sqlite_database, make_jquants, instance
) -> None:
    warehouse = with_calendar(today_sim, sqlite_database)
    day = today_jst() - FREE_DELAY - dt.timedelta(days=7)
    while not today_sim.dataset.is_business_day(day):
        day -= dt.timedelta(days=1)
    assert run_bars(today_sim, warehouse, make_jquants, instance, [day]).success


def test_a_403_for_the_key_says_so(today_sim, sqlite_database, make_jquants, instance) -> None:
    warehouse = with_calendar(today_sim, sqlite_database)
    day = dt.date(2026, 3, 2)
    today_sim.inject("403")
    try:
        result = run_bars(today_sim, warehouse, make_jquants, instance, [day], plan="light")
    finally:
        today_sim.clear_faults()
    # The simulator's injected 403 is J-Quants' invalid-key answer: not a plan problem.
    message = failure(result)
    assert "J-Quants rejected the API key calling /equities/bars/daily (HTTP 403)" in message
    assert "Check JQUANTS_API_KEY" in message and "does not include" not in message


# --------------------------------------------------------------------------- listed_companies


def run_listing(sim, url, make_jquants, instance, date: str | None, plan: str = "free"):
    return dg.materialize(
        [listed_companies],
        resources={
            "jquants": make_jquants(sim, api_key=KEYS[plan], plan=plan),
            "warehouse": WarehouseResource(database_url=url),
        },
        run_config={"ops": {"listed_companies": {"config": {"date": date} if date else {}}}},
        instance=instance,
        raise_on_error=False,
    )


def test_free_listing_defaults_to_the_newest_day_the_plan_may_see(
    today_sim, sqlite_database, make_jquants, instance
) -> None:
    result = run_listing(today_sim, sqlite_database, make_jquants, instance, None)
    assert result.success
    (event,) = [
        m
        for m in result.asset_materializations_for_node("listed_companies")
        if m.asset_key == listed_companies.key
    ]
    newest = weekday_on_or_before(today_jst() - FREE_DELAY)  # Saturday: Friday
    assert event.metadata["requested_date"].value == newest.isoformat()


def test_free_listing_of_a_recent_date_requests_nothing_and_says_why(
    today_sim, sqlite_database, make_jquants, instance
) -> None:
    today_sim.reset_stats()
    day = today_jst().isoformat()
    message = failure(run_listing(today_sim, sqlite_database, make_jquants, instance, day))
    assert f"/equities/master date {day} was not requested" in message
    assert requests_to(today_sim, MASTER_PATH) == []


def test_a_listing_403_for_the_key_says_so(
    today_sim, sqlite_database, make_jquants, instance
) -> None:
    today_sim.inject("403")
    try:
        result = run_listing(today_sim, sqlite_database, make_jquants, instance, "2026-03-02")
    finally:
        today_sim.clear_faults()
    message = failure(result)
    assert "J-Quants rejected the API key calling /equities/master (HTTP 403)" in message
    assert "does not include" not in message

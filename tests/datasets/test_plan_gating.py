"""JQUANTS_PLAN decides what may run: every plan against every dataset job, through the REST
API, the schedules, the SQL mirror and the assets (403 and window refusals included)."""

from __future__ import annotations

import datetime as dt

import dagster as dg
import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from support.fake_dagster import FakeDagster
from support.jquants_sim import KEYS, config

from moo_markets.api import create_app
from moo_markets.core import plans
from moo_markets.core.catalog import DATASET_JOBS, JOBS
from moo_markets.core.plans import PLANS
from moo_markets.core.settings import Settings, load_settings
from moo_markets.core.time import JST, now_jst, today_jst
from moo_markets.datasets.registry import find as find_spec
from moo_markets.ingest.assets import build_asset
from moo_markets.ingest.definitions import tick_for
from moo_markets.jquants_sim import JQuantsSimulator
from moo_markets.mirror.jobs import catalog_schedules, sync_jobs
from moo_markets.warehouse import get_engine
from moo_markets.warehouse.resource import WarehouseResource
from moo_markets.warehouse.schema import jobs as jobs_table


def api(plan: str) -> tuple[TestClient, FakeDagster]:
    fake = FakeDagster()
    settings = Settings(dagster_url="http://dagster.test", jquants_plan=plan)
    return TestClient(create_app(settings, transport=fake.transport)), fake


@pytest.mark.parametrize("plan", PLANS)
def test_each_plan_lists_every_job_and_says_which_cannot_run(plan: str) -> None:
    client, fake = api(plan)
    with client:
        listed = {j["id"]: j for j in client.get("/api/scheduler/jobs").json()["data"]}
        assert sorted(listed) == sorted(j.id for j in JOBS)
        for job in JOBS:
            entry = listed[job.id]
            allowed = plans.includes(plan, job.plan)
            assert entry["available"] is allowed, (plan, job.job_type)
            if allowed:
                assert entry["unavailable_reason"] is None
                continue
            reason = entry["unavailable_reason"]
            assert job.path in reason and f"JQUANTS_PLAN is {plan}" in reason
            assert job.plan in reason and reason in entry["description"]

            run = client.post(f"/api/scheduler/jobs/{job.id}/run")
            assert run.status_code == 409, run.text
            assert run.json()["errors"]["detail"] == f"cannot run {job.job_type}: {reason}"
            enable = client.put(f"/api/scheduler/jobs/{job.id}/enabled", json={"enabled": True})
            assert enable.status_code == 409, enable.text
            assert "cannot enable" in enable.json()["errors"]["detail"]
            # Disabling is always allowed (a schedule started from the UI can be stopped).
            disable = client.put(f"/api/scheduler/jobs/{job.id}/enabled", json={"enabled": False})
            assert disable.status_code == 200 and disable.json()["data"]["is_enabled"] is False
        assert not fake.runs, "nothing may be launched for a job the plan lacks"


class _NoCalendar(dg.ConfigurableResource):
    def begin(self):
        raise RuntimeError("no warehouse in this test")


def tick(job, plan: str, when: dt.datetime):
    with dg.build_schedule_context(
        scheduled_execution_time=when, resources={"warehouse": _NoCalendar()}
    ) as context:
        return tick_for(job, load_settings(jquants_plan=plan))(context)


@pytest.mark.parametrize("plan", PLANS)
def test_schedules_skip_datasets_the_plan_lacks(plan: str) -> None:
    when = dt.datetime(2026, 11, 27, 23, 0, tzinfo=JST)
    for job in DATASET_JOBS:
        result = tick(job, plan, when)
        if plans.includes(plan, job.plan):
            assert isinstance(result, dg.RunRequest), (plan, job.job_type)
        else:
            assert isinstance(result, dg.SkipReason), (plan, job.job_type)
            assert result.skip_message == job.unavailable_reason(plan)


def test_free_schedules_fetch_the_day_that_just_became_visible() -> None:
    when = dt.datetime(2026, 11, 27, 23, 0, tzinfo=JST)
    valuation = next(j for j in DATASET_JOBS if j.job_type == "valuation")
    result = tick(valuation, "free", when)
    assert result.partition_key == (when.date() - dt.timedelta(weeks=12)).isoformat()
    assert tick(valuation, "light", when).partition_key == "2026-11-27"


def test_the_jobs_table_says_why_a_job_cannot_run(sqlite_database: str) -> None:
    settings = load_settings(jquants_plan="light")
    with get_engine(sqlite_database).begin() as connection:
        sync_jobs(connection, states={}, now=now_jst(), schedules=catalog_schedules(settings))
        rows = {r.job_type: r for r in connection.execute(sa.select(jobs_table))}
    for job in JOBS:
        reason = job.unavailable_reason("light")
        assert (
            (reason in rows[job.job_type].description)
            if reason
            else (rows[job.job_type].description == job.description)
        )
    assert "Unavailable" in rows["fins_details"].description


# --------------------------------------------------------------------------- the runs


def materialize(spec_name: str, sim, url: str, make_jquants, key_plan: str, plan: str, day):
    spec = find_spec(spec_name)
    with dg.instance_for_test() as instance:
        return dg.materialize(
            [build_asset(spec)],
            partition_key=day.isoformat() if spec.partitioned else None,
            resources={
                "jquants": make_jquants(sim, api_key=KEYS[key_plan], plan=plan),
                "warehouse": WarehouseResource(database_url=url),
            },
            instance=instance,
            raise_on_error=False,
        )


def failure(result) -> str:
    assert not result.success
    return next(e for e in result.all_events if e.is_step_failure).step_failure_data.error.message


def recent_weekday(days_ago: int) -> dt.date:
    day = today_jst() - dt.timedelta(days=days_ago)
    while day.weekday() >= 5:
        day -= dt.timedelta(days=1)
    return day


@pytest.fixture(scope="module")
def today_sim():
    """A simulator whose today is the real one (the assets' plan windows use the real today)."""
    with JQuantsSimulator(config(today=None), port=0) as sim:
        yield sim


def test_a_dataset_above_the_plan_fails_without_a_request(
    today_sim, sqlite_database, make_jquants
) -> None:
    today_sim.reset_stats()
    result = materialize(
        "fins_details", today_sim, sqlite_database, make_jquants, "free", "free", recent_weekday(3)
    )
    assert "plan free does not include /fins/details" in failure(result)
    assert today_sim.stats.requests == 0


def test_a_403_names_the_plan_and_the_path(today_sim, sqlite_database, make_jquants) -> None:
    # The configured plan says premium, the key is a Standard key: J-Quants answers 403.
    result = materialize(
        "fins_details",
        today_sim,
        sqlite_database,
        make_jquants,
        "standard",
        "premium",
        recent_weekday(3),
    )
    assert "plan premium does not include /fins/details (HTTP 403)" in failure(result)


def test_the_free_plans_delay_is_respected_before_asking(
    today_sim, sqlite_database, make_jquants
) -> None:
    today_sim.reset_stats()
    result = materialize(
        "valuation", today_sim, sqlite_database, make_jquants, "free", "free", recent_weekday(3)
    )
    message = failure(result)
    assert "was not requested" in message and "12 weeks old" in message
    assert not [p for _, p, *_ in today_sim.stats.log if p.endswith("/equities/valuation")]


def test_a_window_refusal_from_j_quants_is_explained(
    today_sim, sqlite_database, make_jquants
) -> None:
    # Configured as Light, but the key is a Free key: J-Quants refuses the recent day (400).
    # (A business-day dataset would already stop at the calendar, clipped to the window too.)
    result = materialize(
        "fins_summary", today_sim, sqlite_database, make_jquants, "free", "light", recent_weekday(3)
    )
    message = failure(result)
    assert "refused a date outside the light plan's history window (HTTP 400)" in message
    assert "Your subscription covers the following dates" in message

"""A schedule tick asks for the days it missed in one run over the range.

Ticks are evaluated against a real (temporary) Dagster instance in which some
partitions are materialized, as after earlier scheduled runs.
"""

from __future__ import annotations

import datetime as dt

import dagster as dg
import pytest

from moo_markets.core.catalog import DAILY_BARS, DATASET_JOBS, find
from moo_markets.core.runs import PARTITION_RANGE_END_TAG, PARTITION_RANGE_START_TAG
from moo_markets.core.settings import load_settings
from moo_markets.core.time import JST
from moo_markets.daily_bars.definitions import daily_bars_tick
from moo_markets.ingest.definitions import tick_for

FRIDAY_EVENING = dt.datetime(2026, 11, 27, 18, 0, tzinfo=JST)
VALUATION = find("valuation")


class _NoCalendar(dg.ConfigurableResource):
    """No stored calendar: the tick asks anyway (the run checks the calendar)."""

    def begin(self):
        raise RuntimeError("no warehouse in this test")


def _tick(job, plan: str, instance: dg.DagsterInstance | None, when=FRIDAY_EVENING):
    with dg.build_schedule_context(
        instance=instance, scheduled_execution_time=when, resources={"warehouse": _NoCalendar()}
    ) as context:
        if job is DAILY_BARS:
            return daily_bars_tick(context, plan)
        return tick_for(job, load_settings(jquants_plan=plan))(context)


def _materialize(instance: dg.DagsterInstance, asset: str, *keys: str) -> None:
    for key in keys:
        instance.report_runless_asset_event(dg.AssetMaterialization(asset_key=asset, partition=key))


def _range(request: dg.RunRequest) -> tuple[str, str] | None:
    tags = request.tags or {}
    if PARTITION_RANGE_START_TAG not in tags:
        return None
    return tags[PARTITION_RANGE_START_TAG], tags[PARTITION_RANGE_END_TAG]


@pytest.fixture
def instance():
    with dg.instance_for_test() as instance:
        yield instance


@pytest.mark.parametrize("job", [DAILY_BARS, VALUATION], ids=lambda j: j.job_type)
def test_a_tick_after_missed_days_requests_one_run_over_them(instance, job) -> None:
    # Stored up to Wednesday 2026-11-18 (and an older, isolated day): Thursday 19th on
    # to Friday 27th were missed while the schedule was off.
    _materialize(instance, job.job_type, "2026-10-01", "2026-11-16", "2026-11-17", "2026-11-18")
    request = _tick(job, "light", instance)
    assert isinstance(request, dg.RunRequest)
    assert request.partition_key is None
    assert _range(request) == ("2026-11-19", "2026-11-27")
    assert request.run_key == "2026-11-27", "one run key per tick, whatever the range"


@pytest.mark.parametrize("job", [DAILY_BARS, VALUATION], ids=lambda j: j.job_type)
def test_a_tick_with_nothing_missing_or_nothing_stored_requests_its_day(instance, job) -> None:
    # Switching a schedule on for the first time must not backfill all history.
    first = _tick(job, "light", instance)
    assert first.partition_key == "2026-11-27" and _range(first) is None
    _materialize(instance, job.job_type, "2026-11-25", "2026-11-26")
    request = _tick(job, "light", instance)
    assert request.partition_key == "2026-11-27" and _range(request) is None
    assert request.run_key == "2026-11-27"


def test_days_that_failed_after_the_newest_stored_one_are_asked_for_again(instance) -> None:
    from moo_markets.daily_bars.partitions import DAILY_PARTITIONS

    @dg.asset(name="valuation", partitions_def=DAILY_PARTITIONS)
    def failing() -> None:
        raise RuntimeError("J-Quants was down")

    _materialize(instance, "valuation", "2026-11-24")
    result = dg.materialize(
        [failing], instance=instance, partition_key="2026-11-25", raise_on_error=False
    )
    assert not result.success
    assert _range(_tick(VALUATION, "light", instance)) == ("2026-11-25", "2026-11-27")


def test_the_catch_up_stays_in_the_plans_history_window(instance) -> None:
    # Light keeps 5 years: a day stored 6 years ago does not make the tick ask for 6 years.
    _materialize(instance, "daily_bars", "2020-11-02")
    request = _tick(DAILY_BARS, "light", instance)
    assert request.partition_key == "2026-11-27" and _range(request) is None
    # Within the window the range starts right after the newest stored day.
    _materialize(instance, "daily_bars", "2022-01-04")
    assert _range(_tick(DAILY_BARS, "light", instance)) == ("2022-01-05", "2026-11-27")


def test_free_plan_and_jobs_without_range_runs_keep_one_partition_per_tick(instance) -> None:
    _materialize(instance, "daily_bars", "2026-11-02")
    free = _tick(DAILY_BARS, "free", instance)
    newest_visible = DAILY_BARS.default_partition(FRIDAY_EVENING.date(), "free")
    assert newest_visible < "2026-11-02", "the Free window ends 12 weeks back"
    assert free.partition_key == newest_visible and _range(free) is None
    # Every partitioned dataset takes ranges; latest snapshots have none to catch up.
    assert all(j.single_run_backfill == j.partitioned for j in DATASET_JOBS)
    latest = [j for j in DATASET_JOBS if not j.partitioned]
    assert latest, "some dataset is a latest snapshot"
    for job in latest:
        request = _tick(job, "premium", instance)
        assert isinstance(request, dg.RunRequest), job.job_type
        assert request.partition_key is None and _range(request) is None, job.job_type


def test_a_weekly_tick_after_missed_weeks_requests_one_run_over_them(instance) -> None:
    job = find("investor_types")
    # Its cron's Thursday: the Light window then starts on a Friday, not a partition.
    thursday = dt.datetime(2026, 11, 26, 18, 30, tzinfo=JST)
    key = job.default_partition(thursday.date(), "light")
    assert key == "2026-11-23", "the Monday of the tick's week"
    first = _tick(job, "light", instance, thursday)
    assert first.partition_key == key and _range(first) is None, "nothing stored: just its week"
    _materialize(instance, job.job_type, "2026-10-05", "2026-10-12")
    request = _tick(job, "light", instance, thursday)
    assert isinstance(request, dg.RunRequest) and request.partition_key is None
    assert _range(request) == ("2026-10-19", key), "the range starts at the next Monday"
    assert request.run_key == key
    # A week stored before the plan's history window (Light: 5 years) asks for no history.
    with dg.instance_for_test() as old:
        _materialize(old, job.job_type, "2020-11-02")
        assert _range(_tick(job, "light", old, thursday)) is None

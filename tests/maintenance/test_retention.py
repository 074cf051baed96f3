"""History retention on a seeded history aged artificially."""

from __future__ import annotations

import datetime as dt
import uuid

import dagster as dg
import pytest
import sqlalchemy as sa

from moo_markets.core.catalog import JOBS
from moo_markets.maintenance.retention import apply_retention
from moo_markets.warehouse import get_engine
from moo_markets.warehouse.schema import job_executions, jobs

NOW = dt.datetime(2026, 11, 27, 12, 0, tzinfo=dt.UTC)


@pytest.fixture
def instance():
    with dg.instance_for_test() as instance:
        yield instance


def seed(
    instance, job_name, count, age_days, status=dg.DagsterRunStatus.SUCCESS, assets=None
) -> list[str]:
    """``count`` runs created ``age_days`` ago (a minute apart, newest last)."""
    run_ids = []
    for i in range(count):
        run = dg.DagsterRun(
            job_name=job_name,
            run_id=str(uuid.uuid4()),
            status=status,
            asset_selection=frozenset(dg.AssetKey(a) for a in assets) if assets else None,
        )
        instance.add_run(run)
        created = NOW - dt.timedelta(days=age_days, minutes=count - i)
        with instance.run_storage.connect() as connection:  # test-only: age the run
            connection.execute(
                sa.text("UPDATE runs SET create_timestamp = :ts WHERE run_id = :run_id"),
                {"ts": created.replace(tzinfo=None), "run_id": run.run_id},
            )
        run_ids.append(run.run_id)
    return run_ids


def mirror(url: str, run_ids: list[str], job_id: int) -> None:
    with get_engine(url).begin() as connection:
        if not connection.execute(sa.select(jobs.c.id)).first():
            connection.execute(
                sa.insert(jobs),
                [
                    {
                        "id": j.id,
                        "name": j.name,
                        "job_type": j.job_type,
                        "schedule": j.default_cron,
                        "inserted_at": NOW,
                        "updated_at": NOW,
                    }
                    for j in JOBS
                ],
            )
        connection.execute(
            sa.insert(job_executions),
            [
                {
                    "job_id": job_id,
                    "run_id": r,
                    "started_at": NOW,
                    "status": "completed",
                    "inserted_at": NOW,
                    "updated_at": NOW,
                }
                for r in run_ids
            ],
        )


def test_deletes_old_runs_keeps_recent_and_the_last_ten(instance, warehouse_url) -> None:
    # Seeded oldest first, as Dagster stores runs in the order they were created.
    unfinished = seed(
        instance, "listed_companies_job", 1, age_days=300, status=dg.DagsterRunStatus.STARTED
    )
    old_ui_bars = seed(instance, "__ASSET_JOB", 5, age_days=200, assets=["daily_bars"])
    old_maintenance = seed(instance, "maintenance_job", 12, age_days=120)
    old_listed = seed(instance, "listed_companies_job", 15, age_days=100)
    recent_listed = seed(instance, "listed_companies_job", 3, age_days=5)
    mirror(warehouse_url, old_listed + recent_listed + unfinished, job_id=1)
    mirror(warehouse_url, old_ui_bars, job_id=2)
    total = len(instance.get_runs())

    result = apply_retention(
        instance, get_engine(warehouse_url), retention_days=90, keep_runs=10, now=NOW
    )

    # listed_companies: 19 runs. The newest 10 (3 recent, 7 old) stay, the unfinished one
    # is never deleted, the other 8 old ones go. UI-launched bars runs count as daily_bars.
    remaining = {r.run_id for r in instance.get_runs()}
    assert set(recent_listed) <= remaining
    assert set(unfinished) <= remaining
    assert set(old_ui_bars) <= remaining  # fewer than 10: kept however old
    listed_deleted = [r for r in old_listed if r not in remaining]
    assert listed_deleted == old_listed[: len(listed_deleted)]  # the oldest ones
    assert len(listed_deleted) == 8
    assert len([r for r in old_maintenance if r not in remaining]) == 2
    assert len(result.deleted_run_ids) == total - len(remaining) == 8 + 2
    # ...and their event logs and mirror rows with them.
    for run_id in result.deleted_run_ids:
        assert instance.get_records_for_run(run_id).records == []
    with get_engine(warehouse_url).connect() as connection:
        mirrored = set(connection.execute(sa.select(job_executions.c.run_id)).scalars())
    assert mirrored.isdisjoint(result.deleted_run_ids)
    assert mirrored == set(old_listed + recent_listed + unfinished + old_ui_bars) - set(
        result.deleted_run_ids
    )
    assert result.mirror_rows_deleted == len(listed_deleted)

    # A second pass inside the window changes nothing.
    again = apply_retention(
        instance, get_engine(warehouse_url), retention_days=90, keep_runs=10, now=NOW
    )
    assert again.deleted_run_ids == []


def test_nothing_inside_the_window_is_touched(instance, sqlite_database) -> None:
    runs = seed(instance, "listed_companies_job", 40, age_days=89)
    result = apply_retention(
        instance, get_engine(sqlite_database), retention_days=90, keep_runs=10, now=NOW
    )
    assert result.deleted_run_ids == []
    assert {r.run_id for r in instance.get_runs()} == set(runs)

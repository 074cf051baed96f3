"""The declared datasets as jobs: catalog entries, schedule ticks and run-now partitions."""

from __future__ import annotations

import datetime as dt

import dagster as dg
import pytest
from fastapi.testclient import TestClient
from support.fake_dagster import FakeDagster

from moo_markets.api import create_app
from moo_markets.core.catalog import DATASET_JOBS, JOBS, find
from moo_markets.core.settings import Settings, load_settings
from moo_markets.core.time import JST, today_jst
from moo_markets.datasets.registry import GENERIC_SPECS as SPECS
from moo_markets.datasets.spec import DatasetSpec, Partitioning
from moo_markets.ingest.definitions import tick_for


def test_the_catalog_keeps_1_and_2_and_numbers_datasets_from_3() -> None:
    assert [(j.id, j.job_type) for j in JOBS[:2]] == [(1, "listed_companies"), (2, "daily_bars")]
    assert [j.id for j in DATASET_JOBS] == [s.catalog_id for s in SPECS]
    assert all(j.id >= 3 for j in DATASET_JOBS)
    assert len({j.id for j in JOBS}) == len(JOBS)
    for spec in SPECS:
        job = find(spec.catalog_id)
        assert job is not None and job.job_type == spec.name and job.dataset is spec
        assert job.asset_keys == (spec.name,) and job.partitioned == spec.partitioned


MONDAY = dt.date(2026, 11, 30)


@pytest.mark.parametrize(
    ("partitioning", "lag", "day", "expected"),
    [
        (Partitioning.BUSINESS_DAY, 0, MONDAY, "2026-11-30"),
        (Partitioning.BUSINESS_DAY, 0, dt.date(2026, 11, 29), "2026-11-27"),  # Sunday: Friday
        (Partitioning.DISCLOSURE_DATE, 1, MONDAY, "2026-11-27"),  # one weekday back
        (Partitioning.DISCLOSURE_DATE, 1, dt.date(2026, 11, 28), "2026-11-27"),  # Saturday tick
        (Partitioning.WEEKLY, 0, dt.date(2026, 12, 3), "2026-11-30"),  # the week's Monday
        (Partitioning.LATEST, 0, MONDAY, None),
    ],
)
def test_partition_for_each_kind(partitioning, lag, day, expected) -> None:
    spec = next(s for s in SPECS if s.partitioning is Partitioning.BUSINESS_DAY)
    changed = DatasetSpec(
        **{
            **{k: getattr(spec, k) for k in spec.__dataclass_fields__},
            "partitioning": partitioning,
            "lag_days": lag,
            "partition_field": None
            if partitioning is Partitioning.LATEST
            else spec.partition_field,
        }
    )
    assert changed.partition_for(day) == expected


@pytest.mark.parametrize("job", DATASET_JOBS, ids=[j.job_type for j in DATASET_JOBS])
def test_run_now_passes_the_partition_the_schedule_would_pick(job) -> None:
    fake = FakeDagster()
    settings = Settings(dagster_url="http://dagster.test", jquants_plan="premium")
    with TestClient(create_app(settings, transport=fake.transport)) as client:
        response = client.post(f"/api/scheduler/jobs/{job.id}/run")
        assert response.status_code == 202, response.text
        execution = response.json()["data"]
    expected = job.default_partition(today_jst(), "premium")
    assert expected == job.dataset.partition_for(today_jst())
    assert execution["partition"] == expected
    tags = {t["key"]: t["value"] for t in fake.runs[execution["run_id"]]["tags"]}
    assert tags.get("dagster/partition") == expected


def tick(job, plan: str, when: dt.datetime):
    with dg.build_schedule_context(
        scheduled_execution_time=when, resources={"warehouse": _NoCalendar()}
    ) as context:
        return tick_for(job, load_settings(jquants_plan=plan))(context)


FRIDAY_EVENING = dt.datetime(2026, 11, 27, 23, 0, tzinfo=JST)


@pytest.mark.parametrize("job", DATASET_JOBS, ids=[j.job_type for j in DATASET_JOBS])
def test_schedule_tick_requests_that_partition(job) -> None:
    result = tick(job, "premium", FRIDAY_EVENING)
    assert isinstance(result, dg.RunRequest)
    assert result.partition_key == job.dataset.partition_for(FRIDAY_EVENING.date())
    if job.dataset.partitioning is Partitioning.LATEST:
        assert result.partition_key is None and result.run_key == "2026-11-27"


class _NoCalendar(dg.ConfigurableResource):
    """A warehouse that cannot be read: the tick asks anyway (the run checks the calendar)."""

    def begin(self):
        raise RuntimeError("no warehouse in this test")

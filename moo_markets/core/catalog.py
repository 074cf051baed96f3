"""The job catalog: every moo_markets job type, its stable id and Dagster names.

One list shared by the Dagster definitions, the SQL mirror and the REST API,
so ``/api/scheduler/jobs/1`` and ``jobs.id = 1`` mean the same job forever.
Ids are never reused: retire a job by keeping its entry out of ``JOBS`` and
its id in ``RETIRED_IDS``.

Ids 1 and 2 are the hand-built ``listed_companies`` and ``daily_bars`` jobs;
every other job comes from a dataset spec (``moo_markets.datasets``), which
carries its own fixed id from 3 upward.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from moo_markets.core import plans
from moo_markets.datasets.registry import SPECS
from moo_markets.datasets.spec import DatasetSpec, check_registry

TIMEZONE = "Asia/Tokyo"
JOB_TYPE_TAG = "moo_markets/job_type"
"""Run tag naming the job type; the run queue allows one run per value at a time."""


@dataclass(frozen=True)
class JobType:
    id: int
    job_type: str
    name: str
    description: str
    default_cron: str
    asset_keys: tuple[str, ...]
    """Assets this job materializes: a run of any of them (UI, backfill) belongs to the job."""
    partitioned: bool = False
    plan: str = "free"
    """Lowest J-Quants plan whose key may run the job."""
    path: str = ""
    """The J-Quants endpoint the job fetches (named in plan messages)."""
    dataset: DatasetSpec | None = None
    """The spec the job was derived from; None for the hand-built jobs 1 and 2."""

    @property
    def job_name(self) -> str:
        return f"{self.job_type}_job"

    @property
    def schedule_name(self) -> str:
        return f"{self.job_type}_schedule"

    @property
    def cron_env_var(self) -> str:
        return f"MOO_MARKETS_{self.job_type.upper()}_CRON"

    def unavailable_reason(self, plan: str) -> str | None:
        """Why a key of ``plan`` cannot run this job (None when it can)."""
        return plans.unavailable_reason(plan, self.plan, self.path)

    def description_for(self, plan: str) -> str:
        """The description shown everywhere (UI, REST, SQL ``jobs``), saying when the plan
        lacks the dataset."""
        reason = self.unavailable_reason(plan)
        return f"{self.description} Unavailable: {reason}." if reason else self.description

    def default_partition(self, day: dt.date, plan: str = "premium") -> str | None:
        """The partition a schedule tick (or run-now without one) on ``day`` fetches.

        None: ask Dagster for its newest partition (daily_bars) or run unpartitioned. On
        the Free plan, whose data end 12 weeks ago, the newest day it may see stands in
        for ``day``, so a Free schedule fetches the day that has just become visible.
        """
        if self.dataset is None:
            return None
        last = plans.history_window(plan, day).last
        return self.dataset.partition_for(min(day, last) if last else day)


def job_from_spec(spec: DatasetSpec) -> JobType:
    """The catalog entry of a dataset: everything comes from its spec."""
    return JobType(
        id=spec.catalog_id,
        job_type=spec.name,
        name=spec.title,
        description=spec.description,
        default_cron=spec.cron,
        asset_keys=(spec.name,),
        partitioned=spec.partitioned,
        plan=spec.plan,
        path=spec.path,
        dataset=spec,
    )


LISTED_COMPANIES = JobType(
    id=1,
    job_type="listed_companies",
    name="上場企業情報取得 (listed companies)",
    description="Fetches the J-Quants listed-company master (/equities/master) for a date "
    "and stores it as that date's snapshot.",
    default_cron="15 8 * * 1-5",
    asset_keys=("listed_companies",),
    path="/equities/master",
)

DAILY_BARS = JobType(
    id=2,
    job_type="daily_bars",
    name="日足データ取得 (daily bars)",
    description="Fetches the day's J-Quants daily bars (/equities/bars/daily) for every issue, "
    "business days only, and refetches the history of codes that split.",
    default_cron="0 18 * * 1-5",
    asset_keys=("trading_calendar", "daily_bars"),
    partitioned=True,
    path="/equities/bars/daily",
)

RETIRED_IDS: frozenset[int] = frozenset()
check_registry(SPECS, {LISTED_COMPANIES.id, DAILY_BARS.id, *RETIRED_IDS})
DATASET_JOBS: tuple[JobType, ...] = tuple(job_from_spec(spec) for spec in SPECS)
JOBS: tuple[JobType, ...] = (LISTED_COMPANIES, DAILY_BARS, *DATASET_JOBS)


def find(ref: str | int) -> JobType | None:
    """A job by numeric id (``1`` or ``"1"``) or by job_type (``"listed_companies"``)."""
    text = str(ref)
    for job in JOBS:
        if text == str(job.id) or text == job.job_type:
            return job
    return None


def for_asset(asset_key: str) -> JobType | None:
    """The job type that owns an asset, to attribute UI and backfill runs."""
    for job in JOBS:
        if asset_key in job.asset_keys:
            return job
    return None

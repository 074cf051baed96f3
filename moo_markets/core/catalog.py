"""The job catalog: every moo_markets job type, its stable id and Dagster names.

One list shared by the Dagster definitions, the SQL mirror and the REST API,
so ``/api/scheduler/jobs/1`` and ``jobs.id = 1`` mean the same job forever.
Ids are never reused: retire a job by keeping its entry out of ``JOBS`` and
its id in ``RETIRED_IDS``.

Every fetch job comes from a dataset spec (``moo_markets.datasets``) carrying
its fixed id: 1 ``listed_companies`` and 2 ``daily_bars`` (hand-built assets),
then the generic datasets from 3 to 20. Jobs that are not one dataset's are
declared here: 21 ``recheck`` (``moo_markets.recheck``). The next new id is 22.
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
    single_run_backfill: bool = False
    """A partition range runs as one run (:attr:`DatasetSpec.single_run_backfill`): run-now
    takes ``start``/``end`` and a schedule catches up missed days in one run."""
    dataset: DatasetSpec | None = None
    """The spec of a generic dataset job; None for jobs 1 and 2, whose assets are hand-built
    (their entries still come from their specs)."""
    spec: DatasetSpec | None = None
    """The spec the job comes from, hand-built assets included (None: not a dataset's job)."""

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

        None: run unpartitioned, or (daily_bars on a plan without delay) ask Dagster for
        its newest partition. On the Free plan, whose data end 12 weeks ago, the newest
        day it may see stands in for ``day``, so a Free schedule fetches the day that has
        just become visible instead of one J-Quants refuses (HTTP 400).
        """
        if self.spec is None:
            return None
        last = plans.history_window(plan, day).last
        if self.dataset is None and last is None:
            return None
        return self.spec.partition_for(min(day, last) if last else day)


def job_from_spec(spec: DatasetSpec) -> JobType:
    """The catalog entry of a dataset: everything comes from its spec."""
    return JobType(
        id=spec.catalog_id,
        job_type=spec.name,
        name=spec.title,
        description=spec.description,
        default_cron=spec.cron,
        asset_keys=(*spec.extra_asset_keys, spec.name),
        partitioned=spec.partitioned,
        plan=spec.plan,
        path=spec.path,
        single_run_backfill=spec.single_run_backfill,
        dataset=spec if spec.hook is None else None,
        spec=spec,
    )


_BY_ID = {spec.catalog_id: spec for spec in SPECS}
LISTED_COMPANIES = job_from_spec(_BY_ID[1])
DAILY_BARS = job_from_spec(_BY_ID[2])

RECHECK = JobType(
    id=21,
    job_type="recheck",
    name="再取得チェック (recheck)",
    description="Refetches the last MOO_MARKETS_RECHECK_DAYS business days (default 5) of the "
    "daily datasets already stored and keeps what J-Quants changed since as revisions "
    "(<table>_revisions), with a count of changed rows per day and dataset.",
    default_cron="30 20 * * 1-5",
    asset_keys=("recheck",),
)
"""Not a dataset: it rechecks the stored daily datasets (``moo_markets.recheck``)."""

OTHER_JOBS: tuple[JobType, ...] = (RECHECK,)
"""Catalog jobs that are not one dataset's fetch job."""

RETIRED_IDS: frozenset[int] = frozenset()
check_registry(SPECS, RETIRED_IDS | {job.id for job in OTHER_JOBS})
JOBS: tuple[JobType, ...] = (*(job_from_spec(spec) for spec in SPECS), *OTHER_JOBS)
DATASET_JOBS: tuple[JobType, ...] = tuple(job for job in JOBS if job.dataset is not None)
"""The jobs built by ``moo_markets.ingest`` (every job but the hand-built 1 and 2)."""


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

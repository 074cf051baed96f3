"""The job catalog: every moo_markets job type, its stable id and Dagster names.

One list shared by the Dagster definitions, the SQL mirror and the REST API,
so ``/api/scheduler/jobs/1`` and ``jobs.id = 1`` mean the same job forever.
Ids are never reused: retire a job by keeping its entry out of ``JOBS`` and
its id in ``RETIRED_IDS``.
"""

from __future__ import annotations

from dataclasses import dataclass

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

    @property
    def job_name(self) -> str:
        return f"{self.job_type}_job"

    @property
    def schedule_name(self) -> str:
        return f"{self.job_type}_schedule"

    @property
    def cron_env_var(self) -> str:
        return f"MOO_MARKETS_{self.job_type.upper()}_CRON"


LISTED_COMPANIES = JobType(
    id=1,
    job_type="listed_companies",
    name="上場企業情報取得 (listed companies)",
    description="Fetches the J-Quants listed-company master (/equities/master) for a date "
    "and stores it as that date's snapshot.",
    default_cron="15 8 * * 1-5",
    asset_keys=("listed_companies",),
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
)

JOBS: tuple[JobType, ...] = (LISTED_COMPANIES, DAILY_BARS)
RETIRED_IDS: frozenset[int] = frozenset()


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

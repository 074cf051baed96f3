"""How a Dagster run maps onto the scheduler's vocabulary.

Shared by the SQL mirror (which reads runs through the Dagster instance) and
the REST API (which reads them through GraphQL), so both always agree on a
run's job type and status. Statuses are compared by name, which is the same
in Python (``DagsterRunStatus.X.value``) and in GraphQL (``status: X``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from moo_markets.catalog import JOB_TYPE_TAG, JOBS, JobType, find, for_asset

RUNNING, COMPLETED, FAILED, STOPPED = "running", "completed", "failed", "stopped"

_STATUS: dict[str, str] = {
    "QUEUED": RUNNING,
    "NOT_STARTED": RUNNING,
    "STARTING": RUNNING,
    "MANAGED": RUNNING,
    "STARTED": RUNNING,
    "CANCELING": RUNNING,
    "SUCCESS": COMPLETED,
    "FAILURE": FAILED,
    "CANCELED": STOPPED,
}

FINISHED_DAGSTER_STATUSES = frozenset({"SUCCESS", "FAILURE", "CANCELED"})


def scheduler_status(dagster_status: str) -> str:
    """``running``/``completed``/``failed``/``stopped`` for a Dagster status name."""
    return _STATUS.get(dagster_status.upper(), RUNNING)


def job_type_for_run(
    job_name: str, tags: Mapping[str, str], asset_keys: Iterable[str] = ()
) -> JobType | None:
    """The catalog job a run belongs to, or None for runs outside the catalog.

    Runs of the job itself and of its schedule carry the job name or tag; runs
    from the UI's Materialize button and asset backfills run as ``__ASSET_JOB``
    and are recognised by the assets they materialize.
    """
    if tags.get(JOB_TYPE_TAG):
        job = find(tags[JOB_TYPE_TAG])
        if job:
            return job
    for job in JOBS:
        if job_name == job.job_name:
            return job
    owners = [job for job in (for_asset(key) for key in asset_keys) if job]
    # A run touching assets of several job types belongs to the lowest catalog id,
    # whatever order the keys come in, so the mirror and the API always agree.
    return min(owners, key=lambda job: job.id) if owners else None

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Query, Request, status

from moo_markets.api.deps import Authorized, Job, Service, strict_integers
from moo_markets.api.models import EnabledBody, Envelope, Execution, RunBody, ScheduleBody
from moo_markets.api.models import Job as JobModel
from moo_markets.api.routes.common import READ, WRITE, errors

router = APIRouter(prefix="/scheduler/jobs", tags=["jobs"])


@router.get("", response_model=Envelope[list[JobModel]], responses=READ, summary="List jobs")
async def list_jobs(service: Service) -> dict:
    jobs, _ = await service.jobs()
    return {"data": jobs}


@router.get(
    "/{job_id}",
    response_model=Envelope[JobModel],
    responses={**READ, **errors(404)},
    summary="One job (by id or job_type)",
)
async def get_job(job: Job, service: Service) -> dict:
    return {"data": await service.job(job)}


@router.put(
    "/{job_id}/enabled",
    response_model=Envelope[JobModel],
    responses={**WRITE, **errors(404)},
    dependencies=[Authorized],
    summary="Enable or disable the job's schedule",
)
async def set_enabled(job: Job, body: Annotated[EnabledBody, Body()], service: Service) -> dict:
    """Starts/stops the Dagster schedule and answers once it really changed. Idempotent."""
    return {"data": await service.set_enabled(job, body.enabled)}


def _set_by(request: Request) -> str:
    host = request.client.host if request.client else "unknown client"
    return f"rest_api ({host})"


@router.put(
    "/{job_id}/schedule",
    response_model=Envelope[JobModel],
    responses={**WRITE, **errors(404)},
    dependencies=[Authorized],
    summary="Change the job's cron (stored; Dagster reloads it)",
)
async def set_schedule(
    job: Job, body: Annotated[ScheduleBody, Body()], service: Service, request: Request
) -> dict:
    """Puts a cron (5 fields, Asia/Tokyo) in force without a restart: stored in the
    warehouse (``schedule_overrides``), then the Dagster code location is reloaded. Answers
    the job once Dagster schedules on the new cron (``schedule``, ``next_run_at``); the
    schedule keeps its ON/OFF state. ``{"schedule": null}`` is the same as ``DELETE``.
    422 for a cron that is not valid or never fires; 503 if the warehouse cannot store it."""
    return {"data": await service.set_schedule(job, body.schedule, _set_by(request))}


@router.delete(
    "/{job_id}/schedule",
    response_model=Envelope[JobModel],
    responses={**WRITE, **errors(404)},
    dependencies=[Authorized],
    summary="Return the job to its default cron",
)
async def reset_schedule(job: Job, service: Service, request: Request) -> dict:
    """Removes the override: ``MOO_MARKETS_<JOB>_CRON`` applies again, else the catalog
    default. Idempotent."""
    return {"data": await service.set_schedule(job, None, _set_by(request))}


@router.post(
    "/{job_id}/run",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=Envelope[Execution],
    responses={**WRITE, **errors(404)},
    dependencies=[Authorized],
    summary="Run the job now",
)
async def run_now(
    job: Job, service: Service, body: Annotated[RunBody | None, Body()] = None
) -> dict:
    """Queues a run. Partitioned jobs take ``{"partition": "YYYY-MM-DD"}``, validated against
    the job's partitions; the default is the partition the schedule would pick now.
    Jobs with daily partitions also take a range, ``{"start": "YYYY-MM-DD", "end":
    "YYYY-MM-DD"}`` (both included, both partitions of the job, within the plan's history
    window): ONE run over it, as a backfill, so whole months load from J-Quants bulk files;
    its execution's ``partition`` is ``start...end``. 422 says which field is wrong."""
    if body is None:
        return {"data": await service.launch(job, None)}
    return {"data": await service.launch(job, body.partition, body.start, body.end)}


@router.get(
    "/{job_id}/executions",
    response_model=Envelope[list[Execution]],
    responses={**READ, **errors(404)},
    dependencies=[strict_integers("limit")],
    summary="The job's executions, newest first",
)
async def list_executions(
    job: Job,
    service: Service,
    limit: Annotated[
        int, Query(ge=1, le=100, description="How many (default 10, at most 100)")
    ] = 10,
) -> dict:
    """Includes runs started from the Dagster UI (Materialize) and backfills of its assets."""
    return {"data": await service.executions(job, limit)}

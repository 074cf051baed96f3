from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Query, status

from moo_markets.api.deps import Authorized, Job, Service, strict_integers
from moo_markets.api.models import EnabledBody, Envelope, Execution, RunBody
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
    the job's partitions; the default is the partition the schedule would pick now."""
    partition = body.partition if body else None
    return {"data": await service.launch(job, partition)}


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

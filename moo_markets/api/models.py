"""Request and response bodies; they are also the OpenAPI document's schemas."""

from __future__ import annotations

import datetime as dt
from typing import Generic, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, StrictBool

T = TypeVar("T")

Status = Literal["running", "completed", "failed", "stopped"]


class Envelope(BaseModel, Generic[T]):
    data: T


class ErrorDetail(BaseModel):
    detail: str = Field(examples=["unknown job 'foo': use an id (1, 2) or a job_type"])


class ErrorBody(BaseModel):
    errors: ErrorDetail


class Execution(BaseModel):
    run_id: str
    job_id: int | None = Field(description="Catalog id; null for runs outside the catalog.")
    job_type: str | None
    status: Status = Field(
        description="running|completed|failed|stopped, as the SQL mirror maps it"
    )
    dagster_status: str = Field(examples=["SUCCESS"])
    partition: str | None = Field(
        description="Partition key of a partitioned run (YYYY-MM-DD); for a range run as one "
        "run (a backfill, run-now with start/end, a schedule catching up) start...end.",
        examples=["2024-01-05", "2024-01-04...2024-01-31"],
    )
    started_at: dt.datetime = Field(
        description="When the run started (when it was queued, until it starts)."
    )
    completed_at: dt.datetime | None
    error_message: str | None = Field(description="Why a failed run failed (step and exception).")


class Step(BaseModel):
    step_key: str
    status: str | None = Field(examples=["SUCCESS", "FAILURE", "SKIPPED", "IN_PROGRESS"])
    started_at: dt.datetime | None
    completed_at: dt.datetime | None
    attempts: int
    error_message: str | None


class ExecutionDetail(Execution):
    steps: list[Step]


class Job(BaseModel):
    id: int
    name: str
    description: str | None
    job_type: str
    schedule: str = Field(description="cron expression", examples=["15 8 * * 1-5"])
    timezone: str = Field(examples=["Asia/Tokyo"])
    is_enabled: bool
    is_running: bool = Field(description="A run of this job is queued or in progress.")
    last_run_at: dt.datetime | None
    next_run_at: dt.datetime | None = Field(description="Next scheduled tick; null while disabled.")
    last_execution: Execution | None
    inserted_at: dt.datetime | None = Field(
        description="From the SQL mirror's jobs row when the warehouse is reachable, else null."
    )
    updated_at: dt.datetime | None = Field(
        description="From the SQL mirror's jobs row when the warehouse is reachable, else null."
    )
    partitioned: bool
    available: bool = Field(
        description="The job can run: JQUANTS_PLAN includes its dataset and its schedule "
        "exists in the Dagster code location."
    )
    unavailable_reason: str | None = Field(
        description="Why not, when available is false (e.g. the plan lacks the dataset).",
        examples=["/fins/details needs the J-Quants premium plan or higher; JQUANTS_PLAN is free"],
    )


class JobSummary(BaseModel):
    id: int
    job_type: str
    name: str
    is_enabled: bool
    is_running: bool
    last_run_at: dt.datetime | None
    next_run_at: dt.datetime | None
    last_status: Status | None


class Daemon(BaseModel):
    daemon_type: str = Field(examples=["SCHEDULER"])
    healthy: bool
    required: bool
    last_heartbeat_at: dt.datetime | None


class SchedulerStatus(BaseModel):
    scheduler_running: bool = Field(description="The Dagster SCHEDULER daemon is healthy.")
    daemons: list[Daemon]
    jobs: list[JobSummary]
    running_executions: int = Field(description="Queued or in-progress runs of catalog jobs.")


class DagsterHealth(BaseModel):
    reachable: bool
    version: str | None
    detail: str | None


class Health(BaseModel):
    status: Literal["ok"]
    dagster: DagsterHealth


class CleanupResult(BaseModel):
    cleaned: list[str] = Field(description="Run ids that were ended and are now stopped.")
    reasons: dict[str, str] = Field(description="Why each cleaned run was considered stuck.")


class StrictBody(BaseModel):
    model_config = ConfigDict(extra="forbid")


class EnabledBody(StrictBody):
    enabled: StrictBool


class ScheduleBody(StrictBody):
    schedule: str | None = Field(
        ...,
        max_length=255,
        description="Cron expression, 5 fields (minute hour day month weekday), Asia/Tokyo; "
        "null returns the job to its default (MOO_MARKETS_<JOB>_CRON, else the catalog's).",
        examples=["30 18 * * 1-5"],
    )


PARTITION_PATTERN = r"^\d{4}-\d{2}-\d{2}$"
r"""A daily partition key as the OpenAPI document states it (``\d`` is ASCII in JSON Schema;
the launch checks the key against the job's own partitions in any case)."""


class RunBody(StrictBody):
    partition: str | None = Field(
        default=None,
        description="Partition key (YYYY-MM-DD) of a partitioned job; default: the partition "
        "the schedule would pick now (today in Asia/Tokyo).",
        pattern=PARTITION_PATTERN,
        examples=["2024-01-05"],
    )
    start: str | None = Field(
        default=None,
        description="First partition (YYYY-MM-DD) of a range run as ONE run, as a backfill "
        "is: whole months load from J-Quants bulk files, the rest by REST. Needs end; not "
        "with partition. Only jobs with daily partitions take a range, within the plan's "
        "history window; start == end is a normal one-partition run.",
        pattern=PARTITION_PATTERN,
        examples=["2024-01-04"],
    )
    end: str | None = Field(
        default=None,
        description="Last partition (YYYY-MM-DD) of the range, included; needs start.",
        pattern=PARTITION_PATTERN,
        examples=["2024-01-31"],
    )


class CleanupBody(StrictBody):
    all: StrictBool = Field(
        default=False, description="End every unfinished run, stuck or not (queued included)."
    )
    stuck_after_seconds: float | None = Field(
        default=None,
        gt=0,
        le=30 * 24 * 3600,
        description="Override of MOO_MARKETS_STUCK_AFTER_SECONDS for this call.",
    )

"""What a Dagster run means to moo_markets: the one run vocabulary.

The SQL mirror reads runs through the Dagster instance, the REST API through
GraphQL. Each side only turns what it read into a :class:`RunView` (an
adapter: ``moo_markets/dagster_runs.py``, ``moo_markets/api/views.py``);
every decision is taken here, so both always agree on a run's job, status,
partition, times, error text and whether it is stuck. Statuses are compared
by name, which is the same in Python (``DagsterRunStatus.X.value``) and in
GraphQL (``status: X``). No Dagster import: the REST API must not load it.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from moo_markets.core.catalog import JOB_TYPE_TAG, JOBS, JobType, find, for_asset

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

UNFINISHED = frozenset({"QUEUED", "NOT_STARTED", "STARTING", "MANAGED", "STARTED", "CANCELING"})
"""Dagster statuses of runs that have not ended (``running`` in the scheduler's words)."""
FINISHED = frozenset({"SUCCESS", "FAILURE", "CANCELED"})
STUCK_CANDIDATES = frozenset({"STARTING", "STARTED", "CANCELING"})
"""Statuses the stuck rule looks at: queued runs wait, they are not stuck."""

ASSET_JOB = "__ASSET_JOB"
"""Job name of runs started by the UI's Materialize button and by asset backfills."""

PARTITION_TAG = "dagster/partition"
PARTITION_RANGE_START_TAG = "dagster/asset_partition_range_start"
PARTITION_RANGE_END_TAG = "dagster/asset_partition_range_end"
MAX_PARTITION_LENGTH = 64
"""``job_executions.partition_key`` is VARCHAR(64); REST shows the same text."""


# --------------------------------------------------------------------------- the view


@dataclass(frozen=True)
class ErrorInfo:
    """An exception as Dagster recorded it: ``message`` is ``pkg.mod.Class: text``."""

    cls_name: str | None
    message: str
    cause: ErrorInfo | None = None


@dataclass(frozen=True)
class StepEvent:
    """A failure (``kind="failure"``) or an up-for-retry (``"retry"``) event of one step."""

    step_key: str
    kind: str
    error: ErrorInfo | None = None
    failure_description: str | None = None
    """The description of a ``dg.Failure`` the step raised."""
    message: str | None = None


@dataclass(frozen=True)
class RunView:
    """One run as either side read it; event facts are filled only when the adapter read them."""

    run_id: str
    job_name: str
    status: str
    tags: Mapping[str, str] = field(default_factory=dict)
    asset_keys: tuple[str, ...] = ()
    created_at: dt.datetime | None = None
    started_at: dt.datetime | None = None
    ended_at: dt.datetime | None = None
    updated_at: dt.datetime | None = None
    step_events: tuple[StepEvent, ...] = ()
    run_failure_message: str | None = None
    run_failure_error: ErrorInfo | None = None
    cancel_message: str | None = None
    stop_reason: str | None = None
    """Why moo_markets stopped the run (table ``run_stop_reasons``), if it recorded one."""
    worker_pid: int | None = None
    worker_pid_at: dt.datetime | None = None
    worker_exited: bool = False
    last_event_at: dt.datetime | None = None


@dataclass(frozen=True)
class Execution:
    """A run in the scheduler's words: a REST execution and a ``job_executions`` row."""

    run_id: str
    job: JobType | None
    status: str
    dagster_status: str
    partition: str | None
    started_at: dt.datetime | None
    completed_at: dt.datetime | None
    error_message: str | None


# --------------------------------------------------------------------------- status and job


def scheduler_status(dagster_status: str) -> str:
    """``running``/``completed``/``failed``/``stopped`` for a Dagster status name."""
    return _STATUS.get(dagster_status.upper(), RUNNING)


def is_finished(dagster_status: str) -> bool:
    return dagster_status in FINISHED


def _asset_order(key: str) -> tuple[int, str]:
    owner = for_asset(key)
    return (owner.id if owner else 1 << 30, key)


def job_type_for_run(
    job_name: str, tags: Mapping[str, str], asset_keys: Iterable[str] = ()
) -> JobType | None:
    """The catalog job a run belongs to, or None for runs outside the catalog.

    Runs of the job itself and of its schedule carry the job name or tag; runs
    from the UI's Materialize button and asset backfills run as ``__ASSET_JOB``
    and are recognised by the assets they materialize. A run touching assets
    of several job types belongs to the lowest catalog id, whatever order the
    keys come in.
    """
    if tags.get(JOB_TYPE_TAG):
        job = find(tags[JOB_TYPE_TAG])
        if job:
            return job
    for job in JOBS:
        if job_name == job.job_name:
            return job
    owners = [
        job for job in (for_asset(key) for key in sorted(asset_keys, key=_asset_order)) if job
    ]
    return min(owners, key=lambda job: job.id) if owners else None


def job_of(run: RunView) -> JobType | None:
    return job_type_for_run(run.job_name, run.tags, run.asset_keys)


def partition_of(tags: Mapping[str, str]) -> str | None:
    """``dagster/partition``; for a single-run backfill its range ``start...end``
    (just ``start`` when the range is one partition)."""
    if tags.get(PARTITION_TAG):
        return tags[PARTITION_TAG][:MAX_PARTITION_LENGTH]
    start, end = tags.get(PARTITION_RANGE_START_TAG), tags.get(PARTITION_RANGE_END_TAG)
    if start and end:
        return (start if start == end else f"{start}...{end}")[:MAX_PARTITION_LENGTH]
    return None


# --------------------------------------------------------------------------- times


def started_at(run: RunView) -> dt.datetime | None:
    """When the run started; its creation while it has not started (queued).

    A run that ended without starting (canceled while queued) has no start;
    GraphQL then reports its end as its start, which counts as "never started".
    """
    if run.started_at is None or (run.ended_at is not None and run.started_at == run.ended_at):
        return run.created_at
    return run.started_at


def completed_at(run: RunView) -> dt.datetime | None:
    """The end of a finished run (its last update if Dagster recorded no end)."""
    if not is_finished(run.status):
        return None
    return run.ended_at or run.updated_at


# --------------------------------------------------------------------------- error text

_QUALIFIED = re.compile(r"^(?:[A-Za-z_]\w*\.)+([A-Za-z_]\w*)(?=: |$)", re.MULTILINE)
_NOT_USER_ERRORS = ("Dagster", "RetryRequested")


def short_error(text: str | None) -> str:
    """``pkg.mod.SomeError: text`` -> ``SomeError: text``, surrounding whitespace dropped."""
    return _QUALIFIED.sub(r"\1", (text or "").strip())


def _chain(error: ErrorInfo | None) -> list[ErrorInfo]:
    chain = []
    while error is not None and len(chain) < 10:
        chain.append(error)
        error = error.cause
    return chain


def user_error(error: ErrorInfo | None) -> ErrorInfo | None:
    """The user's exception in Dagster's chain (its wrappers and retry requests skipped)."""
    for item in _chain(error):
        if not (item.cls_name or "").startswith(_NOT_USER_ERRORS):
            return item
    return None


def _step_event_text(event: StepEvent) -> str | None:
    """The event's real cause: a ``dg.Failure``'s description or the user's exception."""
    if event.failure_description and event.failure_description.strip():
        return event.failure_description.strip()
    error = user_error(event.error)
    if error is None:
        return None
    if error.cls_name == "Failure":  # a dg.Failure whose description was not read
        return short_error(error.message).removeprefix("Failure: ").strip() or None
    return short_error(error.message) or None


def step_errors(events: Iterable[StepEvent]) -> dict[str, str]:
    """Failed step -> the last real user error of that step, in order of failure.

    After Dagster's step retries are exhausted, the final failure event says
    only "Exceeded max_retries of N"; the cause is the user's error of that
    event, else of the last up-for-retry event before it.
    """
    last_real: dict[str, str] = {}
    failed: dict[str, str] = {}
    for event in events:
        text = _step_event_text(event)
        if text:
            last_real[event.step_key] = text
        if event.kind == "failure":
            fallback = short_error(event.error.message) if event.error else event.message
            failed[event.step_key] = last_real.get(event.step_key) or fallback or "step failed"
    return failed


def _run_failure_text(run: RunView) -> str | None:
    message = (run.run_failure_message or "").strip()
    error = user_error(run.run_failure_error) or run.run_failure_error
    detail = short_error(error.message) if error is not None else ""
    if detail and detail not in message:
        message = f"{message}\n{detail}" if message else detail
    return message or None


def error_message(run: RunView) -> str | None:
    """Why a failed or stopped run ended, the same text for the mirror and the REST API.

    FAILURE: ``step_key: ExceptionName: message`` per failed step (a
    ``dg.Failure`` gives ``step_key: <its description>``), joined by newlines;
    a run that failed outside any step gets Dagster's run-failure message.
    CANCELED: the reason moo_markets recorded when it stopped the run, else
    Dagster's cancel message.
    """
    if run.status == "FAILURE":
        steps = step_errors(run.step_events)
        if steps:
            return "\n".join(f"{step}: {text}" for step, text in steps.items())
        return _run_failure_text(run)
    if run.status == "CANCELED":
        reason = (run.stop_reason or "").strip() or (run.cancel_message or "").strip()
        return reason or None
    return None


def step_outcome(step_status: str | None, run_status: str) -> str | None:
    """A step's status once its run has ended.

    Dagster leaves a step ``IN_PROGRESS`` when its run worker died or the run
    was canceled under it: no step event will ever end it. Such a step ends
    with its run (``FAILURE`` or ``CANCELED``), so a finished run never shows a
    step still running.
    """
    if step_status == "IN_PROGRESS" and run_status in ("FAILURE", "CANCELED"):
        return run_status
    return step_status


def needs_events(dagster_status: str) -> bool:
    """Whether the run's error text needs its event log (failed and stopped runs)."""
    return dagster_status in ("FAILURE", "CANCELED")


def execution(run: RunView) -> Execution:
    return Execution(
        run_id=run.run_id,
        job=job_of(run),
        status=scheduler_status(run.status),
        dagster_status=run.status,
        partition=partition_of(run.tags),
        started_at=started_at(run),
        completed_at=completed_at(run),
        error_message=error_message(run),
    )


# --------------------------------------------------------------------------- stuck runs


def stuck_reason(
    run: RunView,
    now: dt.datetime,
    stuck_after: float,
    check_local_pid: bool,
    alive: Callable[[int, float], bool] | None = None,
    gone_grace: float = 0.0,
) -> str | None:
    """Why an unfinished run is stuck, or None.

    Stuck: STARTING, STARTED or CANCELING and either its run worker is known
    to be gone (Dagster logged that it exited; or, when Dagster runs on this
    host, its pid no longer exists, is a zombie or belongs to a newer process)
    or it logged no event for ``stuck_after`` seconds. Used by the
    stuck_run_sensor and by ``POST /api/scheduler/cleanup``. ``gone_grace``:
    a gone worker counts only once the run has been silent that long, so
    Dagster's run monitoring, which ends a run whose worker died while its
    code server lives (FAILURE, with the signal), acts first (the sensor
    passes it; an explicit cleanup does not wait).
    """
    if run.status not in STUCK_CANDIDATES:
        return None
    last = last_progress(run)
    idle = (now - last).total_seconds() if last is not None else 0.0
    if gone_grace > 0 and idle < gone_grace:
        pass  # Dagster may still end it; only the idle rule below could apply
    elif run.worker_exited:
        return "run worker exited without ending the run"
    elif check_local_pid and run.worker_pid is not None:
        if alive is None:
            from moo_markets.core.workers import alive as alive_on_this_host

            alive = alive_on_this_host
        since = run.worker_pid_at.timestamp() if run.worker_pid_at else now.timestamp()
        if not alive(run.worker_pid, since):
            return f"run worker process {run.worker_pid} is gone"
    if idle > stuck_after:
        return f"no progress for {idle:.0f}s (limit {stuck_after:.0f}s)"
    return None


def last_progress(run: RunView) -> dt.datetime | None:
    """When the run last showed progress: its newest event or its last status change."""
    times: Sequence[dt.datetime | None] = (
        run.last_event_at,
        run.updated_at,
        run.started_at,
        run.created_at,
    )
    known = [t for t in times if t is not None]
    return max(known) if known else None

"""Copy Dagster's schedule and run state into the documented ``jobs`` / ``job_executions`` tables.

Dagster is the source of truth: its schedule storage says whether a job is
enabled, its run storage is the execution history. These functions read that
state through the public ``DagsterInstance`` methods and upsert it into the
warehouse with SQLAlchemy Core, so the sensor, the ``mirror sync`` command and
the tests share one code path.

Every write is idempotent: rows are compared in Python with what is already
stored and only rows that really differ are inserted or updated, so
``updated_at`` moves only when something changed and a repeated sync writes
nothing. Inserts tolerate a concurrent sync (the sensor and the command may run
at the same time) by ignoring a conflict on the natural key.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, fields
from typing import Any

import dagster as dg
import sqlalchemy as sa
from dagster import DagsterEventType, RunsFilter
from sqlalchemy.dialects import postgresql, sqlite

from moo_markets.catalog import JOBS, TIMEZONE, JobType, for_asset
from moo_markets.run_status import FINISHED_DAGSTER_STATUSES, job_type_for_run, scheduler_status
from moo_markets.schedules import cron_for
from moo_markets.warehouse.schema import job_executions, jobs

log = logging.getLogger(__name__)

UTC = dt.UTC

LOOKBACK = dt.timedelta(seconds=60)
"""How far behind the cursor each incremental sync re-reads.

Dagster stamps ``update_timestamp`` with the clock of whichever process wrote
the event (run worker, daemon, webserver) and ``updated_after`` is strict, so a
run written slightly late or by a skewed clock could land behind a cursor that
already moved on. Re-reading a minute is cheap because unchanged rows are not
written again.
"""

PAGE_SIZE = 500
MAX_RUNS_PER_TICK = 5000
"""Bound on the work of one sensor tick (the first tick backfills the whole history)."""

PARTITION_TAG = "dagster/partition"
PARTITION_RANGE_START_TAG = "dagster/asset_partition_range_start"
PARTITION_RANGE_END_TAG = "dagster/asset_partition_range_end"

_ERROR_EVENTS = {
    DagsterEventType.STEP_FAILURE,
    DagsterEventType.RUN_FAILURE,
    DagsterEventType.RUN_CANCELED,
}


# --------------------------------------------------------------------------- time


def utc(value: dt.datetime | None) -> dt.datetime | None:
    """An aware UTC datetime; naive values are UTC already.

    SQLite stores ``DateTime(timezone=True)`` without an offset and hands back
    naive values, so everything is written as UTC and read back as UTC, which
    makes stored and freshly computed rows comparable on both databases.
    """
    if value is None:
        return None
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def from_epoch(seconds: float | None) -> dt.datetime | None:
    return None if seconds is None else dt.datetime.fromtimestamp(seconds, tz=UTC)


def next_tick(cron: str, timezone: str, now: dt.datetime) -> dt.datetime:
    """The schedule's next tick at or after ``now``, exactly as the Dagster UI computes it.

    Dagster exposes no public cron iterator. This deliberately calls the private
    function the webserver itself uses for ``scheduleState.nextTick`` (cron
    dialect, timezone and DST handling included) instead of adding croniter, so
    ``jobs.next_run_at`` and the UI can never disagree. Dagster is pinned, and
    ``test_next_tick_*`` catches a change of this function on upgrade.
    """
    from dagster._utils.schedules import schedule_execution_time_iterator

    return utc(next(schedule_execution_time_iterator(now.timestamp(), cron, timezone)))


# --------------------------------------------------------------------------- schedules


@dataclass(frozen=True)
class ScheduleSpec:
    """What the mirror needs to know about one job's Dagster schedule."""

    name: str
    cron: str
    timezone: str
    default_running: bool = False


def catalog_schedules(catalog: Iterable[JobType] = JOBS) -> dict[str, ScheduleSpec]:
    """The schedules the code location builds: ``schedules.build_schedule`` uses the same
    cron (``cron_for``), Asia/Tokyo, and ``DefaultScheduleStatus.STOPPED``."""
    return {
        job.job_type: ScheduleSpec(job.schedule_name, cron_for(job), TIMEZONE, False)
        for job in catalog
    }


def schedule_states(instance: dg.DagsterInstance) -> dict[str, str]:
    """Stored status (``RUNNING``/``STOPPED``/``DECLARED_IN_CODE``) by schedule name.

    Only schedules someone toggled (or declared RUNNING in code) have a row. If
    the same name exists under several code locations, an explicit RUNNING wins
    over STOPPED, so a stale row of a renamed location cannot hide a running one.
    """
    states: dict[str, str] = {}
    for state in instance.all_instigator_state():
        if state.instigator_type.value != "SCHEDULE":
            continue
        status = state.status.value
        if status == "AUTOMATICALLY_RUNNING":  # pre-1.0 name of DECLARED_IN_CODE
            status = "DECLARED_IN_CODE"
        if states.get(state.name) != "RUNNING":
            states[state.name] = status
    return states


def is_enabled(spec: ScheduleSpec, states: Mapping[str, str]) -> bool:
    """Dagster's own rule: an explicit RUNNING/STOPPED wins, otherwise the default in code."""
    status = states.get(spec.name)
    if status == "RUNNING":
        return True
    if status == "STOPPED":
        return False
    return spec.default_running


# --------------------------------------------------------------------------- results


@dataclass
class SyncSummary:
    """Counts of one sync, for the sensor's tick message and the command's output."""

    jobs_inserted: int = 0
    jobs_updated: int = 0
    runs_seen: int = 0
    runs_inserted: int = 0
    runs_updated: int = 0
    runs_unchanged: int = 0
    runs_outside_catalog: int = 0
    runs_pruned: int = 0
    last_update: dt.datetime | None = None
    """Newest ``update_timestamp`` among the runs read: the sensor's next cursor."""
    more: bool = False
    """The tick stopped at its budget; the next tick continues from ``last_update``."""

    @property
    def changed(self) -> int:
        return (
            self.jobs_inserted
            + self.jobs_updated
            + self.runs_inserted
            + self.runs_updated
            + self.runs_pruned
        )

    def describe(self) -> str:
        text = (
            f"jobs: {self.jobs_inserted} inserted, {self.jobs_updated} updated; "
            f"runs: {self.runs_seen} read, {self.runs_inserted} inserted, "
            f"{self.runs_updated} updated, {self.runs_unchanged} unchanged, "
            f"{self.runs_outside_catalog} outside the catalog"
        )
        if self.runs_pruned:
            text += f", {self.runs_pruned} pruned"
        if self.more:
            text += "; more runs pending"
        return text


# --------------------------------------------------------------------------- jobs


_JOB_FIELDS = (
    "name",
    "description",
    "job_type",
    "schedule",
    "is_enabled",
    "last_run_at",
    "next_run_at",
)


def sync_jobs(
    connection: sa.Connection,
    *,
    states: Mapping[str, str],
    now: dt.datetime,
    schedules: Mapping[str, ScheduleSpec] | None = None,
    summary: SyncSummary | None = None,
    only_missing: bool = False,
    catalog: Sequence[JobType] = JOBS,
) -> SyncSummary:
    """Upsert one ``jobs`` row per catalog job; ``last_run_at`` from the mirrored runs.

    ``jobs.id`` is the catalog id, inserted explicitly so it is the same in every
    database and after every restart. Rows of retired job types are left alone
    (their ids are never reused). ``only_missing`` inserts absent rows without
    touching existing ones: run rows need their job row first (foreign key),
    while ``last_run_at`` can only be right after the runs are written.
    """
    summary = summary if summary is not None else SyncSummary()
    schedules = schedules if schedules is not None else catalog_schedules(catalog)
    existing = {row.id: row for row in connection.execute(sa.select(jobs))}
    if only_missing and all(job.id in existing for job in catalog):
        return summary
    last_runs = dict(
        connection.execute(
            sa.select(job_executions.c.job_id, sa.func.max(job_executions.c.started_at)).group_by(
                job_executions.c.job_id
            )
        ).all()
    )
    inserted = False
    for job in catalog:
        spec = schedules.get(job.job_type) or catalog_schedules([job])[job.job_type]
        enabled = is_enabled(spec, states)
        wanted: dict[str, Any] = {
            "name": job.name,
            "description": job.description,
            "job_type": job.job_type,
            "schedule": spec.cron,
            "is_enabled": enabled,
            "last_run_at": utc(last_runs.get(job.id)),
            "next_run_at": next_tick(spec.cron, spec.timezone, now) if enabled else None,
        }
        row = existing.get(job.id)
        if row is None:
            _check_job_type_free(connection, job)
            values = {"id": job.id, "inserted_at": now, "updated_at": now, **wanted}
            if _insert_ignoring(connection, jobs, ["id"], [values]):
                summary.jobs_inserted += 1
                inserted = True
            continue
        if only_missing:
            continue
        stored = {name: getattr(row, name) for name in _JOB_FIELDS}
        stored["last_run_at"] = utc(stored["last_run_at"])
        stored["next_run_at"] = utc(stored["next_run_at"])
        if stored != wanted:
            connection.execute(
                sa.update(jobs).where(jobs.c.id == job.id).values(updated_at=now, **wanted)
            )
            summary.jobs_updated += 1
    if inserted and connection.dialect.name == "postgresql":
        _advance_jobs_sequence(connection)
    return summary


def _check_job_type_free(connection: sa.Connection, job: JobType) -> None:
    other = connection.execute(
        sa.select(jobs.c.id).where(jobs.c.job_type == job.job_type)
    ).scalar_one_or_none()
    if other is not None and other != job.id:
        raise RuntimeError(
            f"jobs row {other} already holds job_type {job.job_type!r}, but the catalog gives it "
            f"id {job.id}; ids must match the catalog (moo_markets/catalog.py)"
        )


def _advance_jobs_sequence(connection: sa.Connection) -> None:
    """Keep ``jobs_id_seq`` past the explicit catalog ids, so a row added by hand
    (or by a later tool using the SERIAL default) cannot collide with them."""
    sequence = sa.func.pg_get_serial_sequence(jobs.name, jobs.c.id.name)
    highest = sa.select(sa.func.max(jobs.c.id)).scalar_subquery()
    connection.execute(sa.select(sa.func.setval(sequence, highest)))


def _insert_ignoring(
    connection: sa.Connection, table: sa.Table, conflict_columns: list[str], rows: list[dict]
) -> int:
    """INSERT rows, skipping any a concurrent sync already wrote; returns how many were new.

    Both PostgreSQL and SQLite (>= 3.24) support ``ON CONFLICT (...) DO NOTHING``;
    RETURNING (SQLite >= 3.35) tells which rows were really inserted.
    """
    if not rows:
        return 0
    dialect_insert = postgresql.insert if connection.dialect.name == "postgresql" else sqlite.insert
    statement = (
        dialect_insert(table)
        .on_conflict_do_nothing(index_elements=conflict_columns)
        .returning(table.c[conflict_columns[0]])
    )
    return len(connection.execute(statement, rows).all())


# --------------------------------------------------------------------------- runs


@dataclass(frozen=True)
class ExecutionRow:
    """The mirror's view of one Dagster run (every column but id/inserted_at/updated_at)."""

    run_id: str
    job_id: int
    started_at: dt.datetime
    completed_at: dt.datetime | None
    status: str
    error_message: str | None
    partition_key: str | None
    dagster_status: str


_EXECUTION_FIELDS = tuple(f.name for f in fields(ExecutionRow))


def _asset_order(key: str) -> tuple[int, str]:
    owner = for_asset(key)
    return (owner.id if owner else 1 << 30, key)


def ordered_asset_keys(keys: Iterable[str]) -> list[str]:
    """Asset keys in catalog order, so a run materializing assets of two job types is
    always given to the same one (``asset_selection`` is an unordered set)."""
    return sorted(set(keys), key=_asset_order)


def attribute_run(instance: dg.DagsterInstance, record: dg.RunRecord) -> JobType | None:
    """The catalog job type a run belongs to, or None for runs of other jobs.

    The job name, the job-type tag and the run's asset selection decide (see
    ``run_status.job_type_for_run``). Runs with no asset selection outside
    our jobs (``materialize()`` in tests, ad-hoc asset jobs) are identified by
    the assets they planned to materialize, read from their event log.
    """
    run = record.dagster_run
    selection = [key.to_user_string() for key in (run.asset_selection or ())]
    job = job_type_for_run(run.job_name, run.tags, ordered_asset_keys(selection))
    if job is not None or selection:
        return job
    planned = [
        entry.dagster_event.asset_key.to_user_string()
        for entry in instance.all_logs(
            run.run_id, of_type=DagsterEventType.ASSET_MATERIALIZATION_PLANNED
        )
        if entry.dagster_event is not None and entry.dagster_event.asset_key is not None
    ]
    return job_type_for_run(run.job_name, run.tags, ordered_asset_keys(planned))


def error_text(error: Any) -> str:
    """The user-facing text of a ``SerializableErrorInfo``.

    A failing step is reported as Dagster's wrapper
    (``DagsterExecutionStepExecutionError: Error occurred while executing op ...``)
    whose ``cause`` is the user's exception; that exception is what a reader of
    ``job_executions.error_message`` needs.
    """
    if error.cause is not None and error.cls_name and error.cls_name.startswith("Dagster"):
        return error.cause.message.strip()
    return error.message.strip()


def _step_failure_text(event: Any) -> str:
    data = event.step_failure_data
    if data.user_failure_data is not None and data.user_failure_data.description:
        return data.user_failure_data.description.strip()  # dg.Failure(description=...)
    if data.error is not None:
        return error_text(data.error)
    return event.message or "step failed"


def error_message_for(instance: dg.DagsterInstance, run_id: str, dagster_status: str) -> str | None:
    """``error_message`` for a finished run: the failed steps' exceptions, else Dagster's reason.

    FAILURE: the user exception of every failed step (prefixed with the step when
    several failed); a run that failed outside any step (worker killed, run
    monitoring, launch failure) gets the run failure message. CANCELED: the
    cancellation message Dagster recorded (who or what stopped it).
    """
    if dagster_status not in ("FAILURE", "CANCELED"):
        return None
    steps: dict[str, str] = {}
    run_failure = None
    canceled = None
    for entry in instance.all_logs(run_id, of_type=_ERROR_EVENTS):
        event = entry.dagster_event
        if event is None:
            continue
        if event.event_type == DagsterEventType.STEP_FAILURE:
            steps[event.step_key or "?"] = _step_failure_text(event)
        elif event.event_type == DagsterEventType.RUN_FAILURE:
            run_failure = event
        elif event.event_type == DagsterEventType.RUN_CANCELED:
            canceled = event
    if dagster_status == "CANCELED":
        return ((canceled.message or "").strip() or None) if canceled else None
    if len(steps) == 1:
        return next(iter(steps.values()))
    if steps:
        return "\n".join(f"{step}: {text}" for step, text in steps.items())
    if run_failure is None:
        return None
    message = (run_failure.message or "").strip()
    data = run_failure.event_specific_data
    error = getattr(data, "error", None)
    if error is not None:
        detail = error_text(error)
        if detail and detail not in message:
            message = f"{message}\n{detail}" if message else detail
    return message or None


def partition_key_of(tags: Mapping[str, str]) -> str | None:
    """``dagster/partition``; for a single-run backfill its range ``start...end``
    (just ``start`` when the range is one partition, as when one day is backfilled)."""
    if tags.get(PARTITION_TAG):
        return tags[PARTITION_TAG][:64]
    start, end = tags.get(PARTITION_RANGE_START_TAG), tags.get(PARTITION_RANGE_END_TAG)
    if start and end:
        return (start if start == end else f"{start}...{end}")[:64]
    return None


def execution_row(record: dg.RunRecord, job: JobType, error_message: str | None) -> ExecutionRow:
    """``started_at`` is the start, or the creation while the run has not started (queued);
    ``completed_at`` the end once finished (the last update if Dagster recorded no end,
    e.g. a run canceled while still queued by an older Dagster)."""
    run = record.dagster_run
    dagster_status = run.status.value
    finished = dagster_status in FINISHED_DAGSTER_STATUSES
    completed_at = None
    if finished:
        completed_at = from_epoch(record.end_time) or utc(record.update_timestamp)
    return ExecutionRow(
        run_id=run.run_id,
        job_id=job.id,
        started_at=from_epoch(record.start_time) or utc(record.create_timestamp),
        completed_at=completed_at,
        status=scheduler_status(dagster_status),
        error_message=error_message,
        partition_key=partition_key_of(run.tags),
        dagster_status=dagster_status,
    )


def _stored_execution(row: Any) -> ExecutionRow:
    values = {name: getattr(row, name) for name in _EXECUTION_FIELDS}
    values["started_at"] = utc(values["started_at"])
    values["completed_at"] = utc(values["completed_at"])
    return ExecutionRow(**values)


def upsert_runs(
    connection: sa.Connection,
    instance: dg.DagsterInstance,
    records: Sequence[dg.RunRecord],
    *,
    now: dt.datetime,
    summary: SyncSummary,
    refresh: bool = False,
) -> None:
    """Insert new runs, update changed ones, leave identical rows (and their ``updated_at``) alone.

    Event logs are read only when needed: to attribute a run without asset
    selection, and for the error text of a run that newly became FAILURE or
    CANCELED (``refresh`` re-reads them all, for repairs).
    """
    run_ids = [record.dagster_run.run_id for record in records]
    existing = {
        row.run_id: row
        for row in connection.execute(
            sa.select(job_executions).where(job_executions.c.run_id.in_(run_ids))
        )
    }
    new_rows: list[dict[str, Any]] = []
    for record in records:
        run = record.dagster_run
        summary.runs_seen += 1
        job = attribute_run(instance, record)
        if job is None:
            summary.runs_outside_catalog += 1
            continue
        stored = existing.get(run.run_id)
        dagster_status = run.status.value
        if stored is not None and not refresh and stored.dagster_status == dagster_status:
            error = stored.error_message  # finished runs do not change their failure
        else:
            error = error_message_for(instance, run.run_id, dagster_status)
        row = execution_row(record, job, error)
        if stored is None:
            new_rows.append({**row.__dict__, "inserted_at": now, "updated_at": now})
        elif _stored_execution(stored) == row:
            summary.runs_unchanged += 1
        else:
            connection.execute(
                sa.update(job_executions)
                .where(job_executions.c.run_id == run.run_id)
                .values(updated_at=now, **row.__dict__)
            )
            summary.runs_updated += 1
    inserted = _insert_ignoring(connection, job_executions, ["run_id"], new_rows)
    summary.runs_inserted += inserted
    summary.runs_unchanged += len(new_rows) - inserted


def sync_runs(
    instance: dg.DagsterInstance,
    engine: sa.Engine,
    *,
    after: dt.datetime | None,
    now: dt.datetime,
    summary: SyncSummary,
    page_size: int = PAGE_SIZE,
    max_runs: int | None = None,
    progress_past: dt.datetime | None = None,
    refresh: bool = False,
    seen_run_ids: set[str] | None = None,
) -> SyncSummary:
    """Mirror every run updated after ``after`` (all runs if None), oldest update first.

    Pages through ``get_run_records`` ordered by ``update_timestamp``, one
    transaction per page. Each page restarts at the last timestamp read (not
    after it), because several runs can share a timestamp across a page
    boundary; (run id, timestamp) pairs already handled are skipped, and a page
    made only of such ties is fetched again with a larger limit.

    With ``max_runs`` the sync stops at a page boundary once that many runs were
    read and the newest is past ``progress_past`` (the old cursor), so a tick
    always makes progress and the next one continues from ``summary.last_update``.
    """
    handled: set[tuple[str, dt.datetime]] = set()
    query_after = utc(after)
    limit = page_size
    read = 0
    while True:
        records = instance.get_run_records(
            filters=RunsFilter(updated_after=query_after),
            order_by="update_timestamp",
            ascending=True,
            limit=limit,
        )
        fresh = [r for r in records if (r.dagster_run.run_id, r.update_timestamp) not in handled]
        if fresh:
            with engine.begin() as connection:
                upsert_runs(connection, instance, fresh, now=now, summary=summary, refresh=refresh)
            for record in fresh:
                handled.add((record.dagster_run.run_id, record.update_timestamp))
                if seen_run_ids is not None:
                    seen_run_ids.add(record.dagster_run.run_id)
                newest = utc(record.update_timestamp)
                if summary.last_update is None or newest > summary.last_update:
                    summary.last_update = newest
            read += len(fresh)
        if len(records) < limit:
            return summary
        if not fresh:
            limit *= 2  # a full page of runs sharing one timestamp: widen, don't skip
            continue
        limit = page_size
        query_after = utc(records[-1].update_timestamp) - dt.timedelta(microseconds=1)
        if (
            max_runs is not None
            and read >= max_runs
            and (progress_past is None or summary.last_update > progress_past)
        ):
            summary.more = True
            return summary


def prune_runs(connection: sa.Connection, keep: set[str], summary: SyncSummary) -> None:
    """Delete rows of runs Dagster no longer has (deleted in the UI or by retention)."""
    stored = connection.execute(sa.select(job_executions.c.run_id)).scalars().all()
    gone = [run_id for run_id in stored if run_id not in keep]
    for start in range(0, len(gone), 500):
        chunk = gone[start : start + 500]
        connection.execute(sa.delete(job_executions).where(job_executions.c.run_id.in_(chunk)))
    summary.runs_pruned += len(gone)


# --------------------------------------------------------------------------- entry point


def sync(
    instance: dg.DagsterInstance,
    engine: sa.Engine,
    *,
    cursor: dt.datetime | None = None,
    now: dt.datetime | None = None,
    schedules: Mapping[str, ScheduleSpec] | None = None,
    page_size: int = PAGE_SIZE,
    max_runs: int | None = None,
    lookback: dt.timedelta = LOOKBACK,
    refresh: bool = False,
    prune: bool = False,
) -> SyncSummary:
    """One mirror pass: jobs rows, then runs updated since ``cursor - lookback``, then
    ``last_run_at``. ``cursor=None`` reads the whole run history (first tick, the command).

    Database errors propagate: the sensor's tick fails, its cursor stays where it
    was, and the next tick redoes the work (every write is idempotent).
    ``prune`` (full syncs only) deletes rows of runs that Dagster no longer has.
    """
    if prune and (cursor is not None or max_runs is not None):
        raise ValueError("prune needs a full sync (no cursor, no run budget)")
    now = utc(now) if now is not None else dt.datetime.now(tz=UTC)
    states = schedule_states(instance)
    summary = SyncSummary()
    with engine.begin() as connection:
        sync_jobs(
            connection,
            states=states,
            now=now,
            schedules=schedules,
            summary=summary,
            only_missing=True,
        )
    seen: set[str] | None = set() if prune else None
    sync_runs(
        instance,
        engine,
        after=(utc(cursor) - lookback) if cursor is not None else None,
        now=now,
        summary=summary,
        page_size=page_size,
        max_runs=max_runs,
        progress_past=utc(cursor),
        refresh=refresh,
        seen_run_ids=seen,
    )
    with engine.begin() as connection:
        sync_jobs(connection, states=states, now=now, schedules=schedules, summary=summary)
        if prune and seen is not None:
            prune_runs(connection, seen, summary)
    log.debug("mirror sync: %s", summary.describe())
    return summary

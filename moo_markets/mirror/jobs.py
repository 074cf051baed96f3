"""The ``jobs`` table: one row per catalog job, following its Dagster schedule.

Dagster's schedule storage says whether a job is enabled and when it ticks
next; the catalog and the settings give its name and cron. Rows are compared
in Python with what is stored and only rows that really differ are written.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import dagster as dg
import sqlalchemy as sa

from moo_markets.core.catalog import JOBS, TIMEZONE, JobType
from moo_markets.core.settings import load_settings
from moo_markets.core.time import in_tokyo
from moo_markets.warehouse.bulk import insert_ignoring
from moo_markets.warehouse.schema import job_executions, jobs

if TYPE_CHECKING:
    from moo_markets.core.cron import CronInForce
    from moo_markets.core.settings import Settings
    from moo_markets.mirror.sync import SyncSummary


# --------------------------------------------------------------------------- schedules


def next_tick(cron: str, timezone: str, now: dt.datetime) -> dt.datetime:
    """The schedule's next tick at or after ``now``, exactly as the Dagster UI computes it.

    Dagster exposes no public cron iterator. This deliberately calls the private
    function the webserver itself uses for ``scheduleState.nextTick`` (cron
    dialect, timezone and DST handling included) instead of adding croniter, so
    ``jobs.next_run_at`` and the UI can never disagree. Dagster is pinned, and
    ``test_next_tick_*`` catches a change of this function on upgrade.
    """
    from dagster._utils.schedules import schedule_execution_time_iterator

    return in_tokyo(next(schedule_execution_time_iterator(now.timestamp(), cron, timezone)))


@dataclass(frozen=True)
class ScheduleSpec:
    """What the mirror needs to know about one job's Dagster schedule."""

    name: str
    cron: str
    timezone: str
    default_running: bool = False
    description: str | None = None
    """The job's description for the configured plan (None: the catalog's)."""


def catalog_schedules(
    settings: Settings | None = None,
    catalog: Iterable[JobType] = JOBS,
    crons: Mapping[str, CronInForce] | None = None,
) -> dict[str, ScheduleSpec]:
    """The schedules the code location builds: ``schedules.build_schedule`` uses the same
    cron (``crons``, the crons in force when it loaded; default ``settings.cron_for``),
    Asia/Tokyo, and ``DefaultScheduleStatus.STOPPED``."""
    settings = settings or load_settings()
    crons = crons or {}
    return {
        job.job_type: ScheduleSpec(
            job.schedule_name,
            crons[job.job_type].cron if job.job_type in crons else settings.cron_for(job),
            TIMEZONE,
            False,
            job.description_for(settings.jquants_plan),
        )
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


# --------------------------------------------------------------------------- rows


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
    if summary is None:
        from moo_markets.mirror.sync import SyncSummary

        summary = SyncSummary()
    schedules = schedules if schedules is not None else catalog_schedules(catalog=catalog)
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
        spec = schedules.get(job.job_type) or catalog_schedules(catalog=[job])[job.job_type]
        enabled = is_enabled(spec, states)
        wanted: dict[str, Any] = {
            "name": job.name,
            "description": spec.description or job.description,
            "job_type": job.job_type,
            "schedule": spec.cron,
            "is_enabled": enabled,
            "last_run_at": in_tokyo(last_runs.get(job.id)),
            "next_run_at": next_tick(spec.cron, spec.timezone, now) if enabled else None,
        }
        row = existing.get(job.id)
        if row is None:
            _check_job_type_free(connection, job)
            values = {"id": job.id, "inserted_at": now, "updated_at": now, **wanted}
            if insert_ignoring(connection, jobs, ["id"], [values]):
                summary.jobs_inserted += 1
                inserted = True
            continue
        if only_missing:
            continue
        stored = {name: getattr(row, name) for name in _JOB_FIELDS}
        stored["last_run_at"] = in_tokyo(stored["last_run_at"])
        stored["next_run_at"] = in_tokyo(stored["next_run_at"])
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
            f"id {job.id}; ids must match the catalog (moo_markets/core/catalog.py)"
        )


def _advance_jobs_sequence(connection: sa.Connection) -> None:
    """Keep ``jobs_id_seq`` past the explicit catalog ids, so a row added by hand
    (or by a later tool using the SERIAL default) cannot collide with them."""
    sequence = sa.func.pg_get_serial_sequence(jobs.name, jobs.c.id.name)
    highest = sa.select(sa.func.max(jobs.c.id)).scalar_subquery()
    connection.execute(sa.select(sa.func.setval(sequence, highest)))

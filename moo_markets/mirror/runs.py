"""The ``job_executions`` table: one row per Dagster run of a catalog job.

Each run is read through the instance (``dagster_runs.run_view``) and turned
into its row by the core run vocabulary (``core.runs.execution``), the same
decisions the REST API takes from GraphQL. Rows are compared in Python with
what is stored and only rows that really differ are written, so
``updated_at`` moves only when something changed; inserts ignore a conflict
on ``run_id`` so the sensor and ``mirror sync`` may run at once. Rows are
deleted only by :func:`delete_rows` (pruning and retention).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, fields
from typing import TYPE_CHECKING, Any

import dagster as dg
import sqlalchemy as sa
from dagster import RunsFilter

from moo_markets.core import runs as core_runs
from moo_markets.core.time import in_tokyo
from moo_markets.dagster_runs import run_view
from moo_markets.warehouse import stop_reasons
from moo_markets.warehouse.bulk import insert_ignoring
from moo_markets.warehouse.schema import job_executions

if TYPE_CHECKING:
    from moo_markets.mirror.sync import SyncSummary

PAGE_SIZE = 500


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


def execution_row(execution: core_runs.Execution) -> ExecutionRow | None:
    """The row of a run, or None for runs outside the catalog."""
    if execution.job is None or execution.started_at is None:
        return None
    return ExecutionRow(
        run_id=execution.run_id,
        job_id=execution.job.id,
        started_at=execution.started_at,
        completed_at=execution.completed_at,
        status=execution.status,
        error_message=execution.error_message,
        partition_key=execution.partition,
        dagster_status=execution.dagster_status,
    )


def _stored_execution(row: Any) -> ExecutionRow:
    values = {name: getattr(row, name) for name in _EXECUTION_FIELDS}
    values["started_at"] = in_tokyo(values["started_at"])
    values["completed_at"] = in_tokyo(values["completed_at"])
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

    Event logs are read only for the error text of a run that newly became
    FAILURE or CANCELED (``refresh`` re-reads them all, for repairs); a
    finished run's text does not change.
    """
    run_ids = [record.dagster_run.run_id for record in records]
    existing = {
        row.run_id: row
        for row in connection.execute(
            sa.select(job_executions).where(job_executions.c.run_id.in_(run_ids))
        )
    }
    canceled = [r.dagster_run.run_id for r in records if r.dagster_run.status.value == "CANCELED"]
    reasons = stop_reasons.read(connection, canceled) if canceled else {}
    new_rows: list[dict[str, Any]] = []
    for record in records:
        run = record.dagster_run
        summary.runs_seen += 1
        stored = existing.get(run.run_id)
        status = run.status.value
        reuse = stored is not None and not refresh and stored.dagster_status == status
        view = run_view(
            instance,
            record,
            errors=core_runs.needs_events(status) and not reuse,
            stop_reason=reasons.get(run.run_id),
        )
        execution = core_runs.execution(view)
        if reuse:
            execution = _with_error(execution, stored.error_message)
        row = execution_row(execution)
        if row is None:
            summary.runs_outside_catalog += 1
            continue
        if stored is None:
            new_rows.append({**asdict(row), "inserted_at": now, "updated_at": now})
        elif _stored_execution(stored) == row:
            summary.runs_unchanged += 1
        else:
            connection.execute(
                sa.update(job_executions)
                .where(job_executions.c.run_id == run.run_id)
                .values(updated_at=now, **asdict(row))
            )
            summary.runs_updated += 1
    inserted = insert_ignoring(connection, job_executions, ["run_id"], new_rows)
    summary.runs_inserted += inserted
    summary.runs_unchanged += len(new_rows) - inserted


def _with_error(execution: core_runs.Execution, text: str | None) -> core_runs.Execution:
    from dataclasses import replace

    return replace(execution, error_message=text)


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
    query_after = after
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
                newest = record.update_timestamp
                if summary.last_update is None or newest > summary.last_update:
                    summary.last_update = newest
            read += len(fresh)
        if len(records) < limit:
            return summary
        if not fresh:
            limit *= 2  # a full page of runs sharing one timestamp: widen, don't skip
            continue
        limit = page_size
        query_after = records[-1].update_timestamp - dt.timedelta(microseconds=1)
        if (
            max_runs is not None
            and read >= max_runs
            and (progress_past is None or summary.last_update > progress_past)
        ):
            summary.more = True
            return summary


def delete_rows(connection: sa.Connection, run_ids: Iterable[str]) -> int:
    """Delete the rows (and recorded stop reasons) of runs; the only place rows are deleted."""
    ids = list(run_ids)
    deleted = 0
    for start in range(0, len(ids), PAGE_SIZE):
        chunk = ids[start : start + PAGE_SIZE]
        deleted += connection.execute(
            sa.delete(job_executions).where(job_executions.c.run_id.in_(chunk))
        ).rowcount
    stop_reasons.forget(connection, ids)
    return deleted


def prune_runs(connection: sa.Connection, keep: set[str], summary: SyncSummary) -> None:
    """Delete rows of runs Dagster no longer has (deleted in the UI or by retention)."""
    stored = connection.execute(sa.select(job_executions.c.run_id)).scalars().all()
    summary.runs_pruned += delete_rows(connection, [r for r in stored if r not in keep])

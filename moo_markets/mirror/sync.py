"""One mirror pass: Dagster's schedule and run state into ``jobs`` / ``job_executions``.

Dagster is the source of truth: its schedule storage says whether a job is
enabled, its run storage is the execution history. ``sync`` orchestrates the
two tables (``mirror/jobs.py``, ``mirror/runs.py``) so the sensor, the
``mirror sync`` command and the tests share one code path. Every write is
idempotent; database errors propagate, so a failed sensor tick keeps its
cursor and the next tick redoes the work.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Mapping
from dataclasses import dataclass

import dagster as dg
import sqlalchemy as sa

from moo_markets.core.time import in_tokyo, now_jst
from moo_markets.mirror.jobs import ScheduleSpec, schedule_states, sync_jobs
from moo_markets.mirror.runs import PAGE_SIZE, prune_runs, sync_runs

log = logging.getLogger(__name__)

LOOKBACK = dt.timedelta(seconds=60)
"""How far behind the cursor each incremental sync re-reads.

Dagster stamps ``update_timestamp`` with the clock of whichever process wrote
the event (run worker, daemon, webserver) and ``updated_after`` is strict, so a
run written slightly late or by a skewed clock could land behind a cursor that
already moved on. Re-reading a minute is cheap because unchanged rows are not
written again.
"""

MAX_RUNS_PER_TICK = 5000
"""Bound on the work of one sensor tick (the first tick backfills the whole history)."""


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

    ``schedules`` are the crons the code location was built with (default: from the
    settings). ``prune`` (full syncs only) deletes rows of runs that Dagster no longer has.
    """
    if prune and (cursor is not None or max_runs is not None):
        raise ValueError("prune needs a full sync (no cursor, no run budget)")
    now = in_tokyo(now) if now is not None else now_jst()
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
        after=(cursor - lookback) if cursor is not None else None,
        now=now,
        summary=summary,
        page_size=page_size,
        max_runs=max_runs,
        progress_past=cursor,
        refresh=refresh,
        seen_run_ids=seen,
    )
    with engine.begin() as connection:
        sync_jobs(connection, states=states, now=now, schedules=schedules, summary=summary)
        if prune and seen is not None:
            prune_runs(connection, seen, summary)
    log.debug("mirror sync: %s", summary.describe())
    return summary

"""Finding and ending stuck runs from inside Dagster (the automatic half of cleanup).

A run is stuck when it is STARTING, STARTED or CANCELING and either its run
worker's process is gone (checked on this host, default launcher only) or it
has logged no event for ``stuck_after``. Queued runs are waiting, not stuck.
The REST API's ``POST /api/scheduler/cleanup`` applies the same rule.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import dagster as dg

from moo_markets.run_worker import alive, pid_from_message

UNFINISHED = [dg.DagsterRunStatus.STARTING, dg.DagsterRunStatus.STARTED, dg.DagsterRunStatus.CANCELING]


@dataclass(frozen=True)
class StuckRun:
    run: dg.DagsterRun
    reason: str


def _latest_event_time(instance: dg.DagsterInstance, run_id: str) -> float | None:
    records = instance.get_records_for_run(run_id, ascending=False, limit=1).records
    return records[0].event_log_entry.timestamp if records else None


def _worker_gone(instance: dg.DagsterInstance, run_id: str) -> bool:
    if not isinstance(instance.run_launcher, dg.DefaultRunLauncher):
        return False  # workers live elsewhere (Docker, Kubernetes): only the idle rule applies
    records = instance.get_records_for_run(
        run_id, of_type=dg.DagsterEventType.ENGINE_EVENT, ascending=True, limit=20
    ).records
    for record in records:
        entry = record.event_log_entry
        pid = pid_from_message(entry.user_message)
        if pid is not None and "Started process" in (entry.user_message or ""):
            return not alive(pid, entry.timestamp)
    return False


def find_stuck_runs(
    instance: dg.DagsterInstance, stuck_after: dt.timedelta, now: dt.datetime | None = None
) -> list[StuckRun]:
    now = now or dt.datetime.now(tz=dt.UTC)
    stuck: list[StuckRun] = []
    for record in instance.get_run_records(filters=dg.RunsFilter(statuses=UNFINISHED)):
        run = record.dagster_run
        if _worker_gone(instance, run.run_id):
            stuck.append(StuckRun(run, "run worker process is gone"))
            continue
        last = _latest_event_time(instance, run.run_id) or record.update_timestamp.timestamp()
        idle = now.timestamp() - last
        if idle > stuck_after.total_seconds():
            stuck.append(StuckRun(run, f"no progress for {idle / 60:.0f} min"))
    return stuck


def end_stuck_run(instance: dg.DagsterInstance, stuck: StuckRun) -> None:
    """Mark the run canceled, with the reason, so queues and the mirror move on."""
    instance.report_run_canceled(stuck.run, message=f"Stuck run ended by moo_markets cleanup: {stuck.reason}")

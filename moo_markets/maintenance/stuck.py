"""Finding and ending stuck runs from inside Dagster (the automatic half of cleanup).

A run is stuck when it is STARTING, STARTED or CANCELING and either its run
worker's process is gone (checked on this host, default launcher only) or it
has logged no event for ``stuck_after``. Queued runs are waiting, not stuck.
The REST API's ``POST /api/scheduler/cleanup`` applies the same rule.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

import dagster as dg

from moo_markets.run_worker import alive, pid_from_message

log = logging.getLogger(__name__)

UNFINISHED = [
    dg.DagsterRunStatus.STARTING,
    dg.DagsterRunStatus.STARTED,
    dg.DagsterRunStatus.CANCELING,
]


@dataclass(frozen=True)
class StuckRun:
    run: dg.DagsterRun
    reason: str


def _latest_event_time(instance: dg.DagsterInstance, run_id: str) -> float | None:
    records = instance.get_records_for_run(run_id, ascending=False, limit=1).records
    return records[0].event_log_entry.timestamp if records else None


def _worker_gone(instance: dg.DagsterInstance, run_id: str) -> bool:
    if not isinstance(instance.run_launcher, dg.DefaultRunLauncher):
        log.debug("run launcher %s: no pid check", type(instance.run_launcher).__name__)
        return False  # workers live elsewhere (Docker, Kubernetes): only the idle rule applies
    records = instance.get_records_for_run(
        run_id, of_type=dg.DagsterEventType.ENGINE_EVENT, ascending=True, limit=20
    ).records
    for record in records:
        entry = record.event_log_entry
        message = (
            entry.dagster_event.message if entry.dagster_event else None
        ) or entry.user_message
        pid = pid_from_message(message)
        if pid is not None:  # "Executing steps ... (pid: N)": the run worker itself
            gone = not alive(pid, entry.timestamp)
            log.info("run %s worker pid %s %s", run_id, pid, "gone" if gone else "alive")
            return gone
    log.info("run %s: no worker pid recorded among %d engine events", run_id, len(records))
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
    instance.report_run_canceled(
        stuck.run, message=f"Stuck run ended by moo_markets cleanup: {stuck.reason}"
    )

"""Ending a local instance's runs before its processes stop (``moo-markets dev`` shutdown).

Stopping the code server under a running backfill kills its run worker
mid-request: the run then fails, and Dagster marks every partition of the
range that was never tried as failed. So the dev server ends runs first,
through the instance's public API:

1. backfills still in progress are marked canceled, so the daemon does not
   count the partitions of their canceled runs as failed;
2. every unfinished run is marked canceled with :data:`REASON` (the reason
   the UI, the SQL mirror and the REST API then show);
3. each run's worker gets SIGTERM: seeing its run already canceled, Dagster
   only cleans up. Workers still alive after the grace period are killed,
   with their step processes.

Partitions a run had committed stay materialized; the others are simply
missing, ready for the next backfill.
"""

from __future__ import annotations

import signal
import time
from collections.abc import Iterable

import dagster as dg
import psutil

from moo_markets.core.workers import alive, pid_from_message

REASON = "stopped: make dev was shut down"

UNFINISHED = [
    dg.DagsterRunStatus.QUEUED,
    dg.DagsterRunStatus.NOT_STARTED,
    dg.DagsterRunStatus.STARTING,
    dg.DagsterRunStatus.STARTED,
    dg.DagsterRunStatus.CANCELING,
]


def cancel_backfills(instance: dg.DagsterInstance) -> list[str]:
    """Mark backfills in progress canceled, so the daemon finishes nothing on their behalf."""
    # BulkActionStatus has no public export. GraphQL's cancelPartitionBackfill would only set
    # CANCELING, and the daemon then counts the canceled run's untried partitions as failed.
    from dagster._core.execution.backfill import BulkActionStatus

    ended = []
    for backfill in instance.get_backfills(status=BulkActionStatus.REQUESTED):
        instance.update_backfill(
            backfill.with_status(BulkActionStatus.CANCELED).with_end_timestamp(time.time())
        )
        ended.append(backfill.backfill_id)
    return ended


def worker_pid(instance: dg.DagsterInstance, run_id: str) -> int | None:
    """The pid of the run's worker, from its "... (pid: N)" engine event, if still alive."""
    records = instance.get_records_for_run(
        run_id, of_type=dg.DagsterEventType.ENGINE_EVENT, ascending=True, limit=20
    ).records
    for record in records:
        entry = record.event_log_entry
        message = (entry.dagster_event.message if entry.dagster_event else None) or ""
        pid = pid_from_message(message)
        if pid is not None:
            return pid if alive(pid, entry.timestamp) else None
    return None


def cancel_runs(
    instance: dg.DagsterInstance, reason: str = REASON
) -> tuple[list[str], list[psutil.Process]]:
    """Mark every unfinished run canceled with ``reason``; return their ids and live workers."""
    canceled: list[str] = []
    workers: list[psutil.Process] = []
    for record in instance.get_run_records(filters=dg.RunsFilter(statuses=UNFINISHED)):
        run = record.dagster_run
        pid = worker_pid(instance, run.run_id)
        instance.report_run_canceled(run, message=reason)
        canceled.append(run.run_id)
        if pid is not None:
            try:
                workers.append(psutil.Process(pid))
            except psutil.NoSuchProcess:
                pass
    return canceled, workers


def stop_processes(processes: Iterable[psutil.Process], grace: float) -> None:
    """SIGTERM each process, wait ``grace`` seconds, then kill what is left and its children."""
    processes = list(processes)
    trees = {p.pid: _children(p) for p in processes}
    for process in processes:
        try:
            process.send_signal(signal.SIGTERM)
        except psutil.NoSuchProcess:
            pass
    _, remaining = psutil.wait_procs(processes, timeout=grace)
    leftovers = remaining + [c for p in processes for c in trees[p.pid]]
    for process in leftovers:
        try:
            process.kill()
        except psutil.NoSuchProcess:
            pass
    psutil.wait_procs(leftovers, timeout=5)


def _children(process: psutil.Process) -> list[psutil.Process]:
    try:
        return process.children(recursive=True)
    except psutil.NoSuchProcess:
        return []


def end_all(instance: dg.DagsterInstance, grace: float = 20.0) -> tuple[list[str], list[str]]:
    """Cancel backfills and unfinished runs, then stop their workers.

    Returns the ids of the backfills and runs canceled.
    """
    backfills = cancel_backfills(instance)
    runs, workers = cancel_runs(instance)
    if workers:
        stop_processes(workers, grace)
    return backfills, runs

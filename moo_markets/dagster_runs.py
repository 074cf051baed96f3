"""Runs read through the Dagster instance, as the core run vocabulary sees them.

The adapter of the Dagster side (the mirror, the stuck_run_sensor,
retention): a ``RunRecord`` and, when asked, its event log become a
:class:`~moo_markets.core.runs.RunView`; every decision about it is taken in
``moo_markets.core.runs``. Only public ``DagsterInstance`` methods are used.
"""

from __future__ import annotations

from typing import Any

import dagster as dg
from dagster import DagsterEventType

from moo_markets.core.runs import ErrorInfo, RunView, StepEvent, job_type_for_run
from moo_markets.core.time import from_epoch, in_tokyo
from moo_markets.core.workers import exited_message, pid_from_message

ERROR_EVENTS = {
    DagsterEventType.STEP_FAILURE,
    DagsterEventType.STEP_UP_FOR_RETRY,
    DagsterEventType.RUN_FAILURE,
    DagsterEventType.RUN_CANCELED,
}


def error_info(error: Any) -> ErrorInfo | None:
    """A ``SerializableErrorInfo`` (and its causes) as the core's :class:`ErrorInfo`."""
    if error is None:
        return None
    return ErrorInfo(error.cls_name, error.message or "", error_info(error.cause))


def _asset_keys(instance: dg.DagsterInstance, run: dg.DagsterRun) -> tuple[str, ...]:
    """The run's asset selection; for runs without one outside our jobs (``materialize()``,
    ad-hoc asset jobs) the assets it planned to materialize, read from its event log."""
    selection = tuple(key.to_user_string() for key in (run.asset_selection or ()))
    if selection or job_type_for_run(run.job_name, run.tags) is not None:
        return selection
    return tuple(
        entry.dagster_event.asset_key.to_user_string()
        for entry in instance.all_logs(
            run.run_id, of_type=DagsterEventType.ASSET_MATERIALIZATION_PLANNED
        )
        if entry.dagster_event is not None and entry.dagster_event.asset_key is not None
    )


def run_view(
    instance: dg.DagsterInstance,
    record: dg.RunRecord,
    *,
    errors: bool = False,
    worker: bool = False,
    stop_reason: str | None = None,
) -> RunView:
    """The run of ``record``; ``errors`` reads its failure/cancel events, ``worker`` its
    engine events (worker pid, exit) and newest event time."""
    run = record.dagster_run
    facts: dict[str, Any] = {}
    if errors:
        facts.update(_error_facts(instance, run.run_id))
    if worker:
        facts.update(_worker_facts(instance, run.run_id))
    return RunView(
        run_id=run.run_id,
        job_name=run.job_name,
        status=run.status.value,
        tags=dict(run.tags),
        asset_keys=_asset_keys(instance, run),
        created_at=in_tokyo(record.create_timestamp),
        started_at=from_epoch(record.start_time),
        ended_at=from_epoch(record.end_time),
        updated_at=in_tokyo(record.update_timestamp),
        stop_reason=stop_reason,
        **facts,
    )


def _error_facts(instance: dg.DagsterInstance, run_id: str) -> dict[str, Any]:
    steps: list[StepEvent] = []
    facts: dict[str, Any] = {}
    for entry in instance.all_logs(run_id, of_type=ERROR_EVENTS):
        event = entry.dagster_event
        if event is None:
            continue
        if event.event_type == DagsterEventType.STEP_FAILURE:
            data = event.step_failure_data
            user = data.user_failure_data
            steps.append(
                StepEvent(
                    step_key=event.step_key or "?",
                    kind="failure",
                    error=error_info(data.error),
                    failure_description=user.description if user is not None else None,
                    message=event.message,
                )
            )
        elif event.event_type == DagsterEventType.STEP_UP_FOR_RETRY:
            steps.append(
                StepEvent(
                    step_key=event.step_key or "?",
                    kind="retry",
                    error=error_info(event.event_specific_data.error),
                    message=event.message,
                )
            )
        elif event.event_type == DagsterEventType.RUN_FAILURE:
            facts["run_failure_message"] = event.message
            facts["run_failure_error"] = error_info(
                getattr(event.event_specific_data, "error", None)
            )
        elif event.event_type == DagsterEventType.RUN_CANCELED:
            facts["cancel_message"] = event.message
    facts["step_events"] = tuple(steps)
    return facts


def _worker_facts(instance: dg.DagsterInstance, run_id: str) -> dict[str, Any]:
    facts: dict[str, Any] = {"worker_exited": False}
    for entry in instance.all_logs(run_id, of_type=DagsterEventType.ENGINE_EVENT):
        message = (entry.dagster_event.message if entry.dagster_event else None) or (
            entry.user_message
        )
        if exited_message(message):
            facts["worker_exited"] = True
        pid = pid_from_message(message)
        if pid is not None and "worker_pid" not in facts:
            # The first engine event naming a pid: "Started process for run (pid: N)" or
            # "Executing steps ... (pid: N)", the run worker itself.
            facts["worker_pid"] = pid
            facts["worker_pid_at"] = from_epoch(entry.timestamp)
    latest = instance.get_records_for_run(run_id, ascending=False, limit=1).records
    if latest:
        facts["last_event_at"] = from_epoch(latest[0].event_log_entry.timestamp)
    return facts

"""Runs read through GraphQL, as the core run vocabulary sees them.

The adapter of the REST API's side: a GraphQL ``Run`` dict (``RunFields``)
and, when fetched, its events (``RunEvents``) become a
:class:`~moo_markets.core.runs.RunView`; every decision about it is taken in
``moo_markets.core.runs``, exactly as for the SQL mirror.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from moo_markets.core.runs import ErrorInfo, RunView, StepEvent
from moo_markets.core.time import from_epoch
from moo_markets.core.workers import exited_message, pid_from_message


def tags_of(run: Mapping[str, Any]) -> dict[str, str]:
    return {t["key"]: t["value"] for t in run.get("tags") or ()}


def asset_keys_of(run: Mapping[str, Any]) -> tuple[str, ...]:
    return tuple("/".join(a["path"]) for a in run.get("assetSelection") or ())


def error_info(error: Mapping[str, Any] | None) -> ErrorInfo | None:
    if not error:
        return None
    return ErrorInfo(
        error.get("className"), error.get("message") or "", error_info(error.get("cause"))
    )


def _event_time(event: Mapping[str, Any]):
    stamp = event.get("timestamp")
    return from_epoch(float(stamp) / 1000.0) if stamp else None


def run_view(
    run: Mapping[str, Any],
    events: Iterable[Mapping[str, Any]] | None = None,
    stop_reason: str | None = None,
) -> RunView:
    """The run; ``events`` (its event connection) fill the failure, cancel and worker facts."""
    facts: dict[str, Any] = {}
    if events is not None:
        facts = _event_facts(list(events))
    return RunView(
        run_id=run["runId"],
        job_name=run.get("pipelineName") or "",
        status=run["status"],
        tags=tags_of(run),
        asset_keys=asset_keys_of(run),
        created_at=from_epoch(run.get("creationTime")),
        started_at=from_epoch(run.get("startTime")),
        ended_at=from_epoch(run.get("endTime")),
        updated_at=from_epoch(run.get("updateTime")),
        stop_reason=stop_reason,
        **facts,
    )


def step_events(events: Iterable[Mapping[str, Any]]) -> tuple[StepEvent, ...]:
    steps = []
    for event in events:
        kind = event.get("__typename")
        if kind not in ("ExecutionStepFailureEvent", "ExecutionStepUpForRetryEvent"):
            continue
        metadata = event.get("failureMetadata") or {}
        steps.append(
            StepEvent(
                step_key=event.get("stepKey") or "?",
                kind="failure" if kind == "ExecutionStepFailureEvent" else "retry",
                error=error_info(event.get("error")),
                failure_description=metadata.get("description"),
                message=event.get("message"),
            )
        )
    return tuple(steps)


def _event_facts(events: list[Mapping[str, Any]]) -> dict[str, Any]:
    facts: dict[str, Any] = {"step_events": step_events(events), "worker_exited": False}
    times = [t for t in (_event_time(e) for e in events) if t is not None]
    if times:
        facts["last_event_at"] = max(times)
    for event in events:
        kind = event.get("__typename")
        if kind == "RunFailureEvent":
            facts["run_failure_message"] = event.get("message")
            facts["run_failure_error"] = error_info(event.get("error"))
        elif kind == "RunCanceledEvent":
            facts["cancel_message"] = event.get("message")
        elif kind == "EngineEvent":
            message = event.get("message")
            if exited_message(message):
                facts["worker_exited"] = True
            pid = pid_from_message(message)
            if pid is not None and "worker_pid" not in facts:
                facts["worker_pid"] = pid
                facts["worker_pid_at"] = _event_time(event)
    return facts

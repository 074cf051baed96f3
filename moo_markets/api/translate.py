"""Pure translation of GraphQL answers into the API's vocabulary (no I/O here).

What a run means is decided by ``moo_markets.core.runs`` (through the
adapter ``api/views.py``), exactly as for the SQL mirror; this module only
shapes the answers.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

from moo_markets.api.views import run_view, step_events
from moo_markets.core import runs
from moo_markets.core.catalog import TIMEZONE, JobType
from moo_markets.core.runs import RunView
from moo_markets.core.time import from_epoch


def when(epoch: float | str | None, *, millis: bool = False) -> dt.datetime | None:
    """Epoch seconds (or event milliseconds) as an aware Asia/Tokyo datetime."""
    if epoch is None or epoch == "":
        return None
    return from_epoch(float(epoch) / (1000.0 if millis else 1.0))


def job_of(run: Mapping[str, Any]) -> JobType | None:
    return runs.job_of(run_view(run))


def is_finished(run: Mapping[str, Any]) -> bool:
    return runs.is_finished(run["status"])


def execution(view: RunView) -> dict[str, Any]:
    """A REST execution: the same fields, decided the same way, as a ``job_executions`` row."""
    facts = runs.execution(view)
    return {
        "run_id": facts.run_id,
        "job_id": facts.job.id if facts.job else None,
        "job_type": facts.job.job_type if facts.job else None,
        "status": facts.status,
        "dagster_status": facts.dagster_status,
        "partition": facts.partition,
        "started_at": facts.started_at,
        "completed_at": facts.completed_at,
        "error_message": facts.error_message,
    }


def steps(
    stats: Iterable[Mapping[str, Any]], events: list[Mapping[str, Any]], run: Mapping[str, Any]
) -> list[dict]:
    """The steps of ``run`` (an :func:`execution`): a step its run ended under (see
    :func:`runs.step_outcome`) ends at the run's end, with the run's error text."""
    errors = runs.step_errors(step_events(events))
    result = []
    for s in stats:
        status = runs.step_outcome(s.get("status"), run["dagster_status"])
        ended_with_run = status != s.get("status")
        result.append(
            {
                "step_key": s["stepKey"],
                "status": status,
                "started_at": when(s.get("startTime")),
                "completed_at": run["completed_at"] if ended_with_run else when(s.get("endTime")),
                "attempts": max(1, len(s.get("attempts") or ())) if s.get("startTime") else 0,
                "error_message": errors.get(s["stepKey"])
                or (run["error_message"] if ended_with_run else None),
            }
        )
    return result


def job(
    job_type: JobType,
    schedule: Mapping[str, Any] | None,
    last_run: RunView | None,
    running: bool,
    mirror: tuple[dt.datetime | None, dt.datetime | None] | None,
    default_cron: str,
    plan: str,
) -> dict[str, Any]:
    state = (schedule or {}).get("scheduleState") or {}
    enabled = state.get("status") == "RUNNING"
    next_tick = state.get("nextTick") or {}
    last = execution(last_run) if last_run else None
    reason = job_type.unavailable_reason(plan)
    if reason is None and schedule is None:
        reason = "not deployed in the Dagster code location (reload it)"
    return {
        "id": job_type.id,
        "name": job_type.name,
        "description": job_type.description_for(plan),
        "job_type": job_type.job_type,
        "schedule": (schedule or {}).get("cronSchedule") or default_cron,
        "timezone": (schedule or {}).get("executionTimezone") or TIMEZONE,
        "is_enabled": enabled,
        "is_running": running,
        "last_run_at": last["started_at"] if last else None,
        "next_run_at": when(next_tick.get("timestamp")) if enabled else None,
        "last_execution": last,
        "inserted_at": mirror[0] if mirror else None,
        "updated_at": mirror[1] if mirror else None,
        "partitioned": job_type.partitioned,
        "available": reason is None,
        "unavailable_reason": reason,
    }


def summary(full: Mapping[str, Any]) -> dict[str, Any]:
    last = full["last_execution"]
    return {
        "id": full["id"],
        "job_type": full["job_type"],
        "name": full["name"],
        "is_enabled": full["is_enabled"],
        "is_running": full["is_running"],
        "last_run_at": full["last_run_at"],
        "next_run_at": full["next_run_at"],
        "last_status": last["status"] if last else None,
    }


def daemon(status: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "daemon_type": status["daemonType"],
        "healthy": bool(status.get("healthy")),
        "required": bool(status.get("required")),
        "last_heartbeat_at": when(status.get("lastHeartbeatTime")),
    }

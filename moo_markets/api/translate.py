"""Pure translation of GraphQL answers into the API's vocabulary (no I/O here)."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping
from typing import Any
from zoneinfo import ZoneInfo

from moo_markets.catalog import TIMEZONE, JobType
from moo_markets.run_status import (
    FAILED,
    FINISHED_DAGSTER_STATUSES,
    job_type_for_run,
    scheduler_status,
)
from moo_markets.run_worker import pid_from_message

TZ = ZoneInfo(TIMEZONE)
PARTITION_TAG = "dagster/partition"

_QUALIFIED = re.compile(r"^(?:[A-Za-z_][\w]*\.)+([A-Za-z_]\w*): ", re.MULTILINE)


def when(epoch: float | str | None, *, millis: bool = False) -> dt.datetime | None:
    """Epoch seconds (or event milliseconds) as an aware Asia/Tokyo datetime."""
    if epoch is None or epoch == "":
        return None
    value = float(epoch) / (1000.0 if millis else 1.0)
    return dt.datetime.fromtimestamp(value, tz=TZ)


def tags_of(run: Mapping[str, Any]) -> dict[str, str]:
    return {t["key"]: t["value"] for t in run.get("tags") or ()}


def asset_keys_of(run: Mapping[str, Any]) -> list[str]:
    return ["/".join(a["path"]) for a in run.get("assetSelection") or ()]


def job_of(run: Mapping[str, Any]) -> JobType | None:
    return job_type_for_run(run.get("pipelineName", ""), tags_of(run), asset_keys_of(run))


def is_finished(run: Mapping[str, Any]) -> bool:
    return run["status"] in FINISHED_DAGSTER_STATUSES


def execution(run: Mapping[str, Any], error_message: str | None = None) -> dict[str, Any]:
    job = job_of(run)
    status = scheduler_status(run["status"])
    return {
        "run_id": run["runId"],
        "job_id": job.id if job else None,
        "job_type": job.job_type if job else None,
        "status": status,
        "dagster_status": run["status"],
        "partition": tags_of(run).get(PARTITION_TAG),
        "started_at": when(run.get("startTime") or run.get("creationTime")),
        "completed_at": when(run.get("endTime")) if is_finished(run) else None,
        "error_message": error_message if status == FAILED else None,
    }


def clean_error(text: str | None) -> str:
    """``pkg.mod.SomeError: text`` -> ``SomeError: text``, trailing whitespace dropped."""
    return _QUALIFIED.sub(r"\1: ", (text or "").strip())


def step_errors(events: Iterable[Mapping[str, Any]]) -> dict[str, str]:
    """Last failure message per step: the user's exception (``cause``) over Dagster's wrapper."""
    errors: dict[str, str] = {}
    for event in events:
        if event.get("__typename") != "ExecutionStepFailureEvent":
            continue
        error = event.get("error") or {}
        cause = error.get("cause") or {}
        text = clean_error(cause.get("message") or error.get("message") or event.get("message"))
        errors[event.get("stepKey") or "?"] = text
    return errors


def run_error(events: list[Mapping[str, Any]]) -> str | None:
    """The failure text of a run: failed steps first, else the run failure / engine error."""
    steps = step_errors(events)
    if steps:
        return "; ".join(f"{key}: {text}" for key, text in steps.items())
    for event in reversed(events):
        kind = event.get("__typename")
        if kind == "EngineEvent" and event.get("error"):
            return clean_error(event["error"].get("message")) or event.get("message")
        if kind == "RunFailureEvent" and event.get("message"):
            return clean_error(event["message"])
    return None


def steps(stats: Iterable[Mapping[str, Any]], events: list[Mapping[str, Any]]) -> list[dict]:
    errors = step_errors(events)
    return [
        {
            "step_key": s["stepKey"],
            "status": s.get("status"),
            "started_at": when(s.get("startTime")),
            "completed_at": when(s.get("endTime")),
            "attempts": max(1, len(s.get("attempts") or ())) if s.get("startTime") else 0,
            "error_message": errors.get(s["stepKey"]),
        }
        for s in stats
    ]


_PID_EXITED = re.compile(r"Process for run exited \(pid: (\d+)\)")


def worker_pid(events: Iterable[Mapping[str, Any]]) -> tuple[int, float] | None:
    """The run worker's pid and when (s) it was reported: the first engine event naming a pid
    ("Started process for run (pid: N)", "Executing steps ... (pid: N)"), as the
    stuck_run_sensor reads it."""
    for event in events:
        if event.get("__typename") != "EngineEvent":
            continue
        pid = pid_from_message(event.get("message"))
        if pid is not None:
            return pid, float(event["timestamp"]) / 1000.0
    return None


def worker_exited(events: Iterable[Mapping[str, Any]]) -> bool:
    return any(_PID_EXITED.search(e.get("message") or "") for e in events)


def last_event_time(run: Mapping[str, Any], events: list[Mapping[str, Any]]) -> float:
    """When the run last showed progress (s): its newest event, else its last status change."""
    times = [float(e["timestamp"]) / 1000.0 for e in events if e.get("timestamp")]
    times += [float(run[k]) for k in ("updateTime", "startTime", "creationTime") if run.get(k)]
    return max(times) if times else 0.0


def job(
    job_type: JobType,
    schedule: Mapping[str, Any] | None,
    last_run: Mapping[str, Any] | None,
    running: bool,
    last_error: str | None,
    mirror: tuple[dt.datetime | None, dt.datetime | None] | None,
    default_cron: str,
) -> dict[str, Any]:
    state = (schedule or {}).get("scheduleState") or {}
    enabled = state.get("status") == "RUNNING"
    next_tick = state.get("nextTick") or {}
    last = execution(last_run, last_error) if last_run else None
    return {
        "id": job_type.id,
        "name": job_type.name,
        "description": job_type.description,
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
        "available": schedule is not None,
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

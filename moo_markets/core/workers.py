"""Is a run's worker process still alive on this machine?

The run worker logs engine events naming its pid ("Started process for run
(pid: N)", then "Executing steps in process (pid: N)": the code location uses
the in-process executor, so the steps run in that same process). When the
worker and its code server are killed together the run stays STARTED for ever
(run monitoring asks the dead code server), so stuck-run cleanup looks the pid
up itself. Meaningful only where the run
worker runs on this host: with the default launcher, not with Docker/K8s.
"""

from __future__ import annotations

import re

import psutil

_PID = re.compile(r"\(pid: (\d+)\)")
_EXITED = re.compile(r"Process for run exited \(pid: (\d+)\)")
_SLACK_SECONDS = 2.0


def pid_from_message(message: str | None) -> int | None:
    """The pid in a Dagster engine event message such as "... (pid: N)"."""
    match = _PID.search(message or "")
    return int(match.group(1)) if match else None


def exited_message(message: str | None) -> bool:
    """Whether an engine event says the run worker process exited."""
    return bool(_EXITED.search(message or ""))


def alive(pid: int, started_by: float) -> bool:
    """False when ``pid`` is gone, a zombie, or a newer process that reused the number.

    ``started_by`` is the epoch time by which the worker had started (the event's time).
    """
    try:
        process = psutil.Process(pid)
        if process.status() == psutil.STATUS_ZOMBIE:
            return False
        return process.create_time() <= started_by + _SLACK_SECONDS
    except psutil.NoSuchProcess:
        return False
    except psutil.AccessDenied:
        return True

"""Changing a job's cron at runtime, the Dagster way: store, reload, verify.

Dagster has crons only in code. The code location reads the overrides of the
warehouse when it loads (``moo_markets.definitions``), so a change is:

1. validate the cron (``core.cron``: 5 fields, able to fire) -> 422;
2. if the schedule is running, stop it (step 6 starts it again);
3. store the override (``schedule_overrides``) -> 503 if the warehouse can't;
4. reload the code location (``reloadRepositoryLocation``). With a shared
   ``dagster code-server`` (``make dev``, the documented deployment) the
   server re-imports the code and the daemon, which watches the server's id
   every second, reloads too;
5. read the schedule back through GraphQL until its cron and description show
   this very change, then give the daemon ``DAEMON_PICKUP_SECONDS`` to follow;
6. start the schedule again if it was running.

Why stop and start around the change: the scheduler evaluates a changed cron
from the last time it looked at the schedule (up to an hour ago, Dagster's
checkpoint), so without it a new cron whose time fell in that past hour fired
a run at once (e.g. a cron moved from 18:00 to 18:15 at 18:30 ran 18:15's tick
right away, a second run that day; seen with Dagster 1.13.27: a cron changed by a
bare reload at 17:35:09 to ``35 17 * * *`` fired the 17:35 tick). ``startSchedule``
makes the new cron count from now. The cost: a tick (old or new cron) falling inside the few seconds
of the change itself is not run. The ON/OFF state is the same afterwards: the
schedule's name, Dagster's key for it, never changes (only a process killed
between 2 and 6 would leave it off). Changes of one job are serialised within
a process.

If Dagster does not take the change (the location fails to load, or loads
without the override: another warehouse?), the previous override is put back,
the location reloaded again and the error answered (502).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from moo_markets.api import documents as docs
from moo_markets.api.errors import ApiError, DagsterError, InvalidInput
from moo_markets.core.catalog import JobType
from moo_markets.core.cron import SET_AT_RUNTIME, CronError, CronInForce, Override, validate_cron

if TYPE_CHECKING:
    from moo_markets.api.service import SchedulerService

log = logging.getLogger(__name__)

APPLY_TIMEOUT = 60.0
"""How long the reloaded location may take to show the change through GraphQL."""
POLL_INTERVAL = 0.2
DAEMON_PICKUP_SECONDS = 2.0
"""Dagster's code-server watcher polls the server id every second; the daemon has the new
code well within two."""


def validated(cron: str | None) -> str | None:
    if cron is None:
        return None
    try:
        return validate_cron(cron)
    except CronError as exc:
        raise InvalidInput(f"schedule: {exc}") from None


async def change_cron(
    service: SchedulerService, job: JobType, cron: str | None, set_by: str
) -> None:
    cron = validated(cron)
    lock = service.cron_locks.setdefault(job.id, asyncio.Lock())
    async with lock:
        started = time.monotonic()
        previous = await service.overrides.get(job.id)
        was_running = await service.switch(job, False)
        try:
            try:
                override = await service.overrides.put(job.id, cron, set_by)
                await _reload_until_in_force(service, job, override)
            except ApiError:
                await _put_back(service, job, previous)
                raise
            if was_running:
                await asyncio.sleep(DAEMON_PICKUP_SECONDS)
        finally:
            if was_running:
                await service.switch(job, True)
        log.info(
            "schedule %s now on %s (%s by %s) in %.1fs",
            job.schedule_name,
            cron or "its default cron",
            "set" if cron else "reset",
            set_by,
            time.monotonic() - started,
        )


async def _put_back(service: SchedulerService, job: JobType, previous: Override | None) -> None:
    with contextlib.suppress(ApiError):
        await service.overrides.restore(job.id, previous)
        await _reload(service, (await service.schedule_location(job)).name)
        log.warning("schedule %s: change not taken by Dagster; put back", job.schedule_name)


def shows(schedule: Mapping[str, Any], override: Override | None) -> bool:
    """Whether the schedule, as GraphQL shows it, is built on ``override`` (``None``: on no
    override). The description carries the override's author and time (``core.cron``)."""
    description = schedule.get("description") or ""
    if override is None:
        return SET_AT_RUNTIME not in description
    line = CronInForce(override.cron, "override", override).describe()
    return schedule.get("cronSchedule") == override.cron and line in description


async def _reload(service: SchedulerService, location: str) -> Mapping[str, Any]:
    result = await service.gql.raw(docs.RELOAD_LOCATION, {"location": location})
    answer = (result.data or {}).get("reloadRepositoryLocation") or {}
    kind = answer.get("__typename")
    if kind != "WorkspaceLocationEntry":
        message = answer.get("message") or result.first_error() or "no answer"
        raise DagsterError(
            f"Dagster could not reload the code location {location!r}: {kind or 'error'}: {message}"
        )
    loaded = answer.get("locationOrLoadError") or {}
    if loaded.get("__typename") != "RepositoryLocation":
        message = (loaded.get("message") or "not loaded").strip().splitlines()[-1:]
        raise DagsterError(
            f"the code location {location!r} failed to load after the change: {' '.join(message)}"
        )
    metadata = {m["key"]: m["value"] for m in answer.get("displayMetadata") or ()}
    if not {"host", "socket"} & set(metadata):
        log.warning(
            "code location %r is loaded by each Dagster process itself (no shared code "
            "server): the daemon follows a cron change at its next workspace refresh "
            "(within a minute), not at once",
            location,
        )
    return answer


async def _reload_until_in_force(
    service: SchedulerService, job: JobType, override: Override | None
) -> None:
    location = await service.schedule_location(job)
    await _reload(service, location.name)
    selector = {**location.repo, "scheduleName": job.schedule_name}
    deadline = time.monotonic() + APPLY_TIMEOUT
    while True:
        data = await service.gql.query(docs.SCHEDULE_CRON, {"selector": selector})
        schedule = data.get("scheduleOrError") or {}
        if schedule.get("__typename") == "Schedule" and shows(schedule, override):
            return
        if time.monotonic() > deadline:
            seen = schedule.get("cronSchedule") or schedule.get("message") or "nothing"
            raise DagsterError(
                f"Dagster still schedules {job.schedule_name} on {seen!r} after reloading "
                f"{location.name!r}: the code location did not read the "
                "override (does it use the same warehouse, MOO_MARKETS_DATABASE_URL? its log "
                "says why)"
            )
        await asyncio.sleep(POLL_INTERVAL)

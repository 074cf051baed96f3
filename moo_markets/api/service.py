"""The scheduler operations, each translated into GraphQL calls to the webserver.

Stateless: every answer is read from Dagster when asked (plus, optionally, the
mirror's ``jobs`` timestamps). Reads send one GraphQL document; a second one
only fetches the events of failed runs, for their error messages.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from moo_markets.api import documents as docs
from moo_markets.api import translate as tr
from moo_markets.api.errors import Conflict, DagsterError, InvalidInput, NotFound
from moo_markets.api.graphql import DagsterGraphQL, LocationError, unwrap
from moo_markets.api.locations import Location, Locations
from moo_markets.api.mirror import MirrorReader
from moo_markets.api.overrides import OverrideStore
from moo_markets.api.views import run_view
from moo_markets.core import plans
from moo_markets.core import runs as core_runs
from moo_markets.core.catalog import JOB_TYPE_TAG, JOBS, JobType, find
from moo_markets.core.runs import (
    PARTITION_RANGE_END_TAG,
    PARTITION_RANGE_START_TAG,
    PARTITION_TAG,
    RunView,
)
from moo_markets.core.settings import Settings
from moo_markets.core.time import now_jst

log = logging.getLogger(__name__)

MAX_EVENTS = 10_000
"""Events read per run to find its failure text or its worker pid."""

ASSET_PAGE = 100
ASSET_PAGES_MAX = 10
"""Executions look at most this many pages of ``__ASSET_JOB`` runs for a job's assets."""

LAUNCHED_BY_TAG = "moo_markets/launched_by"
STOPPED_THROUGH_API = "stopped through the REST API (POST /api/scheduler/executions/{id}/stop)"
ENDED_BY_CLEANUP = "ended by POST /api/scheduler/cleanup: {reason}"


def resolve_job(ref: str) -> JobType:
    job = find(ref)
    if job is None:
        known = ", ".join(f"{j.id} ({j.job_type})" for j in JOBS)
        raise NotFound(f"unknown job {ref!r}: use an id or a job_type, one of {known}")
    return job


def _runs(value: Any, what: str) -> list[dict[str, Any]]:
    return unwrap(value, "Runs", what)["results"]


def _newest_first(runs: Sequence[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    return sorted(runs, key=lambda r: r.get("creationTime") or 0.0, reverse=True)


class SchedulerService:
    def __init__(
        self,
        gql: DagsterGraphQL,
        settings: Settings,
        mirror: MirrorReader,
        redact: Callable[[str], str] = str,
        overrides: OverrideStore | None = None,
    ) -> None:
        self.gql = gql
        self.settings = settings
        self.mirror = mirror
        self.redact = redact
        self.overrides = overrides or OverrideStore(settings.database_url_value)
        self.cron_locks: dict[int, asyncio.Lock] = {}
        self.locations = Locations(gql, settings.code_location)

    # -- jobs ----------------------------------------------------------------------------
    async def jobs(
        self, jobs: Sequence[JobType] = JOBS, *, daemons: bool = False
    ) -> tuple[list[dict[str, Any]], dict[str, Any]]:
        """Full job dicts for ``jobs`` and the raw GraphQL data (for status extras)."""
        variables: dict[str, Any] = {"unfinished": docs.UNFINISHED_STATUSES}
        variables.update({f"job{j.id}": j.job_name for j in jobs})
        data, mirror = await asyncio.gather(
            self.gql.query(docs.jobs_document(jobs, daemons=daemons), variables),
            self.mirror.timestamps(),
        )
        location = self.locations.observe(data.get("workspace"))
        unfinished = _runs(data["unfinished"], "unfinished runs")
        asset_runs = _runs(data["assetRuns"], "asset runs")
        running = {job.id for run in unfinished if (job := tr.job_of(run))}
        lasts: dict[int, Mapping[str, Any] | None] = {}
        for job in jobs:
            candidates = _runs(data[f"last{job.id}"], f"runs of {job.job_name}")
            candidates += [r for r in asset_runs if (j := tr.job_of(r)) and j.id == job.id]
            lasts[job.id] = _newest_first(candidates)[0] if candidates else None
        views = await self.views([r for r in lasts.values() if r])
        result = [
            tr.job(
                job,
                location.schedule(job) if location else None,
                views[lasts[job.id]["runId"]] if lasts[job.id] else None,
                job.id in running,
                mirror.get(job.id),
                self.settings.cron_for(job),
                self.settings.jquants_plan,
            )
            for job in jobs
        ]
        data["_unfinished_catalog_runs"] = sum(1 for run in unfinished if tr.job_of(run))
        return result, data

    async def job(self, job: JobType) -> dict[str, Any]:
        return (await self.jobs([job]))[0][0]

    async def status(self) -> dict[str, Any]:
        jobs, data = await self.jobs(JOBS, daemons=True)
        statuses = data["instance"]["daemonHealth"]["allDaemonStatuses"]
        daemons = [tr.daemon(s) for s in statuses]
        scheduler = [d for d in daemons if d["daemon_type"] == "SCHEDULER"]
        return {
            "scheduler_running": bool(scheduler and scheduler[0]["healthy"]),
            "daemons": daemons,
            "jobs": [tr.summary(j) for j in jobs],
            "running_executions": data["_unfinished_catalog_runs"],
        }

    async def _schedule(self, job: JobType) -> tuple[Location, Mapping[str, Any]]:
        """The job's location and schedule, as the workspace says now."""
        location = await self.locations.fetch()
        schedule = location.schedule(job) if location else None
        if location is None or schedule is None:
            why = f"schedule {job.schedule_name} not found"
            raise Conflict(self._not_deployed(job, why, location))
        return location, schedule

    def _not_deployed(self, job: JobType, why: str, location: Location | None) -> str:
        if location is None:
            names = ", ".join(repr(n) for n in self.locations.names) or "none"
            return (
                f"job {job.job_type} is not deployed: no code location of the Dagster webserver "
                f"holds the catalog's jobs (locations: {names})"
            )
        return (
            f"job {job.job_type} is not deployed in the Dagster code location "
            f"{location.name!r} ({why}); reload the code location"
        )

    def _check_plan(self, job: JobType, action: str) -> None:
        reason = job.unavailable_reason(self.settings.jquants_plan)
        if reason:
            raise Conflict(f"cannot {action} {job.job_type}: {reason}")

    async def set_enabled(self, job: JobType, enabled: bool) -> dict[str, Any]:
        """Start or stop the job's schedule. The answer shows the state *this* request left
        (Dagster's answer to its own change, or the state it found when there was nothing to
        change), even if a later request has changed it since: under concurrent toggles a
        client can trust its own answer; a GET shows the latest state."""
        if enabled:
            self._check_plan(job, "enable")
        _, state = await self._toggle(job, enabled)
        view = await self.job(job)
        if view["is_enabled"] != enabled:
            log.info(
                "schedule %s was %s by a later request before this one answered",
                job.schedule_name,
                "started" if view["is_enabled"] else "stopped",
            )
        tick = (state.get("nextTick") or {}).get("timestamp")
        view["is_enabled"] = enabled
        if not enabled:
            view["next_run_at"] = None
        elif tick is not None:
            view["next_run_at"] = tr.when(tick)
        return view

    async def switch(self, job: JobType, enabled: bool) -> bool:
        """Start or stop the job's schedule; whether it was running before (a cron change
        stops a running schedule around the reload and starts it again). Idempotent."""
        was_running, _ = await self._toggle(job, enabled)
        return was_running

    async def _toggle(self, job: JobType, enabled: bool) -> tuple[bool, Mapping[str, Any]]:
        """Whether the schedule was running when first looked at, and the state this change
        left."""
        verb = "start" if enabled else "stop"
        was_running: bool | None = None
        failure = ""
        for _attempt in range(2):  # a second look when another request got in between
            location, schedule = await self._schedule(job)
            found = schedule["scheduleState"]
            running = found["status"] == "RUNNING"
            if was_running is None:
                was_running = running
            if running == enabled:
                return was_running, found
            if enabled:
                result = await self.gql.raw(
                    docs.START_SCHEDULE,
                    {"selector": {**location.repo, "scheduleName": job.schedule_name}},
                )
                answer = (result.data or {}).get("startSchedule")
            else:
                result = await self.gql.raw(docs.STOP_SCHEDULE, {"id": found["id"]})
                answer = (result.data or {}).get("stopRunningSchedule")
            if answer and answer.get("__typename") == "ScheduleStateResult":
                log.info("schedule %s %s", job.schedule_name, "started" if enabled else "stopped")
                state = answer.get("scheduleState") or {"status": "RUNNING" if enabled else ""}
                return was_running, state
            kind = (answer or {}).get("__typename") or f"HTTP {result.status}"
            failure = f"{kind}: {(answer or {}).get('message') or result.describe()}"
        raise DagsterError(f"Dagster could not {verb} {job.schedule_name}: {failure}")

    async def schedule_location(self, job: JobType) -> Location:
        """The code location that holds the job's schedule now (a cron change reloads it)."""
        location, _ = await self._schedule(job)
        return location

    async def set_schedule(self, job: JobType, cron: str | None, set_by: str) -> dict[str, Any]:
        """Put ``cron`` in force for the job (``None``: back to its default); see
        ``api/cron_change.py``. Answers the job once Dagster schedules on it."""
        from moo_markets.api.cron_change import change_cron

        await change_cron(self, job, cron, set_by)
        return await self.job(job)

    # -- runs ----------------------------------------------------------------------------
    async def _pipeline(self, job: JobType, all_keys: bool) -> tuple[Location, dict[str, Any]]:
        """The job's location and its partition keys; looks at the workspace again when the
        remembered location is gone, broken or lacks the job (reloaded, renamed)."""
        for fresh in (False, True):
            location = await (self.locations.fetch() if fresh else self.locations.current())
            if location is None or not location.holds(job):
                if fresh:
                    raise Conflict(
                        self._not_deployed(job, f"job {job.job_name} not found", location)
                    )
                continue
            selector = {**location.repo, "pipelineName": job.job_name}
            try:
                data = await self.gql.query(
                    docs.PARTITIONS, {"selector": selector, "all": all_keys}
                )
                pipeline = data["pipelineOrError"]
                if pipeline.get("__typename") == "PipelineNotFoundError":
                    if fresh:
                        why = f"job {job.job_name} not found"
                        raise Conflict(self._not_deployed(job, why, location))
                    continue
                return location, unwrap(pipeline, "Pipeline", f"job {job.job_name}")
            except LocationError:
                if fresh:
                    raise
            self.locations.forget()
        raise AssertionError("unreachable")

    def _check_range(
        self, job: JobType, partition: str | None, start: str | None, end: str | None
    ) -> None:
        """What a range request can be told without asking Dagster."""
        if start is None or end is None:
            given, missing = ("start", "end") if end is None else ("end", "start")
            raise InvalidInput(f"{missing}: a range needs both start and end ({given} given)")
        if partition is not None:
            raise InvalidInput(
                "partition: give either partition (one day) or start and end (a range), not both"
            )
        if not job.partitioned:
            raise InvalidInput(f"start: job {job.job_type} is not partitioned")
        if not job.single_run_backfill:
            raise InvalidInput(
                f"start: job {job.job_type} runs one partition per run (its asset cannot run "
                'a range as one run); pass {"partition": ...} instead of a range'
            )
        window = plans.history_window(self.settings.jquants_plan, now_jst().date())
        for field, key in (("start", start), ("end", end)):
            try:
                day = dt.date.fromisoformat(key)
            except ValueError:
                raise InvalidInput(f"{field}: {key!r} is not a date (YYYY-MM-DD)") from None
            # The partition's days, as the asset's gate sees them (a week: Monday..Sunday).
            first, last = job.spec.partition_days(key) if job.spec else (day, day)
            assert first is not None and last is not None  # partitioned
            if not window.holds(first, last):
                days = f" (days {first} to {last})" if first != last else ""
                raise InvalidInput(f"{field}: {key!r}{days} is outside {window.describe()}")
        if start > end:
            raise InvalidInput(f"end: {end!r} is before start {start!r}")

    async def launch(
        self,
        job: JobType,
        partition: str | None,
        start: str | None = None,
        end: str | None = None,
    ) -> dict[str, Any]:
        """Queue one run: of ``partition``, of the range ``start``..``end`` (one run, as a
        single-run backfill; a range of one day is a one-partition run), or of the default
        partition."""
        self._check_plan(job, "run")
        ranged = start is not None or end is not None
        if ranged:
            self._check_range(job, partition, start, end)
        # A declared dataset's default is the partition its schedule would pick today
        # (e.g. yesterday's for data published overnight); daily_bars takes the newest.
        plan = self.settings.jquants_plan
        chosen = partition is not None or ranged
        default = job.default_partition(now_jst().date(), plan) if not chosen else None
        location, pipeline = await self._pipeline(job, chosen)
        newest = (pipeline.get("newest") or {}).get("partitionKeys") or []
        tags = [
            {"key": LAUNCHED_BY_TAG, "value": "api"},
            {"key": JOB_TYPE_TAG, "value": job.job_type},
        ]
        if not newest:
            if chosen:
                field = "start" if ranged else "partition"
                raise InvalidInput(f"{field}: job {job.job_type} is not partitioned")
            if job.partitioned:
                raise Conflict(f"job {job.job_type} has no partition to run yet")
        else:
            keys = set((pipeline.get("all") or {}).get("partitionKeys") or ())
            asked = {"start": start, "end": end} if ranged else {"partition": partition}
            for field, key in asked.items():
                if key is not None and key not in keys:
                    first = min(keys) if keys else "?"
                    raise InvalidInput(
                        f"{field}: {key!r} is not a partition of {job.job_type} "
                        f"(keys YYYY-MM-DD from {first} to {newest[0]})"
                    )
            if ranged and start != end:
                tags.append({"key": PARTITION_RANGE_START_TAG, "value": start})
                tags.append({"key": PARTITION_RANGE_END_TAG, "value": end})
                partition = f"{start}...{end}"
            else:
                partition = start if ranged else partition or default or newest[0]
                tags.append({"key": PARTITION_TAG, "value": partition})
        params = {
            "selector": {**location.repo, "jobName": job.job_name},
            "executionMetadata": {"tags": tags},
        }
        result = await self.gql.raw(docs.LAUNCH, {"params": params})
        answer = (result.data or {}).get("launchRun") or {}
        kind = answer.get("__typename")
        if kind == "LaunchRunSuccess":
            run = answer["run"]
            log.info("launched %s run %s partition=%s", job.job_name, run["runId"], partition)
            return tr.execution(run_view(run))
        if kind == "PipelineNotFoundError":
            self.locations.forget()
            raise Conflict(self._not_deployed(job, answer.get("message", ""), location))
        if kind == "RunConflict":
            raise Conflict(f"could not launch {job.job_type}: {answer.get('message')}")
        if kind == "RunConfigValidationInvalid":
            messages = "; ".join(e["message"] for e in answer.get("errors") or ())
            raise DagsterError(f"Dagster rejected the run config of {job.job_name}: {messages}")
        if kind == "PythonError" and "CodeLocation" in (answer.get("message") or ""):
            self.locations.forget()
        message = answer.get("message") or result.describe()
        raise DagsterError(f"Dagster could not launch {job.job_name}: {kind or 'error'}: {message}")

    async def executions(self, job: JobType, limit: int) -> list[dict[str, Any]]:
        data = await self.gql.query(
            docs.EXECUTIONS, {"job": job.job_name, "limit": limit, "assetLimit": ASSET_PAGE}
        )
        own = _runs(data["own"], f"runs of {job.job_name}")
        page = _runs(data["assetRuns"], "asset runs")
        # The oldest run we could still show: older asset runs cannot make the page.
        cutoff = own[-1]["creationTime"] if len(own) >= limit else float("-inf")
        matched = [r for r in page if (j := tr.job_of(r)) and j.id == job.id]
        pages = 1
        while (
            len(page) == ASSET_PAGE
            and len(matched) < limit
            and page[-1]["creationTime"] > cutoff
            and pages < ASSET_PAGES_MAX
        ):
            more = await self.gql.query(
                docs.MORE_ASSET_RUNS, {"cursor": page[-1]["runId"], "limit": ASSET_PAGE}
            )
            page = _runs(more["assetRuns"], "asset runs")
            matched += [r for r in page if (j := tr.job_of(r)) and j.id == job.id]
            pages += 1
        runs = _newest_first(own + matched)[:limit]
        views = await self.views(runs)
        return [self.execution(views[r["runId"]]) for r in runs]

    def execution(self, view: RunView) -> dict[str, Any]:
        """The REST execution of a run, its error text redacted."""
        execution = tr.execution(view)
        if execution["error_message"]:
            execution["error_message"] = self.redact(execution["error_message"])
        return execution

    async def views(self, runs: Sequence[Mapping[str, Any]]) -> dict[str, RunView]:
        """Each run as the core sees it. Failed and stopped runs need their events (one
        document for all) and, when stopped, the reason moo_markets recorded."""
        needy = [r for r in runs if core_runs.needs_events(r["status"])]
        events: dict[str, list[Mapping[str, Any]]] = {}
        if needy:
            ids = [r["runId"] for r in needy]
            variables: dict[str, Any] = {f"r{i}": run_id for i, run_id in enumerate(ids)}
            variables["events"] = MAX_EVENTS
            data, reasons = await asyncio.gather(
                self.gql.query(docs.failure_events_document(len(ids)), variables),
                self.mirror.stop_reasons([r["runId"] for r in needy if r["status"] == "CANCELED"]),
            )
            for i, run_id in enumerate(ids):
                run = data.get(f"e{i}") or {}
                if run.get("__typename") == "Run":
                    events[run_id] = run["eventConnection"]["events"]
        else:
            reasons = {}
        return {
            r["runId"]: run_view(r, events.get(r["runId"]), reasons.get(r["runId"])) for r in runs
        }

    async def _run(self, run_id: str) -> dict[str, Any]:
        data = await self.gql.query(docs.RUN_STATE, {"runId": run_id})
        return self._found(data["runOrError"], run_id)

    @staticmethod
    def _found(value: Mapping[str, Any], run_id: str) -> dict[str, Any]:
        if value.get("__typename") == "RunNotFoundError":
            raise NotFound(f"unknown run {run_id!r}")
        return unwrap(value, "Run", f"run {run_id}")

    async def execution_detail(self, run_id: str) -> dict[str, Any]:
        data = await self.gql.query(docs.RUN_DETAIL, {"runId": run_id, "events": MAX_EVENTS})
        run = self._found(data["runOrError"], run_id)
        events = run["eventConnection"]["events"]
        reasons = await self.mirror.stop_reasons([run_id] if run["status"] == "CANCELED" else [])
        detail = self.execution(run_view(run, events, reasons.get(run_id)))
        detail["steps"] = tr.steps(run.get("stepStats") or (), events, detail)
        for step in detail["steps"]:
            if step["error_message"]:
                step["error_message"] = self.redact(step["error_message"])
        return detail

    async def _terminate(self, run_ids: Sequence[str], policy: str) -> dict[str, str]:
        """Terminate runs; returns run_id -> outcome ('ok' or the error text)."""
        if not run_ids:
            return {}
        variables: dict[str, Any] = {f"r{i}": r for i, r in enumerate(run_ids)}
        variables["policy"] = policy
        # HTTP 500 with data is how a PythonError (e.g. code server gone) comes back.
        result = await self.gql.raw(docs.terminate_document(len(run_ids)), variables)
        outcomes = {}
        for i, run_id in enumerate(run_ids):
            answer = (result.data or {}).get(f"t{i}") or {}
            if answer.get("__typename") == "TerminateRunSuccess":
                outcomes[run_id] = "ok"
            else:
                kind = answer.get("__typename") or "no answer"
                outcomes[run_id] = f"{kind}: {answer.get('message') or result.describe()}"
        return outcomes

    async def _wait_finished(self, run_ids: Sequence[str], timeout: float) -> dict[str, dict]:
        """Latest state of each run, polling until all are finished or ``timeout`` passes."""
        deadline = time.monotonic() + timeout
        while True:
            states = dict(
                zip(run_ids, await asyncio.gather(*(self._run(r) for r in run_ids)), strict=True)
            )
            if all(tr.is_finished(s) for s in states.values()) or time.monotonic() >= deadline:
                return states
            await asyncio.sleep(min(0.5, max(0.0, deadline - time.monotonic())))

    async def stop(self, run_id: str) -> tuple[bool, dict[str, Any]]:
        """Stop a queued/running run; (ended, execution). Not ended yet -> caller answers 202."""
        run = await self._run(run_id)
        if tr.is_finished(run):
            status = core_runs.scheduler_status(run["status"])
            raise Conflict(f"run {run_id} has already finished ({status}); nothing to stop")
        if run["status"] != "CANCELING":
            # Recorded first, so the mirror never mirrors the cancel without its reason.
            reason = STOPPED_THROUGH_API.format(id=run_id)
            await self.mirror.record_stop_reasons({run_id: reason})
            outcome = (await self._terminate([run_id], "SAFE_TERMINATE"))[run_id]
            if outcome != "ok":
                # The worker cannot be reached (its code server is gone): end the record.
                log.warning(
                    "safe terminate of %s failed (%s); marking it canceled", run_id, outcome
                )
                run = await self._run(run_id)
                if tr.is_finished(run):
                    await self.mirror.forget_stop_reasons([run_id])
                    raise Conflict(
                        f"run {run_id} finished ({run['status']}) before it could be stopped"
                    )
                outcome = (await self._terminate([run_id], "MARK_AS_CANCELED_IMMEDIATELY"))[run_id]
                if outcome != "ok":
                    await self.mirror.forget_stop_reasons([run_id])
                    raise DagsterError(f"Dagster could not stop run {run_id}: {outcome}")
        run = (await self._wait_finished([run_id], self.settings.api_stop_wait))[run_id]
        if run["status"] in ("SUCCESS", "FAILURE"):  # it ended by itself before the stop
            await self.mirror.forget_stop_reasons([run_id])
        view = (await self.views([run]))[run_id]
        return tr.is_finished(run), self.execution(view)

    async def cleanup(self, everything: bool, stuck_after: float | None) -> dict[str, Any]:
        """End stuck runs (or all unfinished runs); see README "Cleanup" for the rule."""
        stuck_after = stuck_after or self.settings.stuck_after_seconds
        data = await self.gql.query(
            docs.UNFINISHED_WITH_EVENTS,
            {"unfinished": docs.UNFINISHED_STATUSES, "events": MAX_EVENTS},
        )
        runs = _runs(data["runsOrError"], "unfinished runs")
        now = now_jst()
        reasons: dict[str, str] = {}
        healthy: list[str] = []
        for run in runs:
            view = run_view(run, run["eventConnection"]["events"])
            reason = core_runs.stuck_reason(
                view, now, stuck_after, self.settings.check_local_processes
            )
            if reason:
                reasons[run["runId"]] = reason
            elif everything:
                healthy.append(run["runId"])
        stuck = list(reasons)
        await self.mirror.record_stop_reasons(
            {r: ENDED_BY_CLEANUP.format(reason=reasons[r]) for r in stuck}
        )
        # Stuck runs: try to reach a worker that may still exist, then end the record.
        maybe_alive = [r for r in stuck if reasons[r].startswith("no progress")]
        await self._terminate(maybe_alive, "SAFE_TERMINATE")
        outcomes = await self._terminate(stuck, "MARK_AS_CANCELED_IMMEDIATELY")
        if healthy:
            await self.mirror.record_stop_reasons(
                {
                    r: ENDED_BY_CLEANUP.format(reason="all unfinished runs requested")
                    for r in healthy
                }
            )
            for run_id, outcome in (await self._terminate(healthy, "SAFE_TERMINATE")).items():
                reasons[run_id] = "all requested" + ("" if outcome == "ok" else f" ({outcome})")
            states = await self._wait_finished(healthy, self.settings.api_stop_wait)
            left = [r for r, s in states.items() if not tr.is_finished(s)]
            outcomes.update(await self._terminate(left, "MARK_AS_CANCELED_IMMEDIATELY"))
            outcomes.update({r: "ok" for r in healthy if r not in left})
        final = await asyncio.gather(*(self._run(r) for r in reasons)) if reasons else []
        cleaned = [s["runId"] for s in final if s["status"] == "CANCELED"]
        await self.mirror.forget_stop_reasons([r for r in reasons if r not in cleaned])
        for run_id, outcome in outcomes.items():
            if outcome != "ok":
                log.warning("cleanup could not end run %s: %s", run_id, outcome)
        log.info("cleanup ended %d run(s): %s", len(cleaned), ", ".join(cleaned) or "-")
        return {"cleaned": cleaned, "reasons": {r: reasons[r] for r in cleaned}}

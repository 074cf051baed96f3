"""The scheduler operations, each translated into GraphQL calls to the webserver.

Stateless: every answer is read from Dagster when asked (plus, optionally, the
mirror's ``jobs`` timestamps). Reads send one GraphQL document; a second one
only fetches the events of failed runs, for their error messages.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from moo_markets.api import documents as docs
from moo_markets.api import translate as tr
from moo_markets.api.errors import Conflict, DagsterError, InvalidInput, NotFound
from moo_markets.api.graphql import DagsterGraphQL, unwrap
from moo_markets.api.mirror import MirrorReader
from moo_markets.api.views import run_view
from moo_markets.core import runs as core_runs
from moo_markets.core.catalog import JOB_TYPE_TAG, JOBS, JobType, find
from moo_markets.core.runs import PARTITION_TAG, RunView
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
    ) -> None:
        self.gql = gql
        self.settings = settings
        self.mirror = mirror
        self.redact = redact

    # -- selectors ---------------------------------------------------------------------
    @property
    def repo(self) -> dict[str, str]:
        return {
            "repositoryLocationName": self.settings.code_location,
            "repositoryName": self.settings.repository_name,
        }

    def job_selector(self, job: JobType) -> dict[str, str]:
        return {**self.repo, "pipelineName": job.job_name}

    # -- jobs ----------------------------------------------------------------------------
    async def jobs(
        self, jobs: Sequence[JobType] = JOBS, *, daemons: bool = False
    ) -> tuple[list[dict[str, Any]], dict[str, Any]]:
        """Full job dicts for ``jobs`` and the raw GraphQL data (for status extras)."""
        variables: dict[str, Any] = {"repo": self.repo, "unfinished": docs.UNFINISHED_STATUSES}
        variables.update({f"job{j.id}": j.job_name for j in jobs})
        data, mirror = await asyncio.gather(
            self.gql.query(docs.jobs_document(jobs, daemons=daemons), variables),
            self.mirror.timestamps(),
        )
        schedules = {
            s["name"]: s for s in unwrap(data["schedules"], "Schedules", "schedules")["results"]
        }
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
                schedules.get(job.schedule_name),
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

    async def _schedule(self, job: JobType) -> dict[str, Any]:
        data = await self.gql.query(docs.SCHEDULES, {"repo": self.repo})
        schedules = unwrap(data["schedules"], "Schedules", "schedules")["results"]
        for schedule in schedules:
            if schedule["name"] == job.schedule_name:
                return schedule
        raise Conflict(self._not_deployed(job, f"schedule {job.schedule_name} not found"))

    def _not_deployed(self, job: JobType, why: str) -> str:
        return (
            f"job {job.job_type} is not deployed in the Dagster code location "
            f"{self.settings.code_location!r} ({why}); reload the code location"
        )

    def _check_plan(self, job: JobType, action: str) -> None:
        reason = job.unavailable_reason(self.settings.jquants_plan)
        if reason:
            raise Conflict(f"cannot {action} {job.job_type}: {reason}")

    async def set_enabled(self, job: JobType, enabled: bool) -> dict[str, Any]:
        if enabled:
            self._check_plan(job, "enable")
        schedule = await self._schedule(job)
        state = schedule["scheduleState"]
        if (state["status"] == "RUNNING") != enabled:
            if enabled:
                result = await self.gql.raw(
                    docs.START_SCHEDULE,
                    {"selector": {**self.repo, "scheduleName": job.schedule_name}},
                )
                answer = result.data.get("startSchedule") if result.data else None
            else:
                result = await self.gql.raw(docs.STOP_SCHEDULE, {"id": state["id"]})
                answer = result.data.get("stopRunningSchedule") if result.data else None
            if not answer or answer.get("__typename") != "ScheduleStateResult":
                # A concurrent toggle may have won; only the outcome matters.
                current = (await self._schedule(job))["scheduleState"]["status"]
                if (current == "RUNNING") != enabled:
                    kind = (answer or {}).get("__typename") or f"HTTP {result.status}"
                    message = (answer or {}).get("message") or result.first_error()
                    raise DagsterError(
                        f"Dagster could not {'start' if enabled else 'stop'} "
                        f"{job.schedule_name}: {kind}: {message}"
                    )
            log.info("schedule %s %s", job.schedule_name, "started" if enabled else "stopped")
        return await self.job(job)

    # -- runs ----------------------------------------------------------------------------
    async def launch(self, job: JobType, partition: str | None) -> dict[str, Any]:
        # A declared dataset's default is the partition its schedule would pick today
        # (e.g. yesterday's for data published overnight); daily_bars takes the newest.
        self._check_plan(job, "run")
        plan = self.settings.jquants_plan
        default = job.default_partition(now_jst().date(), plan) if partition is None else None
        data = await self.gql.query(
            docs.PARTITIONS, {"selector": self.job_selector(job), "all": partition is not None}
        )
        pipeline = data["pipelineOrError"]
        if pipeline.get("__typename") == "PipelineNotFoundError":
            raise Conflict(self._not_deployed(job, f"job {job.job_name} not found"))
        pipeline = unwrap(pipeline, "Pipeline", f"job {job.job_name}")
        newest = (pipeline.get("newest") or {}).get("partitionKeys") or []
        tags = [
            {"key": LAUNCHED_BY_TAG, "value": "api"},
            {"key": JOB_TYPE_TAG, "value": job.job_type},
        ]
        if not newest:
            if partition is not None:
                raise InvalidInput(f"partition: job {job.job_type} is not partitioned")
            if job.partitioned:
                raise Conflict(f"job {job.job_type} has no partition to run yet")
        else:
            if partition is None:
                partition = default or newest[0]
            else:
                keys = set((pipeline.get("all") or {}).get("partitionKeys") or ())
                if partition not in keys:
                    first = min(keys) if keys else "?"
                    raise InvalidInput(
                        f"partition: {partition!r} is not a partition of {job.job_type} "
                        f"(keys YYYY-MM-DD from {first} to {newest[0]})"
                    )
            tags.append({"key": PARTITION_TAG, "value": partition})
        params = {
            "selector": {
                "repositoryLocationName": self.settings.code_location,
                "repositoryName": self.settings.repository_name,
                "jobName": job.job_name,
            },
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
            raise Conflict(self._not_deployed(job, answer.get("message", "")))
        if kind == "RunConflict":
            raise Conflict(f"could not launch {job.job_type}: {answer.get('message')}")
        if kind == "RunConfigValidationInvalid":
            messages = "; ".join(e["message"] for e in answer.get("errors") or ())
            raise DagsterError(f"Dagster rejected the run config of {job.job_name}: {messages}")
        message = answer.get("message") or result.first_error() or "no answer"
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
        detail["steps"] = tr.steps(run.get("stepStats") or (), events)
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
                outcomes[run_id] = f"{kind}: {answer.get('message') or result.first_error()}"
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

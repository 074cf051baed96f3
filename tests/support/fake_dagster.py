"""A fake Dagster GraphQL endpoint for tests of the translation layer.

``FakeDagster().transport`` is an ``httpx.MockTransport`` answering the API's
own documents (recognised by operation name) from in-memory schedules and
runs, shaped like Dagster 1.13's answers. The acceptance tests use the real
webserver; this fake makes error paths (webserver down, HTTP 500 PythonError,
unreachable code server) and fuzzing cheap and deterministic.
"""

from __future__ import annotations

import itertools
import json
import re
import time
import uuid
from typing import Any

import httpx

from moo_markets.core.catalog import JOBS
from moo_markets.core.runs import FINISHED

_OPERATION = re.compile(r"^\s*(?:query|mutation)\s+(\w+)")
_counter = itertools.count()


def _python_error(message: str) -> dict[str, Any]:
    return {"__typename": "PythonError", "message": message}


def location_not_found(field: str, name: str) -> httpx.Response:
    """What Dagster 1.13 answers for a selector naming a location it does not have."""
    message = (
        "dagster._core.errors.DagsterCodeLocationNotFoundError: "
        f"Location {name} does not exist in workspace\n"
    )
    return httpx.Response(500, json={"data": {field: _python_error(message)}})


class FakeDagster:
    def __init__(
        self, *, deployed: tuple[str, ...] | None = None, location: str = "moo_markets"
    ) -> None:
        deployed = deployed if deployed is not None else tuple(j.job_type for j in JOBS)
        self.schedules: dict[str, dict[str, Any]] = {}
        for job in JOBS:
            if job.job_type in deployed:
                self.schedules[job.schedule_name] = {
                    "name": job.schedule_name,
                    "pipelineName": job.job_name,
                    "cronSchedule": job.default_cron,
                    "executionTimezone": "Asia/Tokyo",
                    "description": job.description,
                    "scheduleState": {
                        "id": f"origin-{job.id}::selector-{job.id}",
                        "status": "STOPPED",
                        "nextTick": None,
                    },
                }
        self.jobs = {j.job_name for j in JOBS if j.job_type in deployed}
        self.partitions: dict[str, list[str]] = {
            j.job_name: ["2024-01-04", "2024-01-05", "2024-01-06"] for j in JOBS if j.partitioned
        }
        self.runs: dict[str, dict[str, Any]] = {}
        self.location = location
        self.load_error: str | None = None
        """When set, the location failed to load with this error (as after a bad reload)."""
        self.other_locations: list[dict[str, Any]] = []
        """More workspace entries, as ``locationEntries`` items."""
        self.daemons_healthy = True
        self.down = False
        self.http_error: tuple[int, str] | None = None
        self.unreachable_workers: set[str] = set()
        self.operations: list[str] = []
        self.location_load: Any = None
        """Called on ``reloadRepositoryLocation`` to rebuild the schedules as the real code
        location does: returns ``{job_type: core.cron.CronInForce}``, or raises to fail the load."""
        self.location_metadata = {"host": "127.0.0.1", "port": "4266"}
        self.reload_answer: dict[str, Any] | None = None
        self.after: dict[str, Any] = {}
        """Operation name -> callable run after the fake answered it (e.g. another client's
        toggle landing between two calls of one request)."""
        self.transport = httpx.MockTransport(self.handle)

    # -- building state ------------------------------------------------------------------
    def add_run(
        self,
        job_name: str,
        status: str = "SUCCESS",
        *,
        tags: dict[str, str] | None = None,
        assets: list[str] | None = None,
        events: list[dict[str, Any]] | None = None,
        created: float | None = None,
        step_stats: list[dict[str, Any]] | None = None,
    ) -> str:
        run_id = str(uuid.uuid4())
        created = created if created is not None else time.time() + next(_counter) * 1e-3
        finished = status in FINISHED
        self.runs[run_id] = {
            "runId": run_id,
            "status": status,
            "pipelineName": job_name,
            "creationTime": created,
            "startTime": None if status == "QUEUED" else created + 1,
            "endTime": created + 5 if finished else None,
            "updateTime": created + (5 if finished else 1),
            "tags": [{"key": k, "value": v} for k, v in (tags or {}).items()],
            "assetSelection": [{"path": [a]} for a in assets] if assets else None,
            "stepStats": step_stats or [],
            "events": events or [],
        }
        return run_id

    def enable(self, schedule_name: str, next_tick: float | None = None) -> None:
        state = self.schedules[schedule_name]["scheduleState"]
        state["status"] = "RUNNING"
        state["nextTick"] = {"timestamp": next_tick or time.time() + 60}

    def disable(self, schedule_name: str) -> None:
        state = self.schedules[schedule_name]["scheduleState"]
        state["status"] = "STOPPED"
        state["nextTick"] = None

    # -- transport -----------------------------------------------------------------------
    def handle(self, request: httpx.Request) -> httpx.Response:
        if self.down:
            raise httpx.ConnectError("connection refused", request=request)
        if self.http_error:
            status, text = self.http_error
            return httpx.Response(status, text=text)
        body = json.loads(request.content)
        match = _OPERATION.match(body["query"])
        operation = match.group(1) if match else "?"
        self.operations.append(operation)
        handler = getattr(self, f"_op_{operation}", None)
        if handler is None:
            return httpx.Response(400, json={"errors": [{"message": f"unknown op {operation}"}]})
        result = handler(body.get("variables") or {}, body["query"])
        if operation in self.after:
            result = json.loads(json.dumps(result)) if isinstance(result, dict) else result
            self.after.pop(operation)()
        if isinstance(result, httpx.Response):
            return result
        return httpx.Response(200, json={"data": result})

    # -- helpers -------------------------------------------------------------------------
    def _public(self, run: dict[str, Any]) -> dict[str, Any]:
        out = {k: v for k, v in run.items() if k not in ("events",)}
        out["__typename"] = "Run"
        out["eventConnection"] = {"hasMore": False, "events": run["events"]}
        return out

    def _runs(self, pipeline: str | None = None, statuses=None, limit: int = 1000, cursor=None):
        runs = sorted(self.runs.values(), key=lambda r: r["creationTime"], reverse=True)
        if pipeline is not None:
            runs = [r for r in runs if r["pipelineName"] == pipeline]
        if statuses is not None:
            runs = [r for r in runs if r["status"] in statuses]
        if cursor is not None:
            ids = [r["runId"] for r in runs]
            runs = runs[ids.index(cursor) + 1 :] if cursor in ids else []
        return {"__typename": "Runs", "results": [self._public(r) for r in runs[:limit]]}

    def _workspace(self) -> dict[str, Any]:
        if self.load_error is not None:
            loaded: dict[str, Any] = {
                "__typename": "PythonError",
                "className": "DagsterImportError",
                "message": self.load_error,
            }
        else:
            loaded = {
                "__typename": "RepositoryLocation",
                "repositories": [
                    {
                        "name": "__repository__",
                        "jobs": [{"name": name} for name in sorted(self.jobs | {"__ASSET_JOB"})],
                        "schedules": list(self.schedules.values()),
                    }
                ],
            }
        entry = {"name": self.location, "loadStatus": "LOADED", "locationOrLoadError": loaded}
        return {"__typename": "Workspace", "locationEntries": [entry, *self.other_locations]}

    def _known(self, selector: dict[str, Any]) -> bool:
        return self.load_error is None and selector.get("repositoryLocationName") == self.location

    def _run_or_error(self, run_id: str) -> dict[str, Any]:
        run = self.runs.get(run_id)
        if run is None:
            return {"__typename": "RunNotFoundError", "message": f"run {run_id} not found"}
        return self._public(run)

    # -- operations ----------------------------------------------------------------------
    def _op_Health(self, variables, query):
        return {"version": "1.13.27"}

    def _op_Workspace(self, variables, query):
        return {"workspace": self._workspace()}

    def _op_Jobs(self, variables, query):
        data: dict[str, Any] = {
            "workspace": self._workspace(),
            "unfinished": self._runs(statuses=set(variables["unfinished"])),
            "assetRuns": self._runs("__ASSET_JOB", limit=25),
        }
        for key, value in variables.items():
            if key.startswith("job"):
                data[f"last{key[3:]}"] = self._runs(value, limit=1)
        if "daemonHealth" in query:
            data["instance"] = {
                "daemonHealth": {
                    "allDaemonStatuses": [
                        {
                            "daemonType": kind,
                            "healthy": self.daemons_healthy,
                            "required": True,
                            "lastHeartbeatTime": time.time(),
                        }
                        for kind in ("SCHEDULER", "SENSOR", "QUEUED_RUN_COORDINATOR")
                    ]
                }
            }
        return data

    def _op_Executions(self, variables, query):
        return {
            "own": self._runs(variables["job"], limit=variables["limit"]),
            "assetRuns": self._runs("__ASSET_JOB", limit=variables["assetLimit"]),
        }

    def _op_MoreAssetRuns(self, variables, query):
        return {
            "assetRuns": self._runs(
                "__ASSET_JOB", limit=variables["limit"], cursor=variables["cursor"]
            )
        }

    def _op_Failures(self, variables, query):
        return {
            f"e{key[1:]}": self._run_or_error(value)
            for key, value in variables.items()
            if key.startswith("r")
        }

    def _op_Run(self, variables, query):
        if "\x00" in variables["runId"]:  # what PostgreSQL-backed run storage answers
            message = "ValueError: A string literal cannot contain NUL (0x00) characters."
            return httpx.Response(500, json={"data": {"runOrError": _python_error(message)}})
        return {"runOrError": self._run_or_error(variables["runId"])}

    _op_RunState = _op_Run

    def _op_Unfinished(self, variables, query):
        return {"runsOrError": self._runs(statuses=set(variables["unfinished"]))}

    def _op_Partitions(self, variables, query):
        if not self._known(variables["selector"]):
            return location_not_found(
                "pipelineOrError", variables["selector"]["repositoryLocationName"]
            )
        name = variables["selector"]["pipelineName"]
        if name not in self.jobs:
            return {
                "pipelineOrError": {
                    "__typename": "PipelineNotFoundError",
                    "message": f"Could not find Pipeline {name}",
                }
            }
        keys = self.partitions.get(name, [])
        pipeline: dict[str, Any] = {
            "__typename": "Pipeline",
            "newest": {"partitionKeys": keys[-1:]},
        }
        if variables.get("all"):
            pipeline["all"] = {"partitionKeys": keys}
        return {"pipelineOrError": pipeline}

    def _op_Launch(self, variables, query):
        params = variables["params"]
        if not self._known(params["selector"]):
            return location_not_found("launchRun", params["selector"]["repositoryLocationName"])
        name = params["selector"]["jobName"]
        if name not in self.jobs:
            return {"launchRun": {"__typename": "PipelineNotFoundError", "message": "not found"}}
        tags = {t["key"]: t["value"] for t in params["executionMetadata"]["tags"]}
        run_id = self.add_run(name, "QUEUED", tags=tags)
        return {
            "launchRun": {"__typename": "LaunchRunSuccess", "run": self._public(self.runs[run_id])}
        }

    def _op_Start(self, variables, query):
        if not self._known(variables["selector"]):
            return location_not_found(
                "startSchedule", variables["selector"]["repositoryLocationName"]
            )
        name = variables["selector"]["scheduleName"]
        schedule = self.schedules.get(name)
        if schedule is None:
            return {"startSchedule": {"__typename": "ScheduleNotFoundError", "message": name}}
        if schedule["scheduleState"]["status"] == "RUNNING":
            return httpx.Response(
                500,
                json={
                    "data": {"startSchedule": _python_error("already running")},
                },
            )
        self.enable(name)
        return {
            "startSchedule": {
                "__typename": "ScheduleStateResult",
                "scheduleState": schedule["scheduleState"],
            }
        }

    def _op_Stop(self, variables, query):
        for schedule in self.schedules.values():
            state = schedule["scheduleState"]
            if state["id"] == variables["id"]:
                state["status"] = "STOPPED"
                state["nextTick"] = None
                return {
                    "stopRunningSchedule": {
                        "__typename": "ScheduleStateResult",
                        "scheduleState": state,
                    }
                }
        return {"stopRunningSchedule": _python_error("no such schedule state")}

    def _op_ScheduleCron(self, variables, query):
        schedule = self.schedules.get(variables["selector"]["scheduleName"])
        if schedule is None:
            return {"scheduleOrError": {"__typename": "ScheduleNotFoundError", "message": "?"}}
        return {"scheduleOrError": {"__typename": "Schedule", **schedule}}

    def _op_ReloadLocation(self, variables, query):
        if self.reload_answer is not None:
            return {"reloadRepositoryLocation": self.reload_answer}
        entry: dict[str, Any] = {
            "__typename": "WorkspaceLocationEntry",
            "name": variables["location"],
            "displayMetadata": [{"key": k, "value": v} for k, v in self.location_metadata.items()],
        }
        try:
            crons = self.location_load() if self.location_load else {}
        except Exception as exc:  # noqa: BLE001 (a failed load, as Dagster reports it)
            entry["locationOrLoadError"] = _python_error(f"load failed: {exc}")
            return {"reloadRepositoryLocation": entry}
        for job in JOBS:
            schedule = self.schedules.get(job.schedule_name)
            if schedule is not None and job.job_type in crons:
                schedule["cronSchedule"] = crons[job.job_type].cron
                schedule["description"] = f"{job.description}\n\n{crons[job.job_type].describe()}"
        entry["locationOrLoadError"] = {"__typename": "RepositoryLocation"}
        return {"reloadRepositoryLocation": entry}

    def _op_Terminate(self, variables, query):
        policy = variables["policy"]
        data: dict[str, Any] = {}
        status = 200
        for key, run_id in variables.items():
            if not key.startswith("r"):
                continue
            alias = f"t{key[1:]}"
            run = self.runs.get(run_id)
            if run is None:
                data[alias] = {"__typename": "RunNotFoundError", "message": "not found"}
            elif run["status"] in FINISHED:
                data[alias] = {
                    "__typename": "TerminateRunFailure",
                    "message": "run is not in a cancelable state",
                    "run": {"runId": run_id, "status": run["status"]},
                }
            elif policy == "SAFE_TERMINATE" and run_id in self.unreachable_workers:
                data[alias] = _python_error("grpc: failed to connect to all addresses")
                status = 500
            else:
                data[alias] = {
                    "__typename": "TerminateRunSuccess",
                    "run": {"runId": run_id, "status": run["status"]},
                }
                run["status"] = "CANCELED"
                run["endTime"] = run["updateTime"] = time.time()
        if status != 200:
            return httpx.Response(status, json={"data": data})
        return data

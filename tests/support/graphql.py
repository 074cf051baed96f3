"""The one GraphQL test client: what the Dagster UI does, as GraphQL documents.

Every end-to-end test talks to the webserver through :class:`DagsterUi`
(on top of ``DagsterProcesses.graphql``), so a document is written once.
"""

from __future__ import annotations

from typing import Any

from moo_markets.core.runs import FINISHED
from moo_markets.core.workers import pid_from_message
from moo_markets.mirror.sensor import SENSOR_NAME
from support.dagster_processes import wait_for

REPOSITORY = {"repositoryLocationName": "moo_markets", "repositoryName": "__repository__"}

RUN_FIELDS = """
    runId pipelineName status creationTime startTime endTime updateTime
    tags { key value } assetSelection { path }
"""


class DagsterUi:
    """What the Dagster UI does, as GraphQL documents."""

    def __init__(self, stack: Any) -> None:
        self.stack = stack

    def q(self, query: str, **variables: Any) -> dict[str, Any]:
        return self.stack.graphql(query, variables)

    def launch(
        self,
        job_name: str,
        run_config: dict | None = None,
        assets: list[str] | None = None,
        tags: dict[str, str] | None = None,
    ) -> str:
        selector = {**REPOSITORY, "jobName": job_name}
        if assets:
            selector["assetSelection"] = [{"path": [key]} for key in assets]
        params = {
            "selector": selector,
            "runConfigData": run_config or {},
            "executionMetadata": {
                "tags": [{"key": k, "value": v} for k, v in (tags or {}).items()]
            },
        }
        result = self.q(
            """mutation($params: ExecutionParams!) { launchRun(executionParams: $params) {
                __typename ... on LaunchRunSuccess { run { runId } }
                ... on PythonError { message } ... on Error { message } } }""",
            params=params,
        )["launchRun"]
        assert result["__typename"] == "LaunchRunSuccess", result
        return result["run"]["runId"]

    def run(self, run_id: str) -> dict[str, Any]:
        return self.q(
            f"query($id: ID!) {{ runOrError(runId: $id) {{ ... on Run {{ {RUN_FIELDS} }} }} }}",
            id=run_id,
        )["runOrError"]

    def wait_finished(self, run_id: str, timeout: float = 180) -> dict[str, Any]:
        return wait_for(
            lambda: (r := self.run(run_id))["status"] in FINISHED and r,
            timeout,
            interval=0.2,
            message=f"run {run_id} to finish",
        )

    def wait_status(self, run_id: str, statuses: set[str], timeout: float = 120) -> dict:
        return wait_for(
            lambda: (r := self.run(run_id))["status"] in statuses and r,
            timeout,
            interval=0.2,
            message=f"run {run_id} to reach {statuses}",
        )

    def terminate(self, run_id: str, policy: str) -> None:
        result = self.q(
            """mutation($id: String!, $policy: TerminateRunPolicy) {
                terminateRun(runId: $id, terminatePolicy: $policy) {
                __typename ... on PythonError { message } ... on Error { message } } }""",
            id=run_id,
            policy=policy,
        )["terminateRun"]
        assert result["__typename"] == "TerminateRunSuccess", result

    def all_runs(self) -> list[dict[str, Any]]:
        runs, cursor = [], None
        while True:
            page = self.q(
                f"""query($cursor: String) {{ runsOrError(limit: 200, cursor: $cursor) {{
                    ... on Runs {{ results {{ {RUN_FIELDS} }} }} }} }}""",
                cursor=cursor,
            )["runsOrError"]["results"]
            runs += page
            if len(page) < 200:
                return runs
            cursor = page[-1]["runId"]

    def schedules(self) -> dict[str, dict[str, Any]]:
        results = self.q(
            """query($repo: RepositorySelector!) { schedulesOrError(repositorySelector: $repo) {
                ... on Schedules { results { name cronSchedule
                    scheduleState { id status nextTick { timestamp } } } } } }""",
            repo=REPOSITORY,
        )["schedulesOrError"]["results"]
        return {s["name"]: s for s in results}

    def start_schedule(self, name: str) -> None:
        result = self.q(
            """mutation($s: ScheduleSelector!) { startSchedule(scheduleSelector: $s) {
                __typename ... on PythonError { message } } }""",
            s={**REPOSITORY, "scheduleName": name},
        )["startSchedule"]
        assert result["__typename"] == "ScheduleStateResult", result

    def stop_schedule(self, name: str) -> None:
        """Stop, and make sure it stays stopped (see :meth:`stop_schedules`)."""
        self.stop_schedules([name])

    def stop_schedules(self, names: list[str]) -> None:
        """Stop every one of ``names``, and make sure they stay stopped.

        A stop sent while the scheduler daemon is finishing that schedule's tick can be
        overwritten by the daemon's write of the tick state (seen with Dagster 1.13.27),
        later than a second after the stop on a loaded machine: check and stop again until
        the stored state of every one has stayed STOPPED for several consecutive checks.
        One query reads all of them, so stopping the whole catalog costs those few checks
        once, not once per schedule.
        """
        calm: list[bool] = []

        def stopped() -> bool:
            schedules = self.schedules()
            running = [
                schedules[name]["scheduleState"]["id"]
                for name in names
                if schedules[name]["scheduleState"]["status"] == "RUNNING"
            ]
            if not running:
                calm.append(True)
                return len(calm) >= 5
            calm.clear()
            for state_id in running:
                result = self.q(
                    """mutation($id: String!) { stopRunningSchedule(id: $id) {
                        __typename ... on PythonError { message } } }""",
                    id=state_id,
                )["stopRunningSchedule"]
                assert result["__typename"] == "ScheduleStateResult", result
            return False

        wait_for(stopped, 60, interval=1, message=f"{names} to stay stopped")

    def backfill(self, asset: str, partitions: list[str]) -> str:
        result = self.q(
            """mutation($p: LaunchBackfillParams!) { launchPartitionBackfill(backfillParams: $p) {
                __typename ... on LaunchBackfillSuccess { backfillId }
                ... on PythonError { message } ... on Error { message } } }""",
            p={"assetSelection": [{"path": [asset]}], "partitionNames": partitions},
        )["launchPartitionBackfill"]
        assert result["__typename"] == "LaunchBackfillSuccess", result
        return result["backfillId"]

    def sensor_ticks(self, limit: int = 20) -> list[dict[str, Any]]:
        return self.q(
            """query($s: SensorSelector!, $limit: Int) { sensorOrError(sensorSelector: $s) {
                ... on Sensor { sensorState { status
                    ticks(limit: $limit) { status timestamp endTimestamp cursor
                        error { message } } } } } }""",
            s={**REPOSITORY, "sensorName": SENSOR_NAME},
            limit=limit,
        )["sensorOrError"]["sensorState"]["ticks"]

    def runs(self, run_ids: list[str]) -> dict[str, dict[str, Any]]:
        results = self.q(
            f"""query($ids: [String!]) {{ runsOrError(filter: {{runIds: $ids}}) {{
                ... on Runs {{ results {{ {RUN_FIELDS} }} }} }} }}""",
            ids=run_ids,
        )["runsOrError"]["results"]
        return {r["runId"]: r for r in results}

    def wait_all_finished(self, run_ids: list[str], timeout: float = 180) -> dict[str, dict]:
        def done():
            current = self.runs(run_ids)
            finished = all(r["status"] in FINISHED for r in current.values())
            return current if finished and len(current) == len(run_ids) else None

        return wait_for(done, timeout, interval=1, message=f"runs {run_ids} to finish")

    def messages(self, run_id: str) -> list[dict[str, Any]]:
        return self.q(
            """query($id: ID!) { runOrError(runId: $id) { ... on Run { eventConnection {
                events { __typename ... on MessageEvent { message } } } } } }""",
            id=run_id,
        )["runOrError"]["eventConnection"]["events"]

    def worker_pid(self, run_id: str) -> int | None:
        """The run worker's pid: the first engine event naming one (as cleanup reads it)."""
        for event in self.messages(run_id):
            if event["__typename"] == "EngineEvent":
                pid = pid_from_message(event.get("message"))
                if pid is not None:
                    return pid
        return None

    def backfill_run(self, backfill_id: str, timeout: float = 180) -> dict[str, Any]:
        """The (single) run of a backfill, once the daemon has launched it."""
        return wait_for(
            lambda: next(
                (r for r in self.all_runs() if tags_of(r).get("dagster/backfill") == backfill_id),
                None,
            ),
            timeout,
            message="the backfill's run",
        )


def tags_of(run: dict) -> dict[str, str]:
    return {t["key"]: t["value"] for t in run["tags"]}

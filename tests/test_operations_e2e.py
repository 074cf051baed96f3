"""Operations against the production topology: separate webserver, daemon, code server and
REST API processes on PostgreSQL (Dagster storage and warehouse in separate databases).

Covers: two concurrent J-Quants runs never cause a 429 (the jquants pool serialises them),
a run whose worker and code server were killed is ended automatically and mirrored as
stopped with the reason, and restarting every process keeps schedule toggles and history.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests
import sqlalchemy as sa
from support.dagster_processes import (
    DagsterProcesses,
    create_database,
    drop_database,
    free_port,
    wait_for,
    write_instance,
)

from moo_markets.jquants_sim import max_in_window
from moo_markets.warehouse import get_engine
from moo_markets.warehouse.engine import dispose_engines
from moo_markets.warehouse.schema import job_executions

pytestmark = pytest.mark.e2e

KEY = "ops-test-key"
REPO = {"repositoryLocationName": "moo_markets", "repositoryName": "__repository__"}
LAUNCH = """
mutation Launch($params: ExecutionParams!) {
  launchRun(executionParams: $params) {
    __typename
    ... on LaunchRunSuccess { run { runId } }
    ... on PythonError { message }
    ... on RunConfigValidationInvalid { errors { message } }
  }
}"""
RUNS = """
query Runs($ids: [String!]) {
  runsOrError(filter: {runIds: $ids}) { ... on Runs { results { runId status startTime endTime } } }
}"""
EVENTS = """
query Events($runId: ID!) {
  runOrError(runId: $runId) { ... on Run { eventConnection { events { __typename ... on MessageEvent { message } } } } }
}"""
SCHEDULE = """
query Schedule($selector: ScheduleSelector!) {
  scheduleOrError(scheduleSelector: $selector) { ... on Schedule { scheduleState { id status } } }
}"""
START = """
mutation Start($selector: ScheduleSelector!) {
  startSchedule(scheduleSelector: $selector) { __typename }
}"""
STOP = """
mutation Stop($id: String!) { stopRunningSchedule(id: $id) { __typename } }
"""


@pytest.fixture(scope="module")
def ops_stack(tmp_path_factory):
    from moo_markets.jquants_sim import JQuantsSimulator, SimulatorConfig

    base = tmp_path_factory.mktemp("ops_stack")
    admin_url = os.environ.get("MOO_MARKETS_TEST_POSTGRES_URL")
    databases = []
    if admin_url:
        storage_url = create_database(admin_url, "moo_ops_dagster")
        warehouse_url = create_database(admin_url, "moo_ops_warehouse")
        databases = [storage_url, warehouse_url]
    else:
        storage_url, warehouse_url = None, f"sqlite:///{base / 'warehouse.db'}"
    # J-Quants limit: 10 requests per 5 s window (120/min, counted over short windows so
    # the test sees overlap quickly). Each run paces itself at 120/min; two runs at once
    # would send twice that and draw 429s.
    sim = JQuantsSimulator(
        SimulatorConfig(
            api_key=KEY, rate_limit_per_minute=10, rate_window_seconds=5.0, lockout_seconds=5.0
        ),
        port=0,
    ).start()
    home = base / "home"
    write_instance(home, storage_url)
    env = {
        "JQUANTS_API_KEY": KEY,
        "JQUANTS_BASE_URL": sim.base_url,
        "JQUANTS_REQUESTS_PER_MINUTE": "120",
        "MOO_MARKETS_DATABASE_URL": warehouse_url,
        "MOO_MARKETS_MIRROR_INTERVAL_SECONDS": "2",
        "MOO_MARKETS_STUCK_SENSOR_INTERVAL_SECONDS": "3",
        "MOO_MARKETS_STEP_RETRIES": "0",
    }
    stack = DagsterProcesses(home, env, log_dir=base / "logs", code_server=True)
    stack.sim = sim
    stack.warehouse_url = warehouse_url
    stack.start()
    try:
        yield stack
    finally:
        stack.stop()
        sim.stop()
        dispose_engines()
        for url in databases:
            drop_database(url)


def launch(
    stack, job_name: str, tags: dict[str, str] | None = None, assets: list[str] | None = None
) -> str:
    selector = {**REPO, "jobName": job_name}
    if assets:
        selector["assetSelection"] = [{"path": [a]} for a in assets]
    params = {
        "selector": selector,
        "executionMetadata": {"tags": [{"key": k, "value": v} for k, v in (tags or {}).items()]},
    }
    result = stack.graphql(LAUNCH, {"params": params})["launchRun"]
    assert result["__typename"] == "LaunchRunSuccess", result
    return result["run"]["runId"]


def runs(stack, ids: list[str]) -> dict[str, dict]:
    return {r["runId"]: r for r in stack.graphql(RUNS, {"ids": ids})["runsOrError"]["results"]}


def wait_finished(stack, ids: list[str], timeout: float = 180) -> dict[str, dict]:
    def done():
        current = runs(stack, ids)
        finished = all(r["status"] in ("SUCCESS", "FAILURE", "CANCELED") for r in current.values())
        return current if finished and len(current) == len(ids) else None

    return wait_for(done, timeout=timeout, interval=1, message=f"runs {ids} to finish")


def bars_range(first: str, last: str) -> dict[str, str]:
    return {"dagster/asset_partition_range_start": first, "dagster/asset_partition_range_end": last}


def test_concurrent_jquants_runs_share_one_budget(ops_stack) -> None:
    sim = ops_stack.sim
    sim.reset_stats()
    ids = [
        launch(ops_stack, "daily_bars_job", bars_range("2026-03-02", "2026-03-06")),
        # The UI's Materialize button / a backfill: same assets, launched as __ASSET_JOB.
        launch(
            ops_stack, "__ASSET_JOB", bars_range("2026-02-02", "2026-02-06"), assets=["daily_bars"]
        ),
        launch(ops_stack, "listed_companies_job"),
    ]
    final = wait_finished(ops_stack, ids)
    assert {r["status"] for r in final.values()} == {"SUCCESS"}, final
    assert sim.stats.by_status.get(429, 0) == 0
    # Serialised: no two of them were running at the same time.
    spans = sorted((r["startTime"], r["endTime"]) for r in final.values())
    for (_, end), (start, _) in zip(spans, spans[1:], strict=False):
        assert start >= end - 0.5
    times = sorted(t for t, *_ in sim.stats.log)
    per_minute = max_in_window(times, 60.0)
    print(
        f"\nJ-Quants requests: {len(times)}, max in any 60 s window: {per_minute} (limit 120), "
        f"max in any 5 s window: {max_in_window(times, 5.0)} (limit 10)"
    )
    assert max_in_window(times, 5.0) <= 10


def _worker_pid(stack, run_id: str) -> int | None:
    from moo_markets.core.workers import pid_from_message

    events = stack.graphql(EVENTS, {"runId": run_id})["runOrError"]["eventConnection"]["events"]
    for event in events:
        if "Started process for run" in (event.get("message") or ""):
            return pid_from_message(event["message"])
    return None


def test_run_whose_worker_and_code_server_died_is_ended_and_mirrored(ops_stack) -> None:
    sim = ops_stack.sim
    sim.inject("delay", count=1, seconds=45)
    run_id = launch(ops_stack, "listed_companies_job")
    pid = wait_for(lambda: _worker_pid(ops_stack, run_id), timeout=90, message="run worker pid")
    wait_for(lambda: runs(ops_stack, [run_id])[run_id]["status"] == "STARTED", timeout=60)
    ops_stack.kill("code_server")
    os.kill(pid, signal.SIGKILL)
    ops_stack.start_code_server()  # a new code server, as a supervisor would restart it

    final = wait_finished(ops_stack, [run_id], timeout=120)[run_id]
    assert final["status"] == "CANCELED"

    def mirrored():
        with get_engine(ops_stack.warehouse_url).connect() as connection:
            return connection.execute(
                sa.select(job_executions.c.status, job_executions.c.error_message).where(
                    job_executions.c.run_id == run_id
                )
            ).first()

    row = wait_for(
        lambda: (r := mirrored()) and r.status == "stopped" and r, timeout=60, message="mirror row"
    )
    assert "worker process is gone" in (row.error_message or "")


def test_restarting_every_process_keeps_toggles_and_history(ops_stack) -> None:
    selector = {**REPO, "scheduleName": "daily_bars_schedule"}
    assert (
        ops_stack.graphql(START, {"selector": selector})["startSchedule"]["__typename"]
        == "ScheduleStateResult"
    )
    run_id = launch(ops_stack, "listed_companies_job")
    wait_finished(ops_stack, [run_id])

    try:
        ops_stack.stop()  # every process: code server, webserver, daemon
        ops_stack.port = free_port()
        ops_stack.url = f"http://127.0.0.1:{ops_stack.port}"
        ops_stack.start()
        state = ops_stack.graphql(SCHEDULE, {"selector": selector})["scheduleOrError"][
            "scheduleState"
        ]
        assert state["status"] == "RUNNING"
        assert runs(ops_stack, [run_id])[run_id]["status"] == "SUCCESS"
    finally:
        state = ops_stack.graphql(SCHEDULE, {"selector": selector})["scheduleOrError"][
            "scheduleState"
        ]
        ops_stack.graphql(STOP, {"id": state["id"]})
    api_port = free_port()
    # The REST API, a separate process too, serves the same history from the new webserver.
    api = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "moo-markets"),
            "api",
            "--port",
            str(api_port),
            "--dagster-url",
            ops_stack.url,
        ],
        env=ops_stack.env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.STDOUT,
    )
    try:
        base = f"http://127.0.0.1:{api_port}/api/scheduler"
        wait_for(lambda: _get(f"{base}/jobs"), timeout=30, message="REST API")
        executions = requests.get(f"{base}/jobs/listed_companies/executions", timeout=30).json()[
            "data"
        ]
        assert run_id in [e["run_id"] for e in executions]
    finally:
        api.terminate()
        api.wait(timeout=20)


def _get(url: str):
    try:
        return requests.get(url, timeout=5).ok
    except requests.RequestException:
        time.sleep(0.2)
        return False

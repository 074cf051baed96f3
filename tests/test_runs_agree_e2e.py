"""Done when: for every kind of run, the REST execution and the ``job_executions`` row agree.

Real webserver + daemon (the shared stack; one immediate step retry for the
catalog jobs), the REST API as a process, the mirror sensor in the daemon.
Each kind of run is launched the way a user would, then the REST answer
(``GET /executions/{id}`` and the job's execution list) is compared field by
field with its mirror row: status, Dagster status, partition, started and
completed times, error text. The expected texts are asserted too, so two
equally wrong answers fail.
"""

from __future__ import annotations

import datetime as dt

import psutil
import pytest
import sqlalchemy as sa
from support.dagster_processes import wait_for
from support.graphql import DagsterUi
from support.rest import RUN_TIMEOUT, Api

from moo_markets.core.runs import FINISHED
from moo_markets.warehouse import resolve_database_url
from moo_markets.warehouse.schema import job_executions

pytestmark = pytest.mark.e2e

FUTURE_DATE = "2099-01-05"  # outside every plan's window: the asset raises dg.Failure
BACKFILL_DAYS = ["2026-01-07", "2026-01-08", "2026-01-09"]


@pytest.fixture
def ui(dagster_stack) -> DagsterUi:
    return DagsterUi(dagster_stack)


@pytest.fixture
def mirror(dagster_stack):
    engine = sa.create_engine(resolve_database_url(dagster_stack.warehouse_url))
    yield engine
    engine.dispose()


def row_of(engine: sa.Engine, run_id: str):
    with engine.connect() as connection:
        return connection.execute(
            sa.select(job_executions).where(job_executions.c.run_id == run_id)
        ).first()


def idle(api: Api) -> None:
    """No run of either job is queued or running: an injected fault hits the next run only."""
    wait_for(
        lambda: not any(j["is_running"] for j in api.data(api.get("/jobs"))),
        timeout=RUN_TIMEOUT,
        message="the jobs to be idle",
    )


def agree(api: Api, ui: DagsterUi, engine: sa.Engine, run_id: str) -> dict:
    """Wait for the run to finish and its row to be mirrored; assert both sides agree."""
    ui.wait_finished(run_id, timeout=RUN_TIMEOUT)
    execution = api.execution(run_id)
    assert execution["dagster_status"] in FINISHED
    row = wait_for(
        lambda: (
            (r := row_of(engine, run_id)) is not None
            and r.dagster_status == execution["dagster_status"]
            and r
        ),
        timeout=60,
        message=f"the mirror row of {run_id}",
    )
    rest = {
        "job_id": execution["job_id"],
        "status": execution["status"],
        "dagster_status": execution["dagster_status"],
        "partition": execution["partition"],
        "started_at": dt.datetime.fromisoformat(execution["started_at"]),
        "completed_at": dt.datetime.fromisoformat(execution["completed_at"]),
        "error_message": execution["error_message"],
    }
    mirrored = {
        "job_id": row.job_id,
        "status": row.status,
        "dagster_status": row.dagster_status,
        "partition": row.partition_key,
        "started_at": row.started_at,
        "completed_at": row.completed_at,
        "error_message": row.error_message,
    }
    assert rest == mirrored
    assert execution["started_at"].endswith("+09:00")
    listed = {
        e["run_id"]: e
        for e in api.data(api.get(f"/jobs/{execution['job_id']}/executions?limit=100"))
    }
    assert listed[run_id] == {k: v for k, v in execution.items() if k != "steps"}
    return execution


def test_rest_and_mirror_agree_on_every_kind_of_run(api, dagster_stack, ui, mirror, sim):
    # 1. A successful run (REST "run now").
    idle(api)
    ok = agree(api, ui, mirror, api.run_now("1"))
    assert (ok["status"], ok["error_message"]) == ("completed", None)

    # 2. A step failure: the UI's Materialize button (no retry policy), J-Quants answers 403.
    idle(api)
    sim.inject("403")
    failed = agree(api, ui, mirror, ui.launch("__ASSET_JOB", assets=["listed_companies"]))
    assert failed["status"] == "failed"
    assert failed["error_message"].startswith(
        "listed_companies: J-Quants rejected the API key calling /equities/master (HTTP 403)"
    )
    assert "HTTP 403" in failed["error_message"] and "\n" not in failed["error_message"]

    # 3. A step failure after Dagster's step retries are exhausted (the job's policy: 1 retry).
    # A refusal (403, a date outside the window) is final; a plain 400 is retried.
    idle(api)
    sim.inject("400", count=2)
    retried = agree(api, ui, mirror, api.run_now("listed_companies"))
    assert retried["status"] == "failed"
    assert retried["error_message"].startswith("listed_companies: JQuantsRequestError: ")
    assert "HTTP 400" in retried["error_message"]
    assert "max_retries" not in retried["error_message"]
    step = next(s for s in retried["steps"] if s["step_key"] == "listed_companies")
    assert step["attempts"] == 2 and "HTTP 400" in step["error_message"]

    # 4. A dg.Failure: its description, after the step key.
    idle(api)
    failure = agree(
        api,
        ui,
        mirror,
        ui.launch(
            "__ASSET_JOB",
            {"ops": {"listed_companies": {"config": {"date": FUTURE_DATE}}}},
            assets=["listed_companies"],
        ),
    )
    assert failure["error_message"].startswith(
        f"listed_companies: /equities/master date {FUTURE_DATE} was not requested"
    )

    # 5. A range backfill of daily_bars: one run, partition start...end on both sides.
    idle(api)
    backfill = ui.backfill_run(ui.backfill("daily_bars", BACKFILL_DAYS))
    ranged = agree(api, ui, mirror, backfill["runId"])
    assert ranged["partition"] == f"{BACKFILL_DAYS[0]}...{BACKFILL_DAYS[-1]}"
    assert (ranged["job_type"], ranged["status"]) == ("daily_bars", "completed")

    # 6. A run stopped through the API: the reason the API recorded.
    idle(api)
    sim.inject("delay", count=1, seconds=45)
    slow = api.run_now("1")
    wait_for(lambda: step_in_progress(api, slow), timeout=RUN_TIMEOUT, message="the slow step")
    response = api.post(f"/executions/{slow}/stop")
    assert response.status_code in (200, 202), response.text
    stopped = agree(api, ui, mirror, slow)
    assert (stopped["status"], stopped["dagster_status"]) == ("stopped", "CANCELED")
    assert stopped["error_message"].startswith("stopped through the REST API")
    again = api.post(f"/executions/{slow}/stop")
    assert again.status_code == 409 and "already finished" in again.json()["errors"]["detail"]
    sim.clear_faults()

    # 7. A run stuck after kill -9 of its worker and its code server, ended by POST /cleanup.
    idle(api)
    stuck, pid = kill_a_running_run(api, ui, dagster_stack, sim)
    cleaned = agree(api, ui, mirror, stuck)
    assert cleaned["status"] == "stopped"
    assert cleaned["error_message"] == (
        f"ended by POST /api/scheduler/cleanup: run worker process {pid} is gone"
    )


def step_in_progress(api: Api, run_id: str) -> bool:
    return any(s["status"] == "IN_PROGRESS" for s in api.execution(run_id)["steps"])


def kill_a_running_run(api: Api, ui: DagsterUi, stack, sim) -> tuple[str, int]:
    """SIGKILL the daemon's process group (daemon, its code server, the run worker) and a
    separate code server if the stack runs one: nothing is left to notice the death, Dagster
    leaves the run STARTED, and only the cleanup rule ends it."""
    sim.inject("delay", count=1, seconds=50)
    run_id = api.run_now("1")
    wait_for(lambda: step_in_progress(api, run_id), timeout=RUN_TIMEOUT, message="the step")
    pid = wait_for(lambda: ui.worker_pid(run_id), timeout=30, message="the worker pid")
    assert psutil.pid_exists(pid)
    # A healthy running run is left alone.
    assert run_id not in api.data(api.post("/cleanup"))["cleaned"]

    worker = psutil.Process(pid)
    separate_code_server = "code_server" in stack.processes
    stack.kill("daemon")
    if separate_code_server:
        stack.kill("code_server")
    try:
        if worker.is_running() and worker.status() != psutil.STATUS_ZOMBIE:
            worker.kill()
        wait_for(
            lambda: (
                not psutil.pid_exists(pid) or psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
            ),
            timeout=30,
            message="the worker to die",
        )
        assert api.execution(run_id)["dagster_status"] == "STARTED", (
            "Dagster alone leaves it started"
        )
        result = api.data(api.post("/cleanup", json={}))
        assert run_id in result["cleaned"]
        assert result["reasons"][run_id] == f"run worker process {pid} is gone"
    finally:
        sim.clear_faults()
        if separate_code_server:
            stack.start_code_server()
        stack.start_daemon()
    wait_for(
        lambda: api.data(api.get("/status"))["scheduler_running"],
        timeout=120,
        message="the restarted daemon to be healthy",
    )
    return run_id, pid

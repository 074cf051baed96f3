"""Acceptance: the seed's curl sequence against the real thing.

(Failed, stopped and cleaned-up runs are in ``tests/test_runs_agree_e2e.py``, which also
checks that each REST execution is its SQL mirror row.)

Real ``dagster-webserver`` + ``dagster-daemon`` (the session's ``dagster_stack``,
PostgreSQL storage when MOO_MARKETS_TEST_POSTGRES_URL is set), the J-Quants
simulator, and the API started by ``moo-markets api`` and spoken to over HTTP.
Schedules are left stopped and injected simulator faults cleared, whatever
happens, because the stack is shared with other test files.
"""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess

import httpx
import pytest
from support.dagster_processes import free_port, wait_for
from support.rest import BIN, Api

from moo_markets.core import plans
from moo_markets.core.catalog import JOBS

pytestmark = pytest.mark.e2e

RUN_TIMEOUT = 120.0


def step_in_progress(api: Api, run_id: str) -> bool:
    steps = api.execution(run_id)["steps"]
    return any(s["status"] == "IN_PROGRESS" for s in steps)


# -- the seed's sequence --------------------------------------------------------------------
def test_status_list_enable_tick_run_now_disable(api, dagster_stack, sim):
    status = api.data(api.get("/status"))
    assert status["scheduler_running"] is True
    assert {d["daemon_type"] for d in status["daemons"]} >= {"SCHEDULER", "QUEUED_RUN_COORDINATOR"}
    assert [j["job_type"] for j in status["jobs"]] == [job.job_type for job in JOBS]

    # Every catalog job (the declared datasets too) is deployed; the stack's plan (Free, the
    # default) decides which can run.
    jobs = api.data(api.get("/jobs"))
    assert [(j["id"], j["job_type"], j["available"]) for j in jobs] == [
        (job.id, job.job_type, plans.includes("free", job.plan)) for job in JOBS
    ]
    assert jobs[0]["available"] and jobs[1]["available"]
    assert {j["unavailable_reason"] for j in jobs if j["available"]} == {None}
    listed = jobs[0]
    assert listed["schedule"] == "* * * * *" and listed["timezone"] == "Asia/Tokyo"
    assert listed["is_enabled"] is False and listed["next_run_at"] is None
    assert api.data(api.get("/jobs/listed_companies")) == api.data(api.get("/jobs/1"))

    enabled = api.data(api.put("/jobs/1/enabled", json={"enabled": True}))
    assert enabled["is_enabled"] is True and enabled["next_run_at"].endswith("+09:00")
    again = api.data(api.put("/jobs/1/enabled", json={"enabled": True}))
    assert again["is_enabled"] is True
    tick = dt.datetime.fromisoformat(enabled["next_run_at"])

    # Run now while waiting for the tick; the queue runs them one after the other.
    run_id = api.run_now("1")
    done = api.wait_status(run_id, "completed", "failed")
    assert done["status"] == "completed", done
    assert done["dagster_status"] == "SUCCESS" and done["error_message"] is None
    assert done["completed_at"] >= done["started_at"]
    executions = api.data(api.get("/jobs/1/executions"))
    assert run_id in [e["run_id"] for e in executions]
    assert {e["run_id"]: e["status"] for e in executions}[run_id] == "completed"

    def scheduled_run():
        data = dagster_stack.graphql(
            '{ scheduleOrError(scheduleSelector: {repositoryLocationName: "moo_markets", '
            'repositoryName: "__repository__", scheduleName: "listed_companies_schedule"}) '
            "{ ... on Schedule { scheduleState { ticks(limit: 5) { timestamp runIds } } } } }"
        )
        for t in data["scheduleOrError"]["scheduleState"]["ticks"]:
            if t["timestamp"] >= tick.timestamp() and t["runIds"]:
                return t["runIds"][0]
        return None

    ticked = wait_for(scheduled_run, timeout=150, message="the schedule to tick")
    assert api.wait_status(ticked, "completed", "failed")["status"] == "completed"
    assert ticked in [e["run_id"] for e in api.data(api.get("/jobs/1/executions?limit=100"))]

    disabled = api.data(api.put("/jobs/1/enabled", json={"enabled": False}))
    assert disabled["is_enabled"] is False and disabled["next_run_at"] is None
    # A tick may have fired again meanwhile: let it finish before the next test.
    job = wait_for(
        lambda: (j := api.data(api.get("/jobs/1"))) and not j["is_running"] and j,
        timeout=RUN_TIMEOUT,
        message="the job to be idle",
    )
    assert job["is_enabled"] is False
    newest = api.data(api.get("/jobs/1/executions?limit=1"))[0]
    assert job["last_execution"] == newest and newest["status"] == "completed"
    assert job["last_run_at"] == newest["started_at"] and job["last_run_at"].endswith("+09:00")


def test_partitioned_run_is_validated_then_launched_and_a_queued_run_stops(api, sim):
    bad = api.post("/jobs/2/run", json={"partition": "2008-05-06"})
    assert bad.status_code == 422 and "partition" in bad.json()["errors"]["detail"]
    assert api.post("/jobs/2/run", json={"partition": "2999-01-01"}).status_code == 422
    assert api.post("/jobs/1/run", json={"partition": "2024-01-05"}).status_code == 422

    sim.inject("delay", count=1, seconds=30)  # holds the J-Quants slot: the next run queues
    blocker = api.run_now("1")
    wait_for(lambda: step_in_progress(api, blocker), timeout=RUN_TIMEOUT, message="the blocker")
    queued = api.data(api.post("/jobs/daily_bars/run", json={"partition": "2024-01-05"}), 202)
    assert queued["partition"] == "2024-01-05" and queued["job_type"] == "daily_bars"
    default = api.data(api.post("/jobs/2/run"), 202)
    assert default["partition"] is not None and len(default["partition"]) == 10
    try:
        for run_id in (queued["run_id"], default["run_id"]):
            stopped = api.data(api.post(f"/executions/{run_id}/stop"))
            assert stopped["status"] == "stopped"
        executions = {e["run_id"]: e for e in api.data(api.get("/jobs/2/executions"))}
        assert executions[queued["run_id"]]["partition"] == "2024-01-05"
        assert executions[queued["run_id"]]["status"] == "stopped"
    finally:
        api.post(f"/executions/{blocker}/stop")
        api.wait_status(blocker, "stopped", "completed", "failed", timeout=60)


def test_documented_errors_against_the_real_stack(api):
    http = api.http
    cases = [
        (api.get("/jobs/99"), 404),
        (api.get("/jobs/nope/executions"), 404),
        (api.get("/executions/00000000-0000-0000-0000-000000000000"), 404),
        (api.post("/executions/not-a-run/stop"), 404),
        (api.put("/jobs/1/enabled", json={"enabled": "yes"}), 422),
        (
            api.put(
                "/jobs/1/enabled",
                content=b'{"enabled": ',
                headers={**api.auth, "Content-Type": "application/json"},
            ),
            422,
        ),
        (api.put("/jobs/1/enabled", headers=api.auth), 422),
        (api.get("/jobs/1/executions?limit=100000"), 422),
        (api.get("/jobs/1/executions?limit=0"), 422),
        (http.put("/api/scheduler/jobs/1/enabled", json={"enabled": True}), 401),
        (http.post("/api/scheduler/jobs/1/run", headers={"Authorization": "Bearer wrong"}), 401),
        (http.post("/api/scheduler/cleanup"), 401),
    ]
    for response, status in cases:
        assert response.status_code == status, (response.request.url, response.text)
        body = response.json()
        assert list(body) == ["errors"] and body["errors"]["detail"], body
    assert (
        "enabled" in api.put("/jobs/1/enabled", json={"enabled": "yes"}).json()["errors"]["detail"]
    )
    assert api.data(api.get("/jobs/1"))["is_enabled"] is False
    assert http.get("/api/openapi.json").json()["info"]["title"]
    health = http.get("/api/health").json()["data"]
    assert health["dagster"]["reachable"] is True and health["dagster"]["version"]


def test_webserver_unreachable_is_503(tmp_path):
    """The API pointed at a port where nothing listens: 503, health still 200."""
    port, dead = free_port(), free_port()
    process = subprocess.Popen(
        [
            str(BIN / "moo-markets"),
            "api",
            "--port",
            str(port),
            "--dagster-url",
            f"http://127.0.0.1:{dead}",
        ],
        env={k: v for k, v in os.environ.items() if not k.startswith("MOO_MARKETS_")},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        client = httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30)

        def health():
            try:
                return client.get("/api/health")
            except httpx.HTTPError:
                return None

        response = wait_for(health, timeout=60, message="the API")
        assert response.json()["data"]["dagster"]["reachable"] is False
        jobs = client.get("/api/scheduler/jobs")
        assert jobs.status_code == 503 and jobs.json()["errors"]["detail"]
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)

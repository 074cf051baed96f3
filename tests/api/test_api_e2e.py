"""Acceptance: the seed's curl sequence against the real thing.

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
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import psutil
import pytest
from support.dagster_processes import free_port, wait_for
from support.graphql import DagsterUi

pytestmark = pytest.mark.e2e

TOKEN = "e2e-api-token-not-a-secret"
BIN = Path(sys.executable).parent
RUN_TIMEOUT = 120.0


class Api:
    def __init__(self, url: str) -> None:
        self.url = url
        self.http = httpx.Client(base_url=url, timeout=90.0)
        self.auth = {"Authorization": f"Bearer {TOKEN}"}

    def get(self, path: str, **kwargs) -> httpx.Response:
        return self.http.get(f"/api/scheduler{path}", **kwargs)

    def put(self, path: str, **kwargs) -> httpx.Response:
        kwargs.setdefault("headers", self.auth)
        return self.http.put(f"/api/scheduler{path}", **kwargs)

    def post(self, path: str, **kwargs) -> httpx.Response:
        kwargs.setdefault("headers", self.auth)
        return self.http.post(f"/api/scheduler{path}", **kwargs)

    def data(self, response: httpx.Response, status: int = 200):
        assert response.status_code == status, response.text
        return response.json()["data"]

    def execution(self, run_id: str) -> dict:
        return self.data(self.get(f"/executions/{run_id}"))

    def wait_status(self, run_id: str, *statuses: str, timeout: float = RUN_TIMEOUT) -> dict:
        def reached():
            execution = self.execution(run_id)
            return execution if execution["status"] in statuses else None

        return wait_for(reached, timeout=timeout, message=f"run {run_id} to be {statuses}")

    def run_now(self, job: str = "1", **kwargs) -> str:
        return self.data(self.post(f"/jobs/{job}/run", **kwargs), 202)["run_id"]


@pytest.fixture(scope="module")
def api(dagster_stack, tmp_path_factory) -> Iterator[Api]:
    port = free_port()
    log = tmp_path_factory.mktemp("api") / "api.log"
    env = {
        **dagster_stack.env,
        "MOO_MARKETS_DAGSTER_URL": dagster_stack.url,
        "MOO_MARKETS_API_TOKEN": TOKEN,
        "MOO_MARKETS_DATABASE_URL": dagster_stack.warehouse_url,
        "MOO_MARKETS_API_STOP_WAIT": "30",
    }
    with open(log, "wb") as out:
        process = subprocess.Popen(
            [str(BIN / "moo-markets"), "api", "--host", "127.0.0.1", "--port", str(port)],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    client = Api(f"http://127.0.0.1:{port}")

    def up():
        if process.poll() is not None:
            raise RuntimeError(f"moo-markets api exited: {log.read_text()}")
        try:
            return client.http.get("/api/health").json()["data"]["dagster"]["reachable"]
        except httpx.HTTPError:
            return False

    try:
        wait_for(up, timeout=60, message="the API to answer")
        yield client
    finally:
        for job in ("1", "2"):  # leave the shared stack's schedules stopped
            try:
                client.put(f"/jobs/{job}/enabled", json={"enabled": False})
            except httpx.HTTPError:
                pass
        client.http.close()
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)
        text = log.read_text()
        assert TOKEN not in text, "the token must never be logged"


@pytest.fixture
def sim(simulator):
    simulator.clear_faults()
    yield simulator
    simulator.clear_faults()


def step_in_progress(api: Api, run_id: str) -> bool:
    steps = api.execution(run_id)["steps"]
    return any(s["status"] == "IN_PROGRESS" for s in steps)


# -- the seed's sequence --------------------------------------------------------------------
def test_status_list_enable_tick_run_now_disable(api, dagster_stack, sim):
    status = api.data(api.get("/status"))
    assert status["scheduler_running"] is True
    assert {d["daemon_type"] for d in status["daemons"]} >= {"SCHEDULER", "QUEUED_RUN_COORDINATOR"}
    assert [j["job_type"] for j in status["jobs"]] == ["listed_companies", "daily_bars"]

    jobs = api.data(api.get("/jobs"))
    assert [(j["id"], j["job_type"], j["available"]) for j in jobs] == [
        (1, "listed_companies", True),
        (2, "daily_bars", True),
    ]
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


def test_failing_run_shows_its_error(api, dagster_stack, sim):
    # Every attempt fails: the first and each of the step retry policy's retries.
    retries = int(dagster_stack.env.get("MOO_MARKETS_STEP_RETRIES", "2"))
    delay = float(dagster_stack.env.get("MOO_MARKETS_STEP_RETRY_DELAY_SECONDS", "60"))
    wait_for(
        lambda: not api.data(api.get("/jobs/1"))["is_running"],
        timeout=RUN_TIMEOUT,
        message="no other listed_companies run to take the injected faults",
    )
    sim.inject("400", count=retries + 1)
    run_id = api.run_now("listed_companies")
    failed = api.wait_status(
        run_id, "completed", "failed", timeout=RUN_TIMEOUT + 1.5 * delay * (2**retries - 1)
    )
    assert failed["status"] == "failed" and failed["dagster_status"] == "FAILURE"
    assert "listed_companies" in failed["error_message"] and "400" in failed["error_message"]
    step = next(s for s in failed["steps"] if s["step_key"] == "listed_companies")
    assert step["status"] == "FAILURE" and "400" in step["error_message"]
    listed = {e["run_id"]: e for e in api.data(api.get("/jobs/1/executions"))}
    assert listed[run_id]["error_message"] == failed["error_message"]


def test_stop_a_slow_run(api, sim):
    sim.inject("delay", count=1, seconds=45)
    run_id = api.run_now("1")
    wait_for(
        lambda: step_in_progress(api, run_id), timeout=RUN_TIMEOUT, message="the step to start"
    )
    response = api.post(f"/executions/{run_id}/stop")
    assert response.status_code in (200, 202), response.text
    stopped = api.wait_status(run_id, "stopped", "completed", "failed", timeout=60)
    assert stopped["status"] == "stopped" and stopped["dagster_status"] == "CANCELED"
    again = api.post(f"/executions/{run_id}/stop")
    assert again.status_code == 409 and "already finished" in again.json()["errors"]["detail"]


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


def test_cleanup_ends_a_run_whose_worker_was_killed(api, dagster_stack, sim):
    sim.inject("delay", count=1, seconds=50)
    run_id = api.run_now("1")
    wait_for(
        lambda: step_in_progress(api, run_id), timeout=RUN_TIMEOUT, message="the step to start"
    )
    pid = wait_for(
        lambda: DagsterUi(dagster_stack).worker_pid(run_id), timeout=30, message="the worker pid"
    )
    assert psutil.pid_exists(pid)

    # A healthy running run is left alone.
    assert run_id not in api.data(api.post("/cleanup"))["cleaned"]
    assert api.execution(run_id)["status"] == "running"

    # SIGKILL the daemon's process group (daemon, its code server, the run worker) and a
    # separate code server if the stack runs one: nothing is left to notice the death.
    worker = psutil.Process(pid)
    separate_code_server = "code_server" in dagster_stack.processes
    dagster_stack.kill("daemon")
    if separate_code_server:
        dagster_stack.kill("code_server")
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
        assert str(pid) in result["reasons"][run_id]
    finally:
        if separate_code_server:
            dagster_stack.start_code_server()
        dagster_stack.start_daemon()
    stopped = api.execution(run_id)
    assert stopped["status"] == "stopped" and stopped["dagster_status"] == "CANCELED"
    assert stopped["completed_at"] is not None
    wait_for(
        lambda: api.data(api.get("/status"))["scheduler_running"],
        timeout=120,
        message="the restarted daemon to be healthy",
    )


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

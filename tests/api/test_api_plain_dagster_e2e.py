"""Plain ``dagster dev -m moo_markets.definitions`` in the repository root, and the REST API on it.

A fresh clone's environment (no DAGSTER_HOME, no moo_markets variables but the
simulator's and a warehouse): the UI serves with the instance's concurrency
limits in force, the location is named ``moo_markets.definitions`` by ``-m``,
and a real ``moo-markets api`` process finds it and passes the README's curl
sequence step by step over HTTP; ``listed_companies`` then materializes. The
same processes serve a burst of parallel toggles and the request edges of
issue 12 over real sockets, so this is the one plain-``dagster dev`` stack.
"""

from __future__ import annotations

import random
import subprocess
import threading
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa
from support.dagster_dev import INSTANCE, Output, clean_env, graphql, loaded_locations, stop_group
from support.dagster_processes import free_port, wait_for
from support.jquants_sim import SIM_API_KEY
from support.rest import BIN, Api, api_process

from moo_markets.core.catalog import JOBS
from moo_markets.warehouse import get_engine
from moo_markets.warehouse.engine import dispose_engines
from moo_markets.warehouse.schema import listed_companies

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
LOCATION = "moo_markets.definitions"
RUN_TIMEOUT = 240.0


def readme_curl_sequence(api: Api, sim) -> None:
    """README "REST API": every documented call, in its order, each answering as documented."""
    # Liveness, and whether the Dagster webserver answers
    health = api.http.get("/api/health")
    assert health.status_code == 200 and health.json()["data"]["dagster"]["reachable"] is True

    # Scheduler state (the daemon's first heartbeat may take a few seconds)
    status = wait_for(
        lambda: (s := api.data(api.get("/status")))["scheduler_running"] and s,
        timeout=120,
        message="the scheduler daemon to be healthy",
    )
    assert [j["job_type"] for j in status["jobs"]] == [job.job_type for job in JOBS]

    # Jobs, and one job (by id or job_type): found in the location named by -m
    jobs = api.data(api.get("/jobs"))
    assert [(j["id"], j["job_type"]) for j in jobs] == [(job.id, job.job_type) for job in JOBS]
    assert jobs[0]["available"] and jobs[1]["available"]  # 1 and 2: every plan has them
    assert api.data(api.get("/jobs/1"))["job_type"] == "listed_companies"
    assert api.data(api.get("/jobs/daily_bars"))["id"] == 2

    # Enable / disable a job's schedule
    enabled = api.data(api.put("/jobs/1/enabled", json={"enabled": True}))
    assert enabled["is_enabled"] is True and enabled["next_run_at"].endswith("+09:00")
    disabled = api.data(api.put("/jobs/1/enabled", json={"enabled": False}))
    assert disabled["is_enabled"] is False and disabled["next_run_at"] is None

    # Run now -> 202; the first J-Quants call is held so the run is still going when stopped
    sim.inject("delay", count=1, seconds=30)
    first = api.data(api.post("/jobs/1/run"), 202)
    assert first["status"] == "running" and first["job_type"] == "listed_companies"
    second = api.data(api.post("/jobs/2/run", json={"partition": "2024-01-05"}), 202)
    assert second["partition"] == "2024-01-05" and second["job_type"] == "daily_bars"

    # A job's executions, newest first
    executions = api.data(api.get("/jobs/1/executions", params={"limit": 20}))
    assert first["run_id"] in [e["run_id"] for e in executions]

    # One execution with its steps
    run_id = api.data(api.get("/jobs/1/executions", params={"limit": 1}))[0]["run_id"]
    assert run_id == first["run_id"]
    detail = api.execution(run_id)
    assert detail["run_id"] == run_id and isinstance(detail["steps"], list)

    # Stop a queued or running execution: 200 once stopped, 202 while still ending
    stop = api.post(f"/executions/{run_id}/stop")
    assert stop.status_code in (200, 202), stop.text
    assert api.wait_status(run_id, "stopped", timeout=RUN_TIMEOUT)["status"] == "stopped"
    sim.clear_faults()

    # Clean up stuck executions; {"all": true} ends every unfinished one
    cleanup = api.data(api.post("/cleanup"))
    assert set(cleanup) == {"cleaned", "reasons"}
    everything = api.data(api.post("/cleanup", json={"all": True}))
    assert set(everything) == {"cleaned", "reasons"}
    assert api.wait_status(second["run_id"], "stopped", "completed", "failed")["status"] in (
        "stopped",
        "completed",
    )

    # The OpenAPI document
    paths = api.http.get("/api/openapi.json").json()["paths"]
    assert "/api/scheduler/jobs/{job_id}/run" in paths
    assert "/api/scheduler/jobs/{job_id}/schedule" in paths and len(paths) == 11


def parallel_toggles(api: Api) -> None:
    """Issue 12 #6 against the real webserver: each answer is what its own request did."""
    wrong: list[tuple[bool, int, str]] = []

    def worker(seed: int) -> None:
        rng = random.Random(seed)
        for _ in range(6):
            enabled = rng.random() < 0.5
            response = api.put("/jobs/2/enabled", json={"enabled": enabled})
            if response.status_code != 200 or response.json()["data"]["is_enabled"] is not enabled:
                wrong.append((enabled, response.status_code, response.text[:300]))

    threads = [threading.Thread(target=worker, args=(seed,)) for seed in range(5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    api.data(api.put("/jobs/2/enabled", json={"enabled": False}))
    assert wrong == [], wrong


def request_edges(api: Api) -> None:
    """Issue 12 #2, #4, #7 through a real socket."""
    http = api.http
    no_token = http.put(
        "/api/scheduler/jobs/1/enabled",
        content=b'{"enabled": ',
        headers={"Content-Type": "application/json"},
    )
    assert no_token.status_code == 401 and no_token.json()["errors"]["detail"]
    big = http.put(
        "/api/scheduler/jobs/1/enabled",
        content=b'{"enabled": true, "x": "' + b"x" * 200_000 + b'"}',
        headers={**api.auth, "Content-Type": "application/json"},
    )
    assert big.status_code == 413 and "64 kB" in big.json()["errors"]["detail"]
    assert http.get("/api/scheduler/executions/%00").status_code == 404
    assert http.get("/api/scheduler/jobs/1/executions?limit=%2B5").status_code == 422
    slashed = http.get("/api/scheduler/jobs/1/", follow_redirects=False)
    assert slashed.status_code == 200 and slashed.json()["data"]["id"] == 1


def test_plain_dagster_dev_serves_the_readme_curl_sequence_through_the_api(sim, tmp_path):
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    warehouse = f"sqlite:///{tmp_path / 'warehouse.db'}"
    env = clean_env(
        JQUANTS_API_KEY=SIM_API_KEY,
        JQUANTS_BASE_URL=sim.base_url,
        JQUANTS_REQUESTS_PER_MINUTE="6000",
        MOO_MARKETS_DATABASE_URL=warehouse,
    )
    process = subprocess.Popen(
        [str(BIN / "dagster"), "dev", "-m", LOCATION, "-p", str(port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    output = Output(process)
    try:
        locations = wait_for(
            lambda: process.poll() is None and loaded_locations(url),
            timeout=240,
            interval=1.0,
            message="dagster dev to serve the UI with the code location loaded",
        )
        assert locations == [LOCATION]  # named by -m: the API must find it by itself
        instance = graphql(url, INSTANCE)
        assert instance["instance"]["concurrencyLimit"]["limit"] == 1
        assert instance["instance"]["poolConfig"]["poolGranularity"] == "run"
        assert (
            "moo_markets/job_type"
            in instance["instance"]["runQueueConfig"]["tagConcurrencyLimitsYaml"]
        )
        assert instance["shouldShowNux"] is False

        api_env = {**env, "MOO_MARKETS_API_STOP_WAIT": "30"}
        with api_process(url, api_env, tmp_path / "api.log") as api:
            readme_curl_sequence(api, sim)

            run_id = api.run_now("listed_companies")
            done = api.wait_status(run_id, "completed", "failed", timeout=RUN_TIMEOUT)
            assert done["status"] == "completed", (done, output.text()[-5000:])
            with get_engine(warehouse).connect() as connection:
                rows = connection.execute(
                    sa.select(sa.func.count()).select_from(listed_companies)
                ).scalar_one()
            assert 4000 <= rows <= 5000

            parallel_toggles(api)
            request_edges(api)
        api_log = (tmp_path / "api.log").read_text()
        assert "no data" not in api_log and "Traceback" not in api_log, api_log[-5000:]
    except httpx.HTTPError:
        print(output.text()[-5000:])
        raise
    finally:
        stop_group(process)
        output.join()
        dispose_engines()
    assert "DAGSTER_POSTGRES_URL" not in output.text()
    assert not list(ROOT.glob(".tmp_dagster_home_*")), "dagster dev left its temporary home"

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
from support.dagster_processes import free_port, private_stack, wait_for
from support.graphql import DagsterUi

from moo_markets.jquants_sim import max_in_window
from moo_markets.warehouse import get_engine
from moo_markets.warehouse.schema import job_executions

pytestmark = pytest.mark.e2e

KEY = "ops-test-key"
SCHEDULE = "daily_bars_schedule"


@pytest.fixture(scope="module")
def ops_stack(tmp_path_factory):
    from moo_markets.jquants_sim import JQuantsSimulator, SimulatorConfig

    # J-Quants limit: 10 requests per 5 s window (120/min, counted over short windows so
    # the test sees overlap quickly). Each run paces itself at 120/min; two runs at once
    # would send twice that and draw 429s.
    config = SimulatorConfig(
        api_key=KEY, rate_limit_per_minute=10, rate_window_seconds=5.0, lockout_seconds=5.0
    )
    env = {
        "JQUANTS_REQUESTS_PER_MINUTE": "120",
        "MOO_MARKETS_STUCK_SENSOR_INTERVAL_SECONDS": "3",
    }
    base = tmp_path_factory.mktemp("ops_stack")
    with (
        JQuantsSimulator(config, port=0) as sim,
        private_stack(base, sim, env, name="ops_stack", code_server=True) as stack,
    ):
        yield stack


def bars_range(first: str, last: str) -> dict[str, str]:
    return {"dagster/asset_partition_range_start": first, "dagster/asset_partition_range_end": last}


def test_concurrent_jquants_runs_share_one_budget(ops_stack) -> None:
    sim, ui = ops_stack.sim, DagsterUi(ops_stack)
    sim.reset_stats()
    ids = [
        ui.launch("daily_bars_job", tags=bars_range("2026-03-02", "2026-03-06")),
        # The UI's Materialize button / a backfill: same assets, launched as __ASSET_JOB.
        ui.launch(
            "__ASSET_JOB", tags=bars_range("2026-02-02", "2026-02-06"), assets=["daily_bars"]
        ),
        ui.launch("listed_companies_job"),
    ]
    final = ui.wait_all_finished(ids)
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


def test_run_whose_worker_and_code_server_died_is_ended_and_mirrored(ops_stack) -> None:
    sim, ui = ops_stack.sim, DagsterUi(ops_stack)
    sim.inject("delay", count=1, seconds=45)
    run_id = ui.launch("listed_companies_job")
    pid = wait_for(lambda: ui.worker_pid(run_id), timeout=90, message="run worker pid")
    ui.wait_status(run_id, {"STARTED"})
    ops_stack.kill("code_server")
    os.kill(pid, signal.SIGKILL)
    ops_stack.start_code_server()  # a new code server, as a supervisor would restart it

    final = ui.wait_finished(run_id, timeout=120)
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
    # The stuck_run_sensor's reason, recorded before it ended the run.
    assert row.error_message == f"ended by the stuck_run_sensor: run worker process {pid} is gone"


def test_restarting_every_process_keeps_toggles_and_history(ops_stack) -> None:
    ui = DagsterUi(ops_stack)
    ui.start_schedule(SCHEDULE)
    run_id = ui.launch("listed_companies_job")
    ui.wait_finished(run_id)

    try:
        ops_stack.stop()  # every process: code server, webserver, daemon
        ops_stack.port = free_port()
        ops_stack.url = f"http://127.0.0.1:{ops_stack.port}"
        ops_stack.start()
        assert ui.schedules()[SCHEDULE]["scheduleState"]["status"] == "RUNNING"
        assert ui.run(run_id)["status"] == "SUCCESS"
    finally:
        ui.stop_schedule(SCHEDULE)
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

"""How a user starts moo_markets locally with ``moo-markets dev``, end to end with real processes.

``moo-markets dev`` (what ``make dev`` runs) is quiet while healthy (no WARNING,
ERROR or traceback while it serves the UI, the REST API and a run), and Ctrl-C
during a backfill ends the run as canceled with the shutdown reason, leaves
untried partitions unfailed, stops the processes in order and leaves no process
behind.

Plain ``dagster dev -m moo_markets.definitions`` (with the REST API's documented
curl sequence against it) is in ``tests/api/test_api_plain_dagster_e2e.py``."""

from __future__ import annotations

import datetime as dt
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import dagster as dg
import psutil
import pytest
import requests
import sqlalchemy as sa
from support.dagster_dev import Output
from support.dagster_dev import clean_env as _clean_env
from support.dagster_dev import graphql as _graphql
from support.dagster_dev import loaded_locations as _location_loaded
from support.dagster_dev import stop_group as _stop_group
from support.dagster_processes import free_port, wait_for

from moo_markets.daily_bars.partitions import DAILY_PARTITIONS
from moo_markets.dev_runs import REASON
from moo_markets.warehouse import get_engine
from moo_markets.warehouse.engine import dispose_engines
from moo_markets.warehouse.schema import daily_bars

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
FINISHED = {"SUCCESS", "FAILURE", "CANCELED"}

LAUNCH_RUN = """
mutation($params: ExecutionParams!) {
  launchRun(executionParams: $params) {
    __typename ... on LaunchRunSuccess { run { runId } } ... on Error { message }
  }
}
"""
RUN_STATUS = "query($id: ID!) { runOrError(runId: $id) { ... on Run { status } } }"
LAUNCH_BACKFILL = """
mutation($params: LaunchBackfillParams!) {
  launchPartitionBackfill(backfillParams: $params) {
    __typename ... on LaunchBackfillSuccess { backfillId } ... on PythonError { message }
  }
}
"""


def _launch(url: str, location: str, job: str, tags: list[dict] | None = None) -> str:
    params = {
        "selector": {
            "repositoryLocationName": location,
            "repositoryName": "__repository__",
            "jobName": job,
        },
        "executionMetadata": {"tags": tags or []},
    }
    answer = _graphql(url, LAUNCH_RUN, {"params": params})["launchRun"]
    assert answer["__typename"] == "LaunchRunSuccess", answer
    return answer["run"]["runId"]


def _finished(url: str, run_id: str) -> str | None:
    status = _graphql(url, RUN_STATUS, {"id": run_id})["runOrError"].get("status")
    return status if status in FINISHED else None


# ---- `moo-markets dev` -----------------------------------------------------------------

NOISE = re.compile(r"\bWARNING\b|\bERROR\b|Traceback|Warning:")
STOP_LINES = [
    "stopping: ending in-flight runs first",
    f"canceled 1 run(s): {REASON}",
    "stopped daemon",
    "stopped webserver",
    "stopped code-server",
    "stopped api",
    "stopped jquants-sim",
]
HEALTHY_SECONDS = 75
"""From start: past the daemon's first workspace refresh (60 s) and several mirror ticks."""
BACKFILL = (dt.date(2021, 1, 4), dt.date(2025, 12, 30))
"""Sixty whole months: the simulator builds each month's file when it is first listed (about a
second each), so the run is still loading months at HEALTHY_SECONDS without the listing alone
taking minutes (fourteen years took ~170 s before the first day was stored)."""
DAYS_UNDER_WAY = 5
"""Days stored before Ctrl-C: the backfill is under way."""


def _descendants(pid: int) -> list[psutil.Process]:
    try:
        return psutil.Process(pid).children(recursive=True)
    except psutil.NoSuchProcess:
        return []


def test_moo_markets_dev_is_quiet_and_ctrl_c_ends_a_backfill_in_order(
    tmp_path, monkeypatch
) -> None:
    ui, api, sim = free_port(), free_port(), free_port()
    url, api_url = f"http://127.0.0.1:{ui}", f"http://127.0.0.1:{api}/api"
    home, warehouse = tmp_path / "home", f"sqlite:///{tmp_path / 'warehouse.db'}"
    env = _clean_env(MOO_MARKETS_DATABASE_URL=warehouse)
    started = time.monotonic()
    process = subprocess.Popen(
        [str(BIN / "moo-markets"), "dev", "--port", str(ui), "--api-port", str(api),
         "--sim-port", str(sim), "--home", str(home)],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        start_new_session=True,
    )  # fmt: skip
    output = Output(process)
    seen: dict[int, psutil.Process] = {}
    try:
        wait_for(
            lambda: process.poll() is None and _location_loaded(url),
            timeout=240,
            interval=1.0,
            message="moo-markets dev to serve the UI with the code location loaded",
        )
        wait_for(lambda: "Dagster UI ready at" in output.text(), timeout=30, message="ready line")
        seen.update({child.pid: child for child in _descendants(process.pid)})

        # A run through the REST API, and a few reads: no per-request line may appear.
        launched = requests.post(f"{api_url}/scheduler/jobs/listed_companies/run", timeout=60)
        assert launched.status_code == 202, launched.text
        run_id = launched.json()["data"]["run_id"]
        status = wait_for(lambda: _finished(url, run_id), timeout=240, interval=1.0,
                          message="listed_companies_job to finish")  # fmt: skip
        assert status == "SUCCESS", output.text()[-5000:]
        for path in ("/health", "/scheduler/status", "/scheduler/jobs", "/scheduler/jobs/2"):
            assert requests.get(f"{api_url}{path}", timeout=60).ok

        first, last = BACKFILL
        params = {
            "partitionsByAssets": [
                {
                    "assetKey": {"path": ["daily_bars"]},
                    "partitions": {"range": {"start": first.isoformat(), "end": last.isoformat()}},
                }
            ],
            "title": "interrupted by Ctrl-C",
        }
        backfill = _graphql(url, LAUNCH_BACKFILL, {"params": params})["launchPartitionBackfill"]
        assert backfill["__typename"] == "LaunchBackfillSuccess", backfill

        def some_days_stored() -> bool:
            for child in _descendants(process.pid):
                seen.setdefault(child.pid, child)
            with get_engine(warehouse).connect() as connection:
                days = connection.execute(
                    sa.select(sa.func.count(sa.distinct(daily_bars.c.date)))
                ).scalar_one()
            return days >= DAYS_UNDER_WAY and time.monotonic() - started >= HEALTHY_SECONDS

        wait_for(
            some_days_stored, timeout=600, interval=2.0, message="the backfill to be under way"
        )
        healthy = output.text()
        os.killpg(process.pid, signal.SIGINT)  # what Ctrl-C in the terminal sends
        assert process.wait(timeout=120) == 0
        orphans = [
            p for p in seen.values() if p.is_running() and p.status() != psutil.STATUS_ZOMBIE
        ]  # before the cleanup below kills any
    finally:
        # Its children run in sessions of their own: a failing test still stops it gracefully.
        _stop_group(process, signal.SIGINT if process.poll() is None else signal.SIGKILL)
        for child in seen.values():
            if child.is_running():
                child.kill()
        output.join()
        dispose_engines()

    noise = [line for line in healthy.splitlines() if NOISE.search(line)]
    assert not noise, "\n".join(noise)
    assert not re.search(r"GET /api|HTTP Request:", healthy), "per-request lines at INFO"

    text = output.text()
    shutdown = text[text.index(STOP_LINES[0]) :]
    positions = [shutdown.find(line) for line in STOP_LINES]
    assert all(p >= 0 for p in positions), shutdown
    assert positions == sorted(positions), shutdown
    assert not orphans, orphans

    monkeypatch.setenv("DAGSTER_HOME", str(home))
    with dg.DagsterInstance.get() as instance:
        backfill_tag = {"dagster/backfill": backfill["backfillId"]}
        (run,) = instance.get_runs(filters=dg.RunsFilter(tags=backfill_tag))
        assert run.status == dg.DagsterRunStatus.CANCELED
        canceled = instance.all_logs(run.run_id, of_type=dg.DagsterEventType.RUN_CANCELED)
        assert [e.dagster_event.message for e in canceled] == [REASON]
        keys = DAILY_PARTITIONS.get_partition_keys_in_range(
            dg.PartitionKeyRange(first.isoformat(), last.isoformat())
        )
        statuses = instance.get_status_by_partition(
            dg.AssetKey("daily_bars"), keys, DAILY_PARTITIONS
        )
    assert dg.AssetPartitionStatus.FAILED not in statuses.values()
    done = [k for k, s in statuses.items() if s == dg.AssetPartitionStatus.MATERIALIZED]
    # Committed days stay (at least those seen before Ctrl-C); untried ones are just missing.
    assert DAYS_UNDER_WAY <= len(done) < len(keys)

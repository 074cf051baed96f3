"""A run worker killed mid-backfill takes its steps with it (issue 12, item 1).

Real ``dagster-webserver`` + ``dagster-daemon`` (the session's ``dagster_stack``)
and the session's simulator, slowed by injected delays so a daily_bars range
is still being fetched when the test acts. The simulator runs in this process
and records every request with its ``time.monotonic()`` arrival, so "a request
reached J-Quants after the run was marked finished" is checked against the
run's ``endTime`` (same host, same clock) rather than guessed.
"""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Iterator

import pytest
from support.dagster_processes import wait_for

from moo_markets.core.runs import FINISHED
from moo_markets.core.workers import pid_from_message

pytestmark = pytest.mark.e2e

BARS_PATH = "/v2/equities/bars/daily"  # as the simulator logs it

REPOSITORY = {"repositoryLocationName": "moo_markets", "repositoryName": "__repository__"}
# About 40 sessions, one request each, in a range no other test file backfills.
FIRST, LAST = "2025-06-02", "2025-07-31"
DELAY_SECONDS = 0.4  # per request; with two fetch threads a day takes ~0.2 s of the run
QUIET_SECONDS = 3.0  # how long after the run ended no request may arrive

LAUNCH = """
mutation($params: ExecutionParams!) {
  launchRun(executionParams: $params) {
    __typename ... on LaunchRunSuccess { run { runId } } ... on Error { message }
  }
}"""
RUN = """
query($id: ID!) {
  runOrError(runId: $id) { ... on Run { status startTime endTime
    eventConnection { events { __typename ... on MessageEvent { message }
      ... on StepEvent { stepKey } } } } }
}"""
TERMINATE = """
mutation($id: String!) {
  terminateRun(runId: $id, terminatePolicy: SAFE_TERMINATE) {
    __typename ... on PythonError { message } ... on Error { message } }
}"""


@pytest.fixture
def slow_sim(simulator) -> Iterator[object]:
    simulator.clear_faults()
    simulator.inject("delay", count=10_000, seconds=DELAY_SECONDS)
    yield simulator
    simulator.clear_faults()


def launch_range(stack) -> str:
    """The run a single-run backfill of the range launches (the UI's ``__ASSET_JOB``)."""
    params = {
        "selector": {
            **REPOSITORY,
            "jobName": "__ASSET_JOB",
            "assetSelection": [{"path": ["daily_bars"]}],
        },
        "executionMetadata": {
            "tags": [
                {"key": "dagster/asset_partition_range_start", "value": FIRST},
                {"key": "dagster/asset_partition_range_end", "value": LAST},
            ]
        },
    }
    result = stack.graphql(LAUNCH, {"params": params})["launchRun"]
    assert result["__typename"] == "LaunchRunSuccess", result
    return result["run"]["runId"]


def run_of(stack, run_id: str) -> dict:
    return stack.graphql(RUN, {"id": run_id})["runOrError"]


def bars_arrivals(sim, since: float) -> list[float]:
    return [t for t, path, _query, _status in sim.stats.log if path == BARS_PATH and t >= since]


def executing_pid(run: dict) -> int | None:
    """The pid of the process that executes the steps ("Executing steps ... (pid: N)")."""
    for event in run["eventConnection"]["events"]:
        message = event.get("message") or ""
        if event["__typename"] == "EngineEvent" and message.startswith("Executing steps"):
            return pid_from_message(message)
    return None


def fetching(stack, sim, run_id: str, since: float) -> dict | None:
    """The run, once it is STARTED and its bars requests reach the simulator."""
    run = run_of(stack, run_id)
    return run if run["status"] == "STARTED" and len(bars_arrivals(sim, since)) >= 2 else None


def finished(stack, run_id: str) -> dict:
    return wait_for(
        lambda: (r := run_of(stack, run_id))["status"] in FINISHED and r,
        timeout=120,
        interval=0.2,
        message=f"run {run_id} to finish",
    )


def requests_after(sim, run: dict, since: float) -> list[float]:
    """Bars requests that arrived after the run's ``endTime`` (converted to monotonic)."""
    ended = run["endTime"] - (time.time() - time.monotonic())
    time.sleep(QUIET_SECONDS)
    return [t - ended for t in bars_arrivals(sim, since) if t > ended]


def test_killing_the_run_worker_stops_its_steps(dagster_stack, slow_sim) -> None:
    since = time.monotonic()
    run_id = launch_range(dagster_stack)
    run = wait_for(
        lambda: fetching(dagster_stack, slow_sim, run_id, since),
        timeout=120,
        interval=0.2,
        message="the backfill to fetch bars",
    )
    pid = executing_pid(run)
    assert pid is not None, "no 'Executing steps ... (pid: N)' engine event"
    os.kill(pid, signal.SIGKILL)

    final = finished(dagster_stack, run_id)
    late = requests_after(slow_sim, final, since)
    print(f"\nbars requests after the run was marked {final['status']}: {len(late)}")
    assert final["status"] == "FAILURE"
    assert late == [], f"{len(late)} request(s) reached J-Quants after the run ended: {late}"
    events = final["eventConnection"]["events"]
    assert not [e for e in events if e["__typename"] == "ExecutionStepSuccessEvent"], (
        "a step of the killed run must not report success"
    )
    assert any("terminated by signal 9" in (e.get("message") or "") for e in events), (
        "the run's events say the worker was killed"
    )


def test_terminating_a_backfill_stops_its_requests(dagster_stack, slow_sim) -> None:
    since = time.monotonic()
    run_id = launch_range(dagster_stack)
    wait_for(
        lambda: fetching(dagster_stack, slow_sim, run_id, since),
        timeout=120,
        interval=0.2,
        message="the backfill to fetch bars",
    )
    result = dagster_stack.graphql(TERMINATE, {"id": run_id})["terminateRun"]
    assert result["__typename"] == "TerminateRunSuccess", result

    final = finished(dagster_stack, run_id)
    late = requests_after(slow_sim, final, since)
    print(f"\nbars requests after the run was marked {final['status']}: {len(late)}")
    assert final["status"] == "CANCELED"
    assert late == [], f"{len(late)} request(s) reached J-Quants after the run ended: {late}"

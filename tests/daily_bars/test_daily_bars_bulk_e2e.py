"""Acceptance: a backfill of daily_bars launched from the UI (GraphQL) at the Light plan loads
whole months from bulk files and stores exactly what a REST backfill stores.

A stack of its own (real ``dagster-webserver`` + ``dagster-daemon``): the session's stack
runs on the Free plan, where there are no bulk files. Its simulator enforces the Light
limit (60 requests per minute) and the client paces at it.
"""

from __future__ import annotations

import datetime as dt

import dagster as dg
import pytest
from support.dagster_processes import private_stack, wait_for
from support.jquants_sim import SIM_API_KEY

from moo_markets.daily_bars import store
from moo_markets.daily_bars.assets import daily_bars
from moo_markets.jquants import JQuantsResource
from moo_markets.warehouse import get_engine
from moo_markets.warehouse.migrate import upgrade
from moo_markets.warehouse.resource import WarehouseResource

pytestmark = pytest.mark.e2e

FIRST, LAST = dt.date(2026, 7, 29), dt.date(2026, 10, 2)  # Aug and Sep whole: bulk files
RANGE_TAGS = ("dagster/asset_partition_range_start", "dagster/asset_partition_range_end")

LAUNCH = """
mutation($params: LaunchBackfillParams!) {
  launchPartitionBackfill(backfillParams: $params) {
    __typename
    ... on LaunchBackfillSuccess { backfillId }
    ... on PythonError { message }
  }
}
"""
BACKFILL = """
query($id: String!) {
  partitionBackfillOrError(backfillId: $id) {
    __typename
    ... on PartitionBackfill { status }
  }
}
"""
RUNS = """
query($id: String!) {
  runsOrError(filter: {tags: [{key: "dagster/backfill", value: $id}]}) {
    ... on Runs { results { runId status } }
  }
}
"""
FINISHED = {"COMPLETED", "COMPLETED_SUCCESS", "COMPLETED_FAILED", "FAILED", "CANCELED"}


@pytest.fixture(scope="module")
def light_stack(tmp_path_factory, make_module_simulator):
    sim = make_module_simulator(plan="light", rate_limit_per_minute="plan")
    env = {
        "JQUANTS_PLAN": "light",
        "JQUANTS_REQUESTS_PER_MINUTE": "60",  # the client paces at the Light limit
    }
    base = tmp_path_factory.mktemp("light_stack")
    with private_stack(base, sim, env, name="light_stack (daily_bars bulk)") as stack:
        yield stack


@pytest.fixture(scope="module")
def make_module_simulator():
    from moo_markets.jquants_sim import JQuantsSimulator, SimulatorConfig

    started = []

    def make(**config):
        sim = JQuantsSimulator(SimulatorConfig(api_key=SIM_API_KEY, seed=42, **config), port=0)
        sim.start()
        started.append(sim)
        return sim

    yield make
    for sim in started:
        sim.stop()


def test_a_ui_backfill_at_light_loads_months_from_bulk_files(
    light_stack, make_module_simulator, tmp_path
) -> None:
    sim = light_stack.sim
    params = {
        "partitionsByAssets": [
            {
                "assetKey": {"path": ["daily_bars"]},
                "partitions": {"range": {"start": FIRST.isoformat(), "end": LAST.isoformat()}},
            }
        ],
        "title": "daily_bars from bulk files",
    }
    launched = light_stack.graphql(LAUNCH, {"params": params})["launchPartitionBackfill"]
    assert launched["__typename"] == "LaunchBackfillSuccess", launched
    backfill_id = launched["backfillId"]

    def finished():
        status = light_stack.graphql(BACKFILL, {"id": backfill_id})["partitionBackfillOrError"]
        return status["status"] if status.get("status") in FINISHED else None

    status = wait_for(finished, timeout=400, interval=2.0, message="the backfill to finish")
    assert status in {"COMPLETED", "COMPLETED_SUCCESS"}, status
    runs = light_stack.graphql(RUNS, {"id": backfill_id})["runsOrError"]["results"]
    assert [r["status"] for r in runs] == ["SUCCESS"]

    log = sim.stats.log
    keys = sorted(q["key"].rsplit("_", 1)[1] for _, p, q, _ in log if p == "/v2/bulk/get")
    assert keys == ["202608.csv.gz", "202609.csv.gz"]
    rest_days = {q["date"][:7] for _, p, q, _ in log if p == "/v2/equities/bars/daily"}
    assert rest_days == {"2026-07", "2026-10"}
    assert sim.stats.by_status.get(429, 0) == 0
    assert not any(d.had_api_key for d in sim.storage_stats.downloads)

    # A REST backfill of the same days (in process, a second simulator with the same seed
    # and no limit, so it is quick) stores exactly the same rows.
    reference_sim = make_module_simulator(plan="light", rate_limit_per_minute=None)
    reference_url = f"sqlite:///{tmp_path / 'rest.db'}"
    upgrade(get_engine(reference_url))
    with dg.instance_for_test() as instance:
        result = dg.materialize(
            [daily_bars],
            resources={
                "jquants": JQuantsResource(
                    api_key=SIM_API_KEY, base_url=reference_sim.base_url, plan="light",
                    requests_per_minute=60_000,
                ),
                "warehouse": WarehouseResource(database_url=reference_url),
            },
            instance=instance,
            tags=dict(zip(RANGE_TAGS, (FIRST.isoformat(), LAST.isoformat()), strict=True)),
            run_config={"ops": {"daily_bars": {"config": {"use_bulk_files": False}}}},
        )  # fmt: skip
        assert result.success
    with get_engine(light_stack.warehouse_url).connect() as connection:
        bulk_rows = store.stored_rows(connection)
    with get_engine(reference_url).connect() as connection:
        rest_rows = store.stored_rows(connection)
    assert len(bulk_rows) > 100_000
    assert bulk_rows == rest_rows

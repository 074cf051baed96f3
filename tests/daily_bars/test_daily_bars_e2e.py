"""Acceptance: a user backfills a range of daily_bars from the UI (GraphQL) on the real stack.

Real ``dagster-webserver`` + ``dagster-daemon`` (the session's ``dagster_stack``)
and the session's simulator. The backfill goes through the daemon's asset
backfill, as the UI's "Materialize selected" over a range does, so this checks
what in-process tests cannot: the single-run backfill policy really yields
one run, and the daemon counts the per-day materializations that the asset
logs itself (it yields no output) as the backfill's partitions.
"""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa
from support.dagster_processes import wait_for

from moo_markets.warehouse import get_engine
from moo_markets.warehouse.schema import daily_bars

pytestmark = pytest.mark.e2e

LAUNCH = """
mutation($params: LaunchBackfillParams!) {
  launchPartitionBackfill(backfillParams: $params) {
    __typename
    ... on LaunchBackfillSuccess { backfillId }
    ... on PythonError { message }
    ... on InvalidStepError { invalidStepKey }
    ... on UnauthorizedError { message }
  }
}
"""

BACKFILL = """
query($id: String!) {
  partitionBackfillOrError(backfillId: $id) {
    __typename
    ... on PartitionBackfill { status }
    ... on PythonError { message }
  }
}
"""

RUNS = """
query($id: String!) {
  runsOrError(filter: {tags: [{key: "dagster/backfill", value: $id}]}) {
    ... on Runs { results { runId status tags { key value } } }
  }
}
"""

PARTITIONS = """
{
  assetNodeOrError(assetKey: {path: ["daily_bars"]}) {
    ... on AssetNode {
      assetPartitionStatuses {
        ... on TimePartitionStatuses { ranges { startKey endKey status } }
      }
    }
  }
}
"""

SYNC = """
query($partition: String!) {
  bars: assetNodeOrError(assetKey: {path: ["daily_bars"]}) {
    ... on AssetNode { staleStatus(partition: $partition) staleCauses(partition: $partition) { reason } }
  }
  calendar: assetNodeOrError(assetKey: {path: ["trading_calendar"]}) {
    ... on AssetNode { assetMaterializations(limit: 1) { runId } }
  }
}
"""

FINISHED = {"COMPLETED", "COMPLETED_SUCCESS", "COMPLETED_FAILED", "FAILED", "CANCELED"}


def test_backfill_of_a_range_from_the_ui_is_one_run(dagster_stack, simulator) -> None:
    first, last = dt.date(2026, 1, 5), dt.date(2026, 1, 16)  # with a weekend and 2026-01-12
    params = {
        "partitionsByAssets": [
            {
                "assetKey": {"path": ["daily_bars"]},
                "partitions": {"range": {"start": first.isoformat(), "end": last.isoformat()}},
            }
        ],
        "title": "daily_bars e2e",
    }
    launched = dagster_stack.graphql(LAUNCH, {"params": params})["launchPartitionBackfill"]
    assert launched["__typename"] == "LaunchBackfillSuccess", launched
    backfill_id = launched["backfillId"]

    def finished():
        status = dagster_stack.graphql(BACKFILL, {"id": backfill_id})["partitionBackfillOrError"]
        return status["status"] if status.get("status") in FINISHED else None

    status = wait_for(finished, timeout=240, interval=1.0, message="the backfill to finish")
    assert status in {"COMPLETED", "COMPLETED_SUCCESS"}, status

    runs = dagster_stack.graphql(RUNS, {"id": backfill_id})["runsOrError"]["results"]
    assert len(runs) == 1, runs  # BackfillPolicy.single_run(): the whole range in one run
    tags = {t["key"]: t["value"] for t in runs[0]["tags"]}
    assert runs[0]["status"] == "SUCCESS"
    assert tags["dagster/asset_partition_range_start"] == first.isoformat()
    assert tags["dagster/asset_partition_range_end"] == last.isoformat()

    ranges = dagster_stack.graphql(PARTITIONS)["assetNodeOrError"]["assetPartitionStatuses"][
        "ranges"
    ]
    materialized = [r for r in ranges if r["status"] == "MATERIALIZED"]
    assert any(
        r["startKey"] <= first.isoformat() and r["endKey"] >= last.isoformat() for r in materialized
    ), ranges

    # The calendar refresh inside the run is trading_calendar's materialization, so the
    # backfilled partitions are in sync (not "Unsynced: has a new input trading_calendar").
    sync = dagster_stack.graphql(SYNC, {"partition": first.isoformat()})
    assert sync["bars"]["staleStatus"] == "FRESH", sync["bars"]["staleCauses"]
    assert sync["calendar"]["assetMaterializations"], "trading_calendar never materialized"

    sessions = [
        first + dt.timedelta(days=i)
        for i in range((last - first).days + 1)
        if simulator.dataset.is_business_day(first + dt.timedelta(days=i))
    ]
    assert dt.date(2026, 1, 12) not in sessions
    with get_engine(dagster_stack.warehouse_url).connect() as connection:
        counts = dict(
            connection.execute(
                sa.select(daily_bars.c.date, sa.func.count())
                .where(daily_bars.c.date.between(first, last))
                .group_by(daily_bars.c.date)
            ).all()
        )
    assert counts == {day: len(simulator.dataset.bars_on(day)) for day in sessions}

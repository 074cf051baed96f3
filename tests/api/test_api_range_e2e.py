"""Acceptance: ``POST /api/scheduler/jobs/daily_bars/run`` over a range on the real stack.

The session's ``dagster_stack`` (webserver + daemon, mirror sensor) and the API as a
process: the range is ONE run of ``daily_bars_job`` carrying the single-run backfill
tags; every session day of it is stored and its partitions are materialized; the REST
execution and the ``job_executions`` row both name the range ``start...end``.
"""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa
from support.dagster_processes import wait_for
from support.graphql import DagsterUi, tags_of

from moo_markets.warehouse import get_engine
from moo_markets.warehouse.schema import daily_bars, job_executions

pytestmark = pytest.mark.e2e

FIRST, LAST = dt.date(2026, 4, 27), dt.date(2026, 5, 1)  # Monday to Friday, 04-29 a holiday

STATUSES = """
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


def test_run_now_over_a_range_is_one_run_stored_and_mirrored(api, dagster_stack, simulator):
    body = {"start": FIRST.isoformat(), "end": LAST.isoformat()}
    run_id = api.run_now("daily_bars", json=body)
    execution = api.wait_status(run_id, "completed", "failed", "stopped", timeout=240)
    assert execution["status"] == "completed", execution
    assert execution["partition"] == "2026-04-27...2026-05-01"

    run = DagsterUi(dagster_stack).run(run_id)
    tags = tags_of(run)
    assert run["pipelineName"] == "daily_bars_job"
    assert tags["dagster/asset_partition_range_start"] == "2026-04-27"
    assert tags["dagster/asset_partition_range_end"] == "2026-05-01"

    ranges = dagster_stack.graphql(STATUSES)["assetNodeOrError"]["assetPartitionStatuses"]
    materialized = [r for r in ranges["ranges"] if r["status"] == "MATERIALIZED"]
    assert any(r["startKey"] <= "2026-04-27" and r["endKey"] >= "2026-05-01" for r in materialized)

    days = [FIRST + dt.timedelta(days=i) for i in range((LAST - FIRST).days + 1)]
    sessions = [day for day in days if simulator.dataset.is_business_day(day)]
    assert dt.date(2026, 4, 29) not in sessions and len(sessions) == 4
    engine = get_engine(dagster_stack.warehouse_url)
    with engine.connect() as connection:
        counts = dict(
            connection.execute(
                sa.select(daily_bars.c.date, sa.func.count())
                .where(daily_bars.c.date.between(FIRST, LAST))
                .group_by(daily_bars.c.date)
            ).all()
        )
    assert counts == {day: len(simulator.dataset.bars_on(day)) for day in sessions}

    def mirrored():
        with engine.connect() as connection:
            row = connection.execute(
                sa.select(job_executions).where(job_executions.c.run_id == run_id)
            ).first()
        return row if row is not None and row.status == "completed" else None

    row = wait_for(mirrored, timeout=60, message="the mirror row of the range run")
    assert (row.job_id, row.partition_key) == (2, execution["partition"])
    listed = api.data(api.get("/jobs/2/executions?limit=100"))
    assert [e["partition"] for e in listed if e["run_id"] == run_id] == [execution["partition"]]

"""The recheck job on a real Dagster webserver + daemon, run through the REST API: a close the
simulator corrects after publication ends up as a revision row (issue 15, done when)."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from moo_markets.core.plans import history_window
from moo_markets.core.time import today_jst
from moo_markets.warehouse import get_engine
from moo_markets.warehouse.revisions import history_of
from moo_markets.warehouse.schema import daily_bars

pytestmark = pytest.mark.e2e


def test_recheck_through_the_rest_api_keeps_a_corrected_close(api, dagster_stack, sim) -> None:
    job = api.data(api.get("/jobs/21"))
    assert job["job_type"] == "recheck" and job["schedule"] == "30 20 * * 1-5"
    assert job["is_enabled"] is False  # STOPPED by default, like every job

    # The stack runs on the Free plan: recheck reads the newest days that plan can see.
    day = history_window("free", today_jst()).last
    while not sim.dataset.is_business_day(day):
        day -= dt.timedelta(days=1)
    loaded = api.run_now("2", json={"partition": day.isoformat()})
    assert api.wait_status(loaded, "completed", "failed")["status"] == "completed"
    engine = get_engine(dagster_stack.warehouse_url)
    with engine.connect() as connection:
        old = dict(
            connection.execute(
                sa.select(daily_bars.c.code, daily_bars.c.close).where(daily_bars.c.date == day)
            ).all()
        )
    codes = sim.correct_closes(day, count=2)

    run = api.wait_status(api.run_now("21"), "completed", "failed")
    assert run["status"] == "completed", run
    assert run["job_id"] == 21, run

    revisions = history_of(daily_bars).revisions
    with engine.connect() as connection:
        kept = connection.execute(
            sa.select(revisions).where(revisions.c.date == day, revisions.c.code.in_(codes))
        ).all()
        new = dict(
            connection.execute(
                sa.select(daily_bars.c.code, daily_bars.c.close).where(
                    daily_bars.c.date == day, daily_bars.c.code.in_(codes)
                )
            ).all()
        )
    assert sorted(r.code for r in kept) == sorted(codes)
    for row in kept:
        assert row.change_kind == "updated" and row.close == old[row.code] != new[row.code]
        assert row.fetched_at < row.superseded_at

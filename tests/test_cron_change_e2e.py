"""Done-when of issue 16: a cron changed at runtime, against a real webserver and daemon.

A stack of its own (it is restarted), in the deployment's topology: one
``dagster code-server`` shared by the webserver and the daemon, the REST API as
``moo-markets api``, J-Quants the session's simulator. ``listed_companies``
starts on a cron that never comes up during the test (``MOO_MARKETS_..._CRON``,
1 January 03:00), is switched on, then moved through the API to the next
minute: the tick comes at that minute, from the daemon, and only then. A daemon
still on the old cron would not tick at all, so the test fails if the change
does not reach it. One minute boundary is waited for, no more.
"""

from __future__ import annotations

import datetime as dt
import subprocess
import time

import pytest
import sqlalchemy as sa
from support.dagster_processes import DagsterProcesses, private_stack, wait_for
from support.rest import BIN, api_process

from moo_markets.core.catalog import LISTED_COMPANIES
from moo_markets.core.time import JST
from moo_markets.warehouse.engine import resolve_database_url
from moo_markets.warehouse.schema import jobs

pytestmark = pytest.mark.e2e

OLD_CRON = "0 3 1 1 *"
"""The environment's cron: it does not fire while the test runs."""
APPLY_MARGIN = 25.0
"""Seconds left before the new cron's minute when the change is sent (it takes a few)."""
SCHEDULE = {
    "repositoryLocationName": "moo_markets",
    "repositoryName": "__repository__",
    "scheduleName": LISTED_COMPANIES.schedule_name,
}
TICKS = """
query Ticks($selector: ScheduleSelector!) {
  scheduleOrError(scheduleSelector: $selector) {
    ... on Schedule { scheduleState { status ticks(limit: 20) { timestamp status runIds } } }
  }
}
"""


@pytest.fixture
def stack(tmp_path, simulator):
    env = {
        "MOO_MARKETS_LISTED_COMPANIES_CRON": OLD_CRON,
        "MOO_MARKETS_MIRROR_INTERVAL_SECONDS": "1",
    }
    with private_stack(tmp_path, simulator, env, name="cron change", code_server=True) as stack:
        yield stack


@pytest.fixture
def api(stack, tmp_path):
    with api_process(stack.url, stack.env, tmp_path / "api.log") as client:
        yield client


def mirrored_cron(url: str) -> str | None:
    engine = sa.create_engine(resolve_database_url(url))
    try:
        with engine.connect() as connection:
            return connection.execute(
                sa.select(jobs.c.schedule).where(jobs.c.id == LISTED_COMPANIES.id)
            ).scalar_one_or_none()
    except sa.exc.SQLAlchemyError:
        return None
    finally:
        engine.dispose()


def ticks(stack: DagsterProcesses) -> list[dict]:
    data = stack.graphql(TICKS, {"selector": SCHEDULE})
    return data["scheduleOrError"]["scheduleState"]["ticks"]


def next_minute_with_margin(margin: float) -> dt.datetime:
    now = dt.datetime.now(JST)
    minute = now.replace(second=0, microsecond=0) + dt.timedelta(minutes=1)
    while (minute - now).total_seconds() < margin:
        minute += dt.timedelta(minutes=1)
    return minute


def test_a_cron_changed_through_the_api_fires_at_the_new_time(stack, api):
    job = api.data(api.get("/jobs/1"))
    assert job["schedule"] == OLD_CRON and job["is_enabled"] is False
    assert api.data(api.put("/jobs/1/enabled", json={"enabled": True}))["is_enabled"] is True

    # Refused: bad crons (422 naming the problem), no token (401). Nothing changes.
    for cron, words in (("0 0 31 2 *", "never fires"), ("61 * * * *", "not a valid cron")):
        response = api.put("/jobs/1/schedule", json={"schedule": cron})
        assert response.status_code == 422 and words in response.text, response.text
    unauthenticated = api.put("/jobs/1/schedule", json={"schedule": "* * * * *"}, headers={})
    assert unauthenticated.status_code == 401, unauthenticated.text
    assert api.delete("/jobs/1/schedule", headers={}).status_code == 401

    # The change, timed: the answer comes once Dagster schedules on the new cron.
    minute = next_minute_with_margin(APPLY_MARGIN)
    cron = f"{minute.minute} {minute.hour} * * *"
    sent = time.monotonic()
    changed_at = time.time()
    job = api.data(api.put("/jobs/1/schedule", json={"schedule": cron}))
    apply_seconds = time.monotonic() - sent
    print(f"\ncron change applied in {apply_seconds:.2f}s (PUT to answer)")
    assert (job["schedule"], job["is_enabled"]) == (cron, True)
    assert dt.datetime.fromisoformat(job["next_run_at"]) == minute
    assert time.time() < minute.timestamp(), "the change took too long to test the tick"

    # The daemon ticks at the new minute and only then; the schedule stays on.
    def fired():
        return [t for t in ticks(stack) if t["timestamp"] >= changed_at and t["runIds"]]

    fired_ticks = wait_for(fired, timeout=minute.timestamp() - time.time() + 60, interval=1)
    late = [t for t in ticks(stack) if t["timestamp"] >= changed_at]
    assert [t["timestamp"] for t in late] == [minute.timestamp()], late
    assert len(fired_ticks[0]["runIds"]) == 1
    job = api.data(api.get("/jobs/1"))
    assert job["is_enabled"] is True and job["schedule"] == cron
    assert dt.datetime.fromisoformat(job["next_run_at"]) == minute + dt.timedelta(days=1)
    wait_for(lambda: mirrored_cron(stack.warehouse_url) == cron, timeout=30, message="mirror")

    # A restart of every Dagster process keeps the override and the ON state.
    stack.stop()
    stack.start()
    job = api.data(api.get("/jobs/1"))
    assert (job["schedule"], job["is_enabled"]) == (cron, True)

    # DELETE returns to the environment's cron; still on; the mirror follows.
    job = api.data(api.delete("/jobs/1/schedule"))
    assert (job["schedule"], job["is_enabled"]) == (OLD_CRON, True)
    wait_for(lambda: mirrored_cron(stack.warehouse_url) == OLD_CRON, timeout=30, message="mirror")
    # The CLI does the same.
    cli = subprocess.run(
        [str(BIN / "moo-markets"), "schedule", "set", "listed_companies", "5 4 * * 1-5"],
        env={**stack.env, "MOO_MARKETS_DAGSTER_URL": stack.url},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert cli.returncode == 0, cli.stderr
    assert "schedule '5 4 * * 1-5' (Asia/Tokyo), enabled" in cli.stdout
    assert api.data(api.get("/jobs/1"))["schedule"] == "5 4 * * 1-5"

"""The mirror against the real thing: webserver, daemon, code server, the UI's GraphQL.

Everything the UI can do is done through GraphQL (launch, Materialize-style
``__ASSET_JOB`` runs, a backfill, terminate, schedule on/off); the mirror rows
must then answer what GraphQL answers. The stack is shared with other test
files: its run history is not empty and schedules are always stopped again.
The lag (run finished -> row visible) is measured and printed, not asserted.
"""

from __future__ import annotations

import datetime as dt
import statistics
import time

import pytest
import sqlalchemy as sa
from support.dagster_processes import wait_for
from support.graphql import DagsterUi as Ui
from support.graphql import tags_of

from moo_markets.core.catalog import DAILY_BARS, JOBS, LISTED_COMPANIES
from moo_markets.core.runs import job_type_for_run, scheduler_status
from moo_markets.warehouse import resolve_database_url
from moo_markets.warehouse.schema import job_executions, jobs

pytestmark = pytest.mark.e2e

UTC = dt.UTC
FUTURE_DATE = "2099-01-05"  # outside every plan's window: the asset raises dg.Failure
LAGS: list[float] = []


def job_type_of(run: dict):
    keys = ["/".join(a["path"]) for a in run.get("assetSelection") or []]
    return job_type_for_run(run["pipelineName"], tags_of(run), keys)


_readers: dict[str, sa.Engine] = {}


def reader(url: str) -> sa.Engine:
    """A plain engine, as a SQL report would use: it never migrates, the code location does."""
    if url not in _readers:
        _readers[url] = sa.create_engine(resolve_database_url(url), pool_pre_ping=True)
    return _readers[url]


def rows(url: str) -> dict[str, sa.Row]:
    with reader(url).connect() as connection:
        return {r.run_id: r for r in connection.execute(sa.select(job_executions))}


def job_rows(url: str) -> dict[int, sa.Row]:
    """The jobs table ({} until the code location has created it)."""
    try:
        with reader(url).connect() as connection:
            return {r.id: r for r in connection.execute(sa.select(jobs))}
    except (sa.exc.ProgrammingError, sa.exc.OperationalError):  # no table yet
        return {}


def epoch(value: dt.datetime | None) -> float | None:
    if value is None:
        return None
    return (value if value.tzinfo else value.replace(tzinfo=UTC)).timestamp()


def mirrored(url: str, run: dict) -> bool:
    """The run's row shows what GraphQL shows (job, status, times)."""
    row = rows(url).get(run["runId"])
    job = job_type_of(run)
    if row is None or job is None:
        return False
    started = run["startTime"]
    if started is None or started == run["endTime"]:
        # Never started (queued, or canceled while queued). GraphQL then reports the end
        # as its start; the mirror keeps the creation time, as it showed while queued.
        started = run["creationTime"]
    return (
        row.job_id == job.id
        and row.status == scheduler_status(run["status"])
        and abs(epoch(row.started_at) - started) < 1e-3
        and (
            (row.completed_at is None and run["endTime"] is None)
            or (
                row.completed_at is not None
                and run["endTime"] is not None
                and abs(epoch(row.completed_at) - run["endTime"]) < 1e-3
            )
        )
    )


def wait_mirrored(url: str, ui: Ui, run_id: str, timeout: float = 60) -> sa.Row:
    """Wait until the finished run's row matches; record the lag from its end to the row."""
    run = ui.wait_finished(run_id)
    try:
        wait_for(lambda: mirrored(url, run), timeout, interval=0.05, message=f"mirror of {run_id}")
    except TimeoutError as exc:
        row = rows(url).get(run_id)
        raise AssertionError(f"{exc}\nGraphQL: {run}\nrow: {row and tuple(row)}") from None
    seen = time.time()
    LAGS.append(seen - run["endTime"])
    return rows(url)[run_id]


def mirror_diff(url: str, ui: Ui) -> list[str]:
    """Every catalog run GraphQL lists has a matching row, and no row lacks a run."""
    runs = [r for r in ui.all_runs() if job_type_of(r) is not None]
    problems = [f"{r['runId']} {r['status']}" for r in runs if not mirrored(url, r)]
    known = {r["runId"] for r in ui.all_runs()}
    problems += [f"extra row {run_id}" for run_id in rows(url) if run_id not in known]
    return problems


def jobs_diff(url: str, ui: Ui) -> list[str]:
    """jobs rows answer what the Schedules page shows: cron, on/off, next tick."""
    schedules = ui.schedules()
    table = job_rows(url)
    problems = []
    for job in JOBS:
        schedule, row = schedules[job.schedule_name], table.get(job.id)
        if row is None:
            problems.append(f"no jobs row {job.id}")
            continue
        running = schedule["scheduleState"]["status"] == "RUNNING"
        next_tick = schedule["scheduleState"]["nextTick"]
        if (row.job_type, row.schedule, row.is_enabled) != (
            job.job_type,
            schedule["cronSchedule"],
            running,
        ):
            problems.append(f"{job.job_type}: {tuple(row)} vs {schedule}")
        expected_next = next_tick["timestamp"] if running and next_tick else None
        actual_next = epoch(row.next_run_at)
        if (expected_next is None) != (actual_next is None) or (
            expected_next is not None and abs(expected_next - actual_next) > 1e-3
        ):
            problems.append(f"{job.job_type}: next {actual_next} vs {expected_next}")
    return problems


@pytest.fixture
def ui(dagster_stack) -> Ui:
    ui = Ui(dagster_stack)
    yield ui
    # Never leave a schedule running for the next test file.
    ui.stop_schedules([job.schedule_name for job in JOBS])


def test_mirror_answers_what_the_ui_shows(dagster_stack, ui, simulator) -> None:
    url = dagster_stack.warehouse_url
    wait_for(lambda: len(job_rows(url)) == len(JOBS), 120, message="the sensor's first tick")

    # Run the job ("Launch run") and the Materialize button, succeeding and failing.
    ok = ui.launch(LISTED_COMPANIES.job_name)
    row = wait_mirrored(url, ui, ok)
    assert (row.status, row.error_message) == ("completed", None)

    failing = ui.launch(
        "__ASSET_JOB",
        {"ops": {"listed_companies": {"config": {"date": FUTURE_DATE}}}},
        assets=["listed_companies"],
    )
    row = wait_mirrored(url, ui, failing)
    assert (row.job_id, row.status) == (LISTED_COMPANIES.id, "failed")
    # The stack runs on the Free plan: a future date lies outside its window.
    assert row.error_message.startswith(
        f"listed_companies: /equities/master date {FUTURE_DATE} was not requested"
    )

    # A backfill of the daily bars (runs as __ASSET_JOB, tagged dagster/backfill).
    backfill_run = ui.backfill_run(ui.backfill("daily_bars", ["2024-01-04"]))
    row = wait_mirrored(url, ui, backfill_run["runId"])
    assert (row.job_id, row.partition_key) == (DAILY_BARS.id, "2024-01-04")
    assert row.status in ("completed", "failed")

    # A run stuck on a slow J-Quants, seen running, then terminated; a queued one canceled.
    simulator.inject("delay", count=1, seconds=60)
    try:
        slow = ui.launch(LISTED_COMPANIES.job_name)
        ui.wait_status(slow, {"STARTED"})
        wait_for(
            lambda: (r := rows(url).get(slow)) is not None and r.status == "running",
            60,
            message="the running row",
        )
        queued = ui.launch(LISTED_COMPANIES.job_name)  # one run per job type: it waits
        ui.wait_status(queued, {"QUEUED"})
        ui.terminate(queued, "MARK_AS_CANCELED_IMMEDIATELY")
        ui.terminate(slow, "SAFE_TERMINATE")
        for run_id in (queued, slow):
            row = wait_mirrored(url, ui, run_id, timeout=120)
            assert row.status == "stopped"
            assert row.error_message, "Dagster's reason for stopping the run"
    finally:
        simulator.clear_faults()

    # Schedule on: the row is enabled with the UI's next tick, and its run is mirrored.
    # (The shared stack may already hold schedule runs from other tests, mirrored or not:
    # wait for one that did not exist before the switch.)
    def schedule_runs() -> list[dict]:
        return [
            r for r in ui.all_runs()
            if tags_of(r).get("dagster/schedule_name") == LISTED_COMPANIES.schedule_name
        ]  # fmt: skip

    earlier = {r["runId"] for r in schedule_runs()}
    ui.start_schedule(LISTED_COMPANIES.schedule_name)
    wait_for(
        lambda: job_rows(url)[LISTED_COMPANIES.id].is_enabled and not jobs_diff(url, ui),
        60,
        message="enabled schedule mirrored",
    )
    scheduled = wait_for(
        lambda: next((r for r in schedule_runs() if r["runId"] not in earlier), None),
        150,
        message="a run launched by the schedule",
    )
    ui.stop_schedule(LISTED_COMPANIES.schedule_name)
    row = wait_mirrored(url, ui, scheduled["runId"], timeout=120)
    assert row.job_id == LISTED_COMPANIES.id
    try:
        wait_for(
            lambda: not job_rows(url)[LISTED_COMPANIES.id].is_enabled and not jobs_diff(url, ui),
            60,
            message="disabled schedule mirrored",
        )
    except TimeoutError as exc:
        raise AssertionError(f"{exc}: {jobs_diff(url, ui)} {ui.schedules()}") from None
    assert job_rows(url)[LISTED_COMPANIES.id].next_run_at is None
    assert job_rows(url)[LISTED_COMPANIES.id].schedule == "* * * * *"

    # Done when: every table row answers what the UI answers (whole shared history).
    wait_for(lambda: not mirror_diff(url, ui), 60, message="the whole mirror to match")
    assert mirror_diff(url, ui) == []
    assert jobs_diff(url, ui) == []
    last_run = max(r.started_at for r in rows(url).values() if r.job_id == LISTED_COMPANIES.id)
    assert epoch(job_rows(url)[LISTED_COMPANIES.id].last_run_at) == pytest.approx(epoch(last_run))

    ticks = [t for t in ui.sensor_ticks(40) if t["endTimestamp"]]
    starts = sorted(t["timestamp"] for t in ticks)
    print(
        f"\nmirror lag (run end -> row visible) over {len(LAGS)} runs: "
        f"median {statistics.median(LAGS):.2f}s, max {max(LAGS):.2f}s, "
        f"samples {[round(x, 2) for x in LAGS]}; sensor ticks every "
        f"{statistics.median(b - a for a, b in zip(starts, starts[1:], strict=False)):.2f}s "
        f"(median), taking {statistics.median(t['endTimestamp'] - t['timestamp'] for t in ticks):.2f}s"
    )


def test_warehouse_outage_fails_ticks_and_loses_no_run(dagster_stack, ui, postgres_url) -> None:
    """The real daemon: ticks fail while the warehouse refuses connections, then catch up."""
    if dagster_stack.storage_url is None:
        pytest.skip("needs the PostgreSQL stack")
    url = dagster_stack.warehouse_url
    wait_for(lambda: len(job_rows(url)) == len(JOBS), 120, message="the sensor's first tick")
    admin = sa.create_engine(
        sa.engine.make_url(postgres_url).set(drivername="postgresql+psycopg"),
        isolation_level="AUTOCOMMIT",
    )
    name = sa.engine.make_url(url).database
    quoted = admin.dialect.identifier_preparer.quote(name)
    outage_start = time.time()
    try:
        with admin.connect() as connection:
            connection.execute(sa.text(f"ALTER DATABASE {quoted} WITH ALLOW_CONNECTIONS false"))
            connection.execute(
                sa.text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :n"
                ),
                {"n": name},
            )
        wait_for(
            lambda: any(
                t["status"] == "FAILURE" and t["timestamp"] > outage_start
                for t in ui.sensor_ticks()
            ),
            60,
            message="a failed mirror tick",
        )
        # A run that ends during the outage (it fails before it would need the warehouse).
        during = ui.launch(
            "__ASSET_JOB",
            {"ops": {"listed_companies": {"config": {"date": FUTURE_DATE}}}},
            assets=["listed_companies"],
        )
        try:
            finished = ui.wait_finished(during)
        except TimeoutError as exc:
            raise AssertionError(f"{exc}: {ui.run(during)}") from None
        wait_for(
            lambda: any(
                t["status"] == "FAILURE" and t["timestamp"] > finished["endTime"]
                for t in ui.sensor_ticks()
            ),
            60,
            message="a failed tick after the run ended",
        )
    finally:
        with admin.connect() as connection:
            connection.execute(sa.text(f"ALTER DATABASE {quoted} WITH ALLOW_CONNECTIONS true"))
        admin.dispose()
    back = time.time()

    row = wait_mirrored(url, ui, during, timeout=120)
    assert row.status == "failed"
    # The stack runs on the Free plan: a future date lies outside its window.
    assert row.error_message.startswith(
        f"listed_companies: /equities/master date {FUTURE_DATE} was not requested"
    )

    # The row becomes visible while the tick that wrote it is still finishing (it updates
    # `jobs` after the runs), and a tick that started during the outage may end after the
    # database came back: judge the first tick that started once the database was back,
    # after it has finished. It succeeds and saves a cursor that covers the run.
    def first_tick_after_outage():
        ticks = sorted(
            (t for t in ui.sensor_ticks(40) if t["timestamp"] >= back),
            key=lambda t: t["timestamp"],
        )
        return ticks[0] if ticks and ticks[0]["status"] != "STARTED" else None

    tick = wait_for(first_tick_after_outage, 60, message="a finished tick after the outage")
    assert tick["status"] == "SKIPPED", tick  # ticking normally again
    cursor = dt.datetime.fromisoformat(tick["cursor"]).timestamp()
    assert cursor >= ui.run(during)["updateTime"] - 1e-3
    wait_for(lambda: not mirror_diff(url, ui), 60, message="the whole mirror to match")

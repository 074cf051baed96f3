"""The scheduler mirror: documented schema, runs of every kind, idempotence, outages, restarts.

Runs are real Dagster runs on a real (temporary) Dagster instance; the mirror
writes to a real SQLite file or PostgreSQL database. The assets here stand in
for the real ones under the catalog's asset keys (attribution is by key), so
these tests need no J-Quants; ``test_mirror_e2e.py`` drives the real code
location through the webserver and daemon.

No ``from __future__ import annotations``: this module defines Dagster assets
with a config class.
"""

import datetime as dt
import os
import subprocess
import sys
from pathlib import Path

import dagster as dg
import pytest
import sqlalchemy as sa
from dagster import RunsFilter

from moo_markets.core.catalog import DAILY_BARS, JOB_TYPE_TAG, JOBS, LISTED_COMPANIES
from moo_markets.core.settings import SettingsError, load_settings
from moo_markets.core.time import in_tokyo
from moo_markets.definitions import build_definitions as build_location
from moo_markets.mirror.jobs import ScheduleSpec, catalog_schedules, is_enabled, next_tick
from moo_markets.mirror.sensor import SENSOR_NAME, build_definitions, build_sensor, parse_cursor
from moo_markets.mirror.sync import sync
from moo_markets.warehouse import get_engine
from moo_markets.warehouse.engine import dispose_engines
from moo_markets.warehouse.resource import WarehouseResource
from moo_markets.warehouse.schema import job_executions, jobs

ROOT = Path(__file__).resolve().parents[2]
UTC = dt.UTC
JST = dt.timezone(dt.timedelta(hours=9))


# --------------------------------------------------------------------------- stand-in code location


class FailConfig(dg.Config):
    fail_with: str | None = None
    """Raise RuntimeError with this text (a user exception)."""
    failure_description: str | None = None
    """Raise dg.Failure with this description (Dagster's user-facing failure)."""


@dg.asset(name="listed_companies")
def listed_companies_stand_in(config: FailConfig) -> None:
    if config.fail_with:
        raise RuntimeError(config.fail_with)
    if config.failure_description:
        raise dg.Failure(description=config.failure_description)


DAYS = dg.DailyPartitionsDefinition(start_date="2024-01-01", timezone="Asia/Tokyo")


@dg.asset(name="daily_bars", partitions_def=DAYS)
def daily_bars_stand_in() -> None:
    return None


@dg.asset(name="weather")
def foreign_asset() -> None:
    """Not in the catalog: its runs must not be mirrored."""


def stand_in_definitions() -> dg.Definitions:
    return dg.Definitions(
        assets=[listed_companies_stand_in, daily_bars_stand_in, foreign_asset],
        jobs=[
            dg.define_asset_job(
                LISTED_COMPANIES.job_name,
                selection=["listed_companies"],
                tags={JOB_TYPE_TAG: LISTED_COMPANIES.job_type},
            ),
            dg.define_asset_job(
                DAILY_BARS.job_name,
                selection=["daily_bars"],
                partitions_def=DAYS,
                tags={JOB_TYPE_TAG: DAILY_BARS.job_type},
            ),
        ],
    )


def fail_config(**values: str) -> dict:
    return {"ops": {"listed_companies": {"config": values}}}


class Runs:
    """Launches each kind of run the way Dagster itself does, on one instance."""

    def __init__(self, instance: dg.DagsterInstance) -> None:
        self.instance = instance
        self.defs = stand_in_definitions()

    def job(self, job_type=LISTED_COMPANIES, tags=None, run_config=None, partition_key=None):
        job = self.defs.resolve_job_def(job_type.job_name)
        return job.execute_in_process(
            instance=self.instance,
            tags=tags or {},
            run_config=run_config or {},
            partition_key=partition_key,
            raise_on_error=False,
        ).run_id

    def scheduled(self, run_config=None):
        tags = {"dagster/schedule_name": LISTED_COMPANIES.schedule_name, "dagster/tick": "t1"}
        return self.job(tags=tags, run_config=run_config)

    def ui_materialize(
        self, key="listed_companies", run_config=None, tags=None, partition_key=None
    ):
        """The UI's Materialize button: the implicit ``__ASSET_JOB`` with an asset selection."""
        job = self.defs.resolve_implicit_global_asset_job_def()
        return job.execute_in_process(
            instance=self.instance,
            asset_selection=[dg.AssetKey(key)],
            run_config=run_config or {},
            tags=tags or {},
            partition_key=partition_key,
            raise_on_error=False,
        ).run_id

    def backfill(self, partition_key="2024-01-04"):
        return self.ui_materialize(
            "daily_bars", tags={"dagster/backfill": "bkfl0001"}, partition_key=partition_key
        )

    def queued(self):
        """A run created but not started (what the queue holds before the daemon dequeues it)."""
        job = self.defs.resolve_job_def(LISTED_COMPANIES.job_name)
        return self.instance.create_run_for_job(job_def=job, run_config={}).run_id

    def cancel(self, run_id, message):
        self.instance.report_run_canceled(self.instance.get_run_by_id(run_id), message=message)

    def record(self, run_id):
        return self.instance.get_run_records(filters=RunsFilter(run_ids=[run_id]))[0]


@pytest.fixture
def instance():
    with dg.instance_for_test() as instance:
        yield instance


@pytest.fixture
def runs(instance) -> Runs:
    return Runs(instance)


def executions(url: str) -> dict[str, sa.Row]:
    with get_engine(url).connect() as connection:
        return {row.run_id: row for row in connection.execute(sa.select(job_executions))}


def job_rows(url: str) -> dict[int, sa.Row]:
    with get_engine(url).connect() as connection:
        return {row.id: row for row in connection.execute(sa.select(jobs))}


def snapshot(url: str) -> tuple[list[tuple], list[tuple]]:
    with get_engine(url).connect() as connection:
        return (
            [tuple(r) for r in connection.execute(sa.select(jobs).order_by(jobs.c.id))],
            [
                tuple(r)
                for r in connection.execute(sa.select(job_executions).order_by(job_executions.c.id))
            ],
        )


# --------------------------------------------------------------------------- schema


DOCUMENTED_COLUMNS = {
    # table -> column -> (data_type, character_maximum_length, is_nullable, default pattern)
    "jobs": {
        "id": ("integer", None, "NO", "nextval('jobs_id_seq'::regclass)"),
        "name": ("character varying", 255, "NO", None),
        "description": ("text", None, "YES", None),
        "job_type": ("character varying", 50, "NO", None),
        "schedule": ("character varying", 255, "NO", None),
        "is_enabled": ("boolean", None, "NO", "false"),
        "last_run_at": ("timestamp with time zone", None, "YES", None),
        "next_run_at": ("timestamp with time zone", None, "YES", None),
        "inserted_at": ("timestamp with time zone", None, "NO", None),
        "updated_at": ("timestamp with time zone", None, "NO", None),
    },
    "job_executions": {
        "id": ("integer", None, "NO", "nextval('job_executions_id_seq'::regclass)"),
        "job_id": ("integer", None, "NO", None),
        "started_at": ("timestamp with time zone", None, "NO", None),
        "completed_at": ("timestamp with time zone", None, "YES", None),
        "status": ("character varying", 50, "NO", None),
        "error_message": ("text", None, "YES", None),
        "inserted_at": ("timestamp with time zone", None, "NO", None),
        "updated_at": ("timestamp with time zone", None, "NO", None),
    },
}


@pytest.mark.postgres
def test_postgres_schema_is_exactly_the_documented_one(postgres_database: str) -> None:
    engine = get_engine(postgres_database)
    with engine.connect() as connection:
        for table, documented in DOCUMENTED_COLUMNS.items():
            actual = {
                row.column_name: (
                    row.data_type,
                    row.character_maximum_length,
                    row.is_nullable,
                    row.column_default,
                )
                for row in connection.execute(
                    sa.text(
                        "SELECT column_name, data_type, character_maximum_length, is_nullable, "
                        "column_default FROM information_schema.columns "
                        "WHERE table_schema = current_schema() AND table_name = :table"
                    ),
                    {"table": table},
                )
            }
            for column, expected in documented.items():
                assert actual.get(column) == expected, (table, column, actual.get(column))
        # The additions: the link to the Dagster run (unique), partition and raw status.
        extra = {
            row.column_name: (row.data_type, row.is_nullable)
            for row in connection.execute(
                sa.text(
                    "SELECT column_name, data_type, is_nullable FROM information_schema.columns "
                    "WHERE table_schema = current_schema() AND table_name = 'job_executions'"
                )
            )
            if row.column_name not in DOCUMENTED_COLUMNS["job_executions"]
        }
        assert extra == {
            "run_id": ("character varying", "NO"),
            "partition_key": ("character varying", "YES"),
            "dagster_status": ("character varying", "YES"),
        }

        constraints = {
            (row.table_name, row.constraint_type, row.columns)
            for row in connection.execute(
                sa.text(
                    "SELECT tc.table_name, tc.constraint_type, "
                    "string_agg(kcu.column_name, ',' ORDER BY kcu.ordinal_position) AS columns "
                    "FROM information_schema.table_constraints tc "
                    "JOIN information_schema.key_column_usage kcu "
                    "  ON kcu.constraint_name = tc.constraint_name "
                    " AND kcu.table_schema = tc.table_schema "
                    "WHERE tc.table_schema = current_schema() "
                    "  AND tc.table_name IN ('jobs', 'job_executions') "
                    "GROUP BY tc.table_name, tc.constraint_name, tc.constraint_type"
                )
            )
        }
        assert ("jobs", "PRIMARY KEY", "id") in constraints
        assert ("jobs", "UNIQUE", "job_type") in constraints
        assert ("job_executions", "PRIMARY KEY", "id") in constraints
        assert ("job_executions", "FOREIGN KEY", "job_id") in constraints
        assert ("job_executions", "UNIQUE", "run_id") in constraints

        references = connection.execute(
            sa.text(
                "SELECT ccu.table_name, ccu.column_name "
                "FROM information_schema.referential_constraints rc "
                "JOIN information_schema.key_column_usage kcu "
                "  ON kcu.constraint_name = rc.constraint_name "
                "JOIN information_schema.constraint_column_usage ccu "
                "  ON ccu.constraint_name = rc.unique_constraint_name "
                "WHERE kcu.table_name = 'job_executions' AND kcu.column_name = 'job_id'"
            )
        ).all()
        assert [tuple(r) for r in references] == [("jobs", "id")]

        index = connection.execute(
            sa.text(
                "SELECT indexdef FROM pg_indexes "
                "WHERE schemaname = current_schema() AND indexname = 'job_executions_job_id_idx'"
            )
        ).scalar_one()
        assert index.endswith("ON public.job_executions USING btree (job_id)")


def test_sqlite_schema_is_the_closest_equivalent(sqlite_database: str) -> None:
    inspector = sa.inspect(get_engine(sqlite_database))
    for table, documented in DOCUMENTED_COLUMNS.items():
        columns = {c["name"]: c for c in inspector.get_columns(table)}
        for name, (data_type, length, nullable, _default) in documented.items():
            column = columns[name]
            assert column["nullable"] == (nullable == "YES") or name == "id", (table, name)
            if data_type == "timestamp with time zone":
                assert isinstance(column["type"], sa.DateTime)
            elif data_type == "character varying":
                assert isinstance(column["type"], sa.String) and column["type"].length == length
            elif data_type == "integer":
                assert isinstance(column["type"], sa.Integer)
            elif data_type == "boolean":
                assert isinstance(column["type"], sa.Boolean)
            else:
                assert isinstance(column["type"], sa.Text)
        assert inspector.get_pk_constraint(table)["constrained_columns"] == ["id"]
    assert columns_default(inspector, "jobs", "is_enabled") in ("0", "false", "'0'")
    unique = {tuple(u["column_names"]) for u in inspector.get_unique_constraints("jobs")}
    assert ("job_type",) in unique
    unique = {tuple(u["column_names"]) for u in inspector.get_unique_constraints("job_executions")}
    assert ("run_id",) in unique
    [fk] = inspector.get_foreign_keys("job_executions")
    assert (fk["constrained_columns"], fk["referred_table"], fk["referred_columns"]) == (
        ["job_id"],
        "jobs",
        ["id"],
    )
    indexes = {i["name"]: i["column_names"] for i in inspector.get_indexes("job_executions")}
    assert indexes["job_executions_job_id_idx"] == ["job_id"]


def columns_default(inspector, table: str, column: str) -> str | None:
    return next(c["default"] for c in inspector.get_columns(table) if c["name"] == column)


# --------------------------------------------------------------------------- runs of every kind


def test_runs_of_every_kind_are_mirrored_with_status_and_error(warehouse_url, instance, runs):
    ok_job = runs.job()
    scheduled_failure = runs.scheduled(fail_config(fail_with="J-Quants answered HTTP 500 twice"))
    ui_failure = runs.ui_materialize(
        run_config=fail_config(failure_description="J-Quants returned no listed companies")
    )
    backfill = runs.backfill("2024-01-04")
    partitioned_job = runs.job(DAILY_BARS, partition_key="2024-01-05")
    ephemeral = dg.materialize([listed_companies_stand_in], instance=instance).run_id
    queued = runs.queued()
    canceled = runs.queued()
    runs.cancel(canceled, "Stopped from the UI by ops@example (duplicate run)")
    foreign = dg.materialize([foreign_asset], instance=instance).run_id

    summary = sync(instance, get_engine(warehouse_url))

    rows = executions(warehouse_url)
    assert foreign not in rows
    assert summary.runs_outside_catalog == 1
    expected = {
        ok_job: (1, "completed", None, None),
        scheduled_failure: (
            1,
            "failed",
            "listed_companies: RuntimeError: J-Quants answered HTTP 500 twice",
            None,
        ),
        ui_failure: (1, "failed", "listed_companies: J-Quants returned no listed companies", None),
        backfill: (2, "completed", None, "2024-01-04"),
        partitioned_job: (2, "completed", None, "2024-01-05"),
        ephemeral: (1, "completed", None, None),
        queued: (1, "running", None, None),
        canceled: (1, "stopped", "Stopped from the UI by ops@example (duplicate run)", None),
    }
    actual = {
        run_id: (row.job_id, row.status, row.error_message, row.partition_key)
        for run_id, row in rows.items()
    }
    assert actual == expected

    for run_id, row in rows.items():
        record = runs.record(run_id)
        assert row.dagster_status == record.dagster_run.status.value
        if record.start_time is not None:
            assert in_tokyo(row.started_at) == dt.datetime.fromtimestamp(record.start_time, UTC)
        else:  # queued / canceled before starting: the creation time
            assert in_tokyo(row.started_at) == record.create_timestamp
        if row.status == "running":
            assert row.completed_at is None
        else:
            assert in_tokyo(row.completed_at) == dt.datetime.fromtimestamp(record.end_time, UTC)
        assert in_tokyo(row.inserted_at) == in_tokyo(row.updated_at)

    job_table = job_rows(warehouse_url)
    assert sorted(job_table) == [job.id for job in JOBS]
    for job in JOBS:
        started = [in_tokyo(r.started_at) for r in rows.values() if r.job_id == job.id]
        latest = max(started, default=None)  # jobs without runs here (the datasets): no last run
        assert in_tokyo(job_table[job.id].last_run_at) == latest
        assert job_table[job.id].job_type == job.job_type
        assert job_table[job.id].name == job.name


def test_a_run_changing_state_updates_its_row_in_place(warehouse_url, instance, runs):
    run_id = runs.queued()
    engine = get_engine(warehouse_url)
    sync(instance, engine)
    before = executions(warehouse_url)[run_id]
    assert (before.status, before.completed_at) == ("running", None)

    runs.cancel(run_id, "Run canceled by run monitoring: queued for more than 600 s")
    summary = sync(instance, engine, now=dt.datetime.now(UTC) + dt.timedelta(seconds=1))

    after = executions(warehouse_url)[run_id]
    assert (summary.runs_inserted, summary.runs_updated) == (0, 1)
    assert after.id == before.id
    assert after.status == "stopped"
    assert after.error_message == "Run canceled by run monitoring: queued for more than 600 s"
    assert in_tokyo(after.inserted_at) == in_tokyo(before.inserted_at)
    assert in_tokyo(after.updated_at) > in_tokyo(before.updated_at)


def test_a_second_sync_with_nothing_new_changes_nothing(warehouse_url, instance, runs):
    runs.job()
    runs.scheduled(fail_config(fail_with="boom"))
    runs.backfill()
    runs.queued()
    engine = get_engine(warehouse_url)
    first = sync(instance, engine)
    assert first.changed > 0
    before = snapshot(warehouse_url)

    later = dt.datetime.now(UTC) + dt.timedelta(minutes=5)
    again = sync(instance, engine, now=later)  # a full re-read, later
    assert again.changed == 0
    assert again.runs_unchanged == 4
    incremental = sync(instance, engine, now=later, cursor=first.last_update)
    assert incremental.changed == 0
    repair = sync(instance, engine, now=later, refresh=True)  # what `mirror sync` does
    assert repair.changed == 0
    assert snapshot(warehouse_url) == before


# --------------------------------------------------------------------------- the sensor


def sensor_context(instance, url, cursor=None):
    resource = WarehouseResource(database_url=url)
    sensor = build_sensor(1)
    definitions = dg.Definitions(sensors=[sensor], resources={"warehouse": resource})
    context = dg.build_sensor_context(
        instance=instance, cursor=cursor, definitions=definitions, resources={"warehouse": resource}
    )
    return sensor, context


def tick(instance, url, cursor=None):
    sensor, context = sensor_context(instance, url, cursor)
    return sensor.evaluate_tick(context)


def test_first_tick_backfills_every_existing_run_then_follows(warehouse_url, instance, runs):
    existing = [runs.job() for _ in range(3)] + [runs.backfill(f"2024-01-0{d}") for d in (4, 5)]
    first = tick(instance, warehouse_url)
    assert first.run_requests == []
    assert set(executions(warehouse_url)) == set(existing)
    cursor = parse_cursor(first.cursor)
    assert cursor == max(runs.record(r).update_timestamp for r in existing)

    new = runs.ui_materialize()
    second = tick(instance, warehouse_url, first.cursor)
    assert set(executions(warehouse_url)) == {*existing, new}
    assert parse_cursor(second.cursor) == runs.record(new).update_timestamp
    assert "1 inserted" in second.skip_message


def test_paging_and_the_per_tick_budget_miss_no_run(warehouse_url, instance, runs):
    all_runs = [runs.job() for _ in range(7)]
    engine = get_engine(warehouse_url)
    summary = sync(instance, engine, page_size=2)
    assert summary.runs_inserted == 7
    assert set(executions(warehouse_url)) == set(all_runs)

    with engine.begin() as connection:  # start over on an empty mirror, 3 runs per pass
        connection.execute(sa.delete(job_executions))
    cursor, passes = None, 0
    while True:
        passes += 1
        step = sync(
            instance, engine, cursor=cursor, page_size=2, max_runs=3, lookback=dt.timedelta(0)
        )
        cursor = step.last_update or cursor
        if not step.more:
            break
    assert passes > 1
    assert set(executions(warehouse_url)) == set(all_runs)


def test_a_run_stamped_behind_the_cursor_is_still_mirrored(warehouse_url, instance, runs):
    """A writer with a slow clock stamps an update behind the cursor: the lookback catches it."""
    run_id = runs.job()
    ahead = (runs.record(run_id).update_timestamp + dt.timedelta(seconds=20)).isoformat()
    result = tick(instance, warehouse_url, ahead)
    assert run_id in executions(warehouse_url)
    assert result.cursor == ahead  # the cursor never moves backwards


@pytest.mark.postgres
def test_database_down_for_some_ticks_then_back_loses_no_run(
    postgres_url, postgres_database, instance, runs
):
    before_outage = runs.job()
    first = tick(instance, postgres_database)
    assert set(executions(postgres_database)) == {before_outage}

    admin = sa.create_engine(
        sa.engine.make_url(postgres_url).set(drivername="postgresql+psycopg"),
        isolation_level="AUTOCOMMIT",
    )
    name = sa.engine.make_url(postgres_database).database
    cut_off = sa.text(f'ALTER DATABASE "{name}" WITH ALLOW_CONNECTIONS false')
    kick = sa.text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :name")
    restore = sa.text(f'ALTER DATABASE "{name}" WITH ALLOW_CONNECTIONS true')
    during = []
    try:
        with admin.connect() as connection:
            connection.execute(cut_off)
            connection.execute(kick, {"name": name})
        cursor = first.cursor
        for _ in range(3):
            during.append(runs.job())
            during.append(runs.scheduled(fail_config(fail_with="warehouse unreachable")))
            sensor, context = sensor_context(instance, postgres_database, cursor)
            with pytest.raises(Exception) as failure:
                sensor.evaluate_tick(context)
            assert (
                "ALLOW_CONNECTIONS" in str(failure.value)
                or "not currently accepting" in str(failure.value)
                or isinstance(_root(failure.value), sa.exc.OperationalError)
            ), failure.value
            assert context.cursor == cursor  # a failed tick saves nothing
    finally:
        with admin.connect() as connection:
            connection.execute(restore)
        admin.dispose()

    after = tick(instance, postgres_database, first.cursor)
    rows = executions(postgres_database)
    assert set(rows) == {before_outage, *during}
    assert {rows[r].status for r in during} == {"completed", "failed"}
    assert parse_cursor(after.cursor) == max(runs.record(r).update_timestamp for r in rows)


def _root(error: BaseException) -> BaseException:
    while error.__cause__ is not None:
        error = error.__cause__
    return error


def test_sensor_interval_status_and_target(monkeypatch) -> None:
    monkeypatch.delenv("MOO_MARKETS_MIRROR_INTERVAL_SECONDS", raising=False)
    [sensor] = build_definitions(load_settings()).sensors
    assert sensor.name == SENSOR_NAME
    assert sensor.minimum_interval_seconds == 15
    assert sensor.default_status == dg.DefaultSensorStatus.RUNNING
    assert not sensor.targets  # it launches nothing
    monkeypatch.setenv("MOO_MARKETS_MIRROR_INTERVAL_SECONDS", "2")
    assert build_definitions(load_settings()).sensors[0].minimum_interval_seconds == 2
    monkeypatch.setenv("MOO_MARKETS_MIRROR_INTERVAL_SECONDS", "soon")
    with pytest.raises(SettingsError, match="MOO_MARKETS_MIRROR_INTERVAL_SECONDS"):
        load_settings()


def test_the_code_location_carries_the_sensor(monkeypatch) -> None:
    monkeypatch.setenv("MOO_MARKETS_MIRROR_INTERVAL_SECONDS", "7")
    sensor = build_location(load_settings()).resolve_sensor_def(SENSOR_NAME)
    assert sensor.minimum_interval_seconds == 7


# --------------------------------------------------------------------------- schedules


def test_next_tick_is_the_schedule_tick_in_tokyo() -> None:
    friday_morning = dt.datetime(2024, 1, 5, 9, 0, tzinfo=JST)  # after Friday's 08:15 tick
    monday = next_tick("15 8 * * 1-5", "Asia/Tokyo", friday_morning)
    assert monday == dt.datetime(2024, 1, 8, 8, 15, tzinfo=JST)
    assert monday.utcoffset() == dt.timedelta(hours=9)
    before = dt.datetime(2024, 1, 5, 8, 14, 59, tzinfo=JST)
    assert next_tick("15 8 * * 1-5", "Asia/Tokyo", before) == dt.datetime(
        2024, 1, 5, 8, 15, tzinfo=JST
    )
    assert next_tick("* * * * *", "Asia/Tokyo", dt.datetime(2024, 1, 5, 0, 0, 30, tzinfo=UTC)) == (
        dt.datetime(2024, 1, 5, 0, 1, tzinfo=UTC)
    )


def test_enabled_follows_dagster_rules() -> None:
    stopped_by_default = ScheduleSpec("s", "* * * * *", "Asia/Tokyo", default_running=False)
    running_by_default = ScheduleSpec("s", "* * * * *", "Asia/Tokyo", default_running=True)
    assert not is_enabled(stopped_by_default, {})
    assert is_enabled(stopped_by_default, {"s": "RUNNING"})
    assert not is_enabled(running_by_default, {"s": "STOPPED"})
    assert is_enabled(running_by_default, {"s": "DECLARED_IN_CODE"})
    assert not is_enabled(stopped_by_default, {"s": "DECLARED_IN_CODE"})


def test_jobs_rows_follow_the_configured_cron(warehouse_url, instance, monkeypatch) -> None:
    monkeypatch.setenv(LISTED_COMPANIES.cron_env_var, "30 9 * * 1-5")
    monkeypatch.delenv(DAILY_BARS.cron_env_var, raising=False)
    assert catalog_schedules()[LISTED_COMPANIES.job_type].cron == "30 9 * * 1-5"
    sync(instance, get_engine(warehouse_url))
    rows = job_rows(warehouse_url)
    assert rows[1].schedule == "30 9 * * 1-5"
    assert rows[2].schedule == DAILY_BARS.default_cron
    # Default STOPPED and never toggled: disabled, no next run.
    assert [(r.is_enabled, r.next_run_at, r.last_run_at) for r in rows.values()] == [
        (False, None, None)
    ] * len(JOBS)


# --------------------------------------------------------------------------- restarts, repair


def run_cli(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "moo_markets.cli", "mirror", "sync", *args],
        cwd=ROOT,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_ids_are_stable_across_restarts_and_the_command_repairs(warehouse_url, tmp_path):
    home = tmp_path / "dagster_home"
    home.mkdir()
    with dg.instance_for_test(temp_dir=str(home)) as instance:
        runs = Runs(instance)
        first_runs = [runs.job(), runs.backfill()]
        sync(instance, get_engine(warehouse_url))
        ids_before = {run_id: row.id for run_id, row in executions(warehouse_url).items()}
        dispose_engines()  # as a restarted process would

        later_run = runs.ui_materialize()
        env = {"DAGSTER_HOME": str(home), "MOO_MARKETS_DATABASE_URL": warehouse_url}
        result = run_cli(env=env)
        assert result.returncode == 0, result.stderr
        assert "1 inserted" in result.stdout
        assert "1 listed_companies: disabled" in result.stdout

        rows = executions(warehouse_url)
        assert set(rows) == {*first_runs, later_run}
        assert {run_id: rows[run_id].id for run_id in first_runs} == ids_before
        assert rows[later_run].id > max(ids_before.values())
        assert sorted(job_rows(warehouse_url)) == [job.id for job in JOBS]

        # Repair: a row edited by hand and a row of a run Dagster no longer has.
        engine = get_engine(warehouse_url)
        with engine.begin() as connection:
            connection.execute(
                sa.update(job_executions)
                .where(job_executions.c.run_id == later_run)
                .values(status="completed", error_message="edited")
            )
            connection.execute(
                sa.insert(job_executions).values(
                    job_id=1,
                    run_id="deleted-run",
                    started_at=dt.datetime.now(UTC),
                    status="completed",
                    inserted_at=dt.datetime.now(UTC),
                    updated_at=dt.datetime.now(UTC),
                )
            )
        result = run_cli("--prune", env=env)
        assert result.returncode == 0, result.stderr
        assert "1 updated" in result.stdout and "1 pruned" in result.stdout
        rows = executions(warehouse_url)
        assert set(rows) == {*first_runs, later_run}
        assert (rows[later_run].status, rows[later_run].error_message) == ("completed", None)
        assert {run_id: rows[run_id].id for run_id in first_runs} == ids_before

    if engine.dialect.name == "postgresql":  # the SERIAL sequence stays past the catalog ids
        with engine.begin() as connection:
            new_id = connection.execute(
                sa.insert(jobs)
                .values(
                    name="manual",
                    job_type="manual_test",
                    schedule="0 0 * * *",
                    inserted_at=dt.datetime.now(UTC),
                    updated_at=dt.datetime.now(UTC),
                )
                .returning(jobs.c.id)
            ).scalar_one()
        assert new_id > max(job.id for job in JOBS)


def test_command_without_dagster_home_says_what_to_do(tmp_path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "DAGSTER_HOME"}
    result = subprocess.run(
        [sys.executable, "-m", "moo_markets.cli", "mirror", "sync"],
        cwd=tmp_path,
        env={**env, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 2
    assert "DAGSTER_HOME" in result.stdout


def test_prune_needs_a_full_sync(instance, sqlite_database) -> None:
    with pytest.raises(ValueError, match="full sync"):
        sync(instance, get_engine(sqlite_database), cursor=dt.datetime.now(UTC), prune=True)

"""The code location as Dagster sees it: asset keys, jobs, schedules and crons."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from pathlib import Path
from zoneinfo import ZoneInfo

import dagster as dg
import pytest
import sqlalchemy as sa

from moo_markets.core.catalog import JOBS
from moo_markets.core.settings import SettingsError, load_settings
from moo_markets.definitions import build_definitions

ROOT = Path(__file__).resolve().parents[1]


def load() -> dg.Definitions:
    return build_definitions(load_settings())


# Every asset key, job and schedule of the location. A change here is a change users see.
EXPECTED_ASSETS = [
    "breakdown",
    "daily_bars",
    "dividends",
    "earnings_calendar",
    "earnings_dates",
    "fins_details",
    "fins_summary",
    "futures",
    "indices",
    "investor_types",
    "listed_companies",
    "margin_alerts",
    "margin_interest",
    "morning_bars",
    "options",
    "options_225",
    "recheck",
    "short_ratio",
    "short_sale_reports",
    "topix",
    "trading_calendar",
    "valuation",
]
EXPECTED_SCHEDULES = {
    "listed_companies_schedule": ("listed_companies_job", "15 8 * * 1-5", "Asia/Tokyo", "STOPPED"),
    "daily_bars_schedule": ("daily_bars_job", "0 18 * * 1-5", "Asia/Tokyo", "STOPPED"),
    # The declared datasets (moo_markets/datasets), after their publication time.
    "valuation_schedule": ("valuation_job", "0 17 * * 1-5", "Asia/Tokyo", "STOPPED"),
    "fins_summary_schedule": ("fins_summary_job", "30 1 * * 2-6", "Asia/Tokyo", "STOPPED"),
    "topix_schedule": ("topix_job", "0 17 * * 1-5", "Asia/Tokyo", "STOPPED"),
    "earnings_dates_schedule": ("earnings_dates_job", "0 11 * * 1-5", "Asia/Tokyo", "STOPPED"),
    "earnings_calendar_schedule": (
        "earnings_calendar_job",
        "30 19 * * 1-5",
        "Asia/Tokyo",
        "STOPPED",
    ),
    "investor_types_schedule": ("investor_types_job", "30 18 * * 4", "Asia/Tokyo", "STOPPED"),
    "indices_schedule": ("indices_job", "0 17 * * 1-5", "Asia/Tokyo", "STOPPED"),
    "margin_interest_schedule": ("margin_interest_job", "30 16 * * 1-5", "Asia/Tokyo", "STOPPED"),
    "margin_alerts_schedule": ("margin_alerts_job", "0 17 * * 1-5", "Asia/Tokyo", "STOPPED"),
    "short_ratio_schedule": ("short_ratio_job", "0 17 * * 1-5", "Asia/Tokyo", "STOPPED"),
    "short_sale_reports_schedule": (
        "short_sale_reports_job",
        "0 18 * * 1-5",
        "Asia/Tokyo",
        "STOPPED",
    ),
    "options_225_schedule": ("options_225_job", "30 3 * * 2-6", "Asia/Tokyo", "STOPPED"),
    "fins_details_schedule": ("fins_details_job", "45 1 * * 2-6", "Asia/Tokyo", "STOPPED"),
    "dividends_schedule": ("dividends_job", "30 19 * * 1-5", "Asia/Tokyo", "STOPPED"),
    "breakdown_schedule": ("breakdown_job", "30 18 * * 1-5", "Asia/Tokyo", "STOPPED"),
    "futures_schedule": ("futures_job", "45 3 * * 2-6", "Asia/Tokyo", "STOPPED"),
    "options_schedule": ("options_job", "0 4 * * 2-6", "Asia/Tokyo", "STOPPED"),
    "morning_bars_schedule": ("morning_bars_job", "30 12 * * 1-5", "Asia/Tokyo", "STOPPED"),
    "recheck_schedule": ("recheck_job", "30 20 * * 1-5", "Asia/Tokyo", "STOPPED"),
    # Housekeeping runs by itself.
    "maintenance_schedule": ("maintenance_job", "30 3 * * *", "Asia/Tokyo", "RUNNING"),
    "freshness_checks_schedule": ("freshness_checks_job", "5 * * * 1-5", "Asia/Tokyo", "RUNNING"),
}
EXPECTED_SENSORS = ["scheduler_mirror_sensor", "stuck_run_sensor"]


def test_snapshot_of_assets_jobs_and_crons(monkeypatch) -> None:
    for job in JOBS:
        monkeypatch.delenv(job.cron_env_var, raising=False)
    defs = load()
    asset_keys = sorted(key.to_user_string() for key in defs.resolve_all_asset_keys())
    schedules = {
        s.name: (s.job_name, s.cron_schedule, s.execution_timezone, s.default_status.value)
        for s in defs.schedules
    }
    assert asset_keys == EXPECTED_ASSETS
    assert schedules == EXPECTED_SCHEDULES
    assert sorted(s.name for s in defs.sensors) == EXPECTED_SENSORS
    for job in JOBS:  # the catalog, the mirror and the API agree with Dagster
        assert defs.resolve_job_def(job.job_name).name == job.job_name
        assert EXPECTED_SCHEDULES[job.schedule_name][1] == job.default_cron
        assert EXPECTED_SCHEDULES[job.schedule_name][3] == "STOPPED"


def test_cron_is_overridable_and_validated(monkeypatch) -> None:
    monkeypatch.setenv("MOO_MARKETS_LISTED_COMPANIES_CRON", "30 9 * * 1-5")
    schedule = next(s for s in load().schedules if s.name == "listed_companies_schedule")
    assert schedule.cron_schedule == "30 9 * * 1-5"
    monkeypatch.setenv("MOO_MARKETS_LISTED_COMPANIES_CRON", "0 0 30 2 *")
    with pytest.raises(SettingsError, match="MOO_MARKETS_LISTED_COMPANIES_CRON.*never fires"):
        load()


def test_listed_companies_schedule_requests_one_run_per_tick(monkeypatch) -> None:
    monkeypatch.delenv("MOO_MARKETS_LISTED_COMPANIES_CRON", raising=False)
    schedule = next(s for s in load().schedules if s.name == "listed_companies_schedule")
    # Friday 2026-03-06 08:15 in Tokyo (23:15 UTC on Thursday).
    tick = dt.datetime(2026, 3, 6, 8, 15, tzinfo=ZoneInfo("Asia/Tokyo"))
    result = schedule.evaluate_tick(dg.build_schedule_context(scheduled_execution_time=tick))
    assert len(result.run_requests) == 1


def validate(tmp_path, **extra: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "DAGSTER_HOME": str(tmp_path),
        "JQUANTS_API_KEY": "unused",
        "MOO_MARKETS_DATABASE_URL": f"sqlite:///{tmp_path / 'warehouse.db'}",
        **extra,
    }
    return subprocess.run(
        [str(Path(sys.executable).parent / "dagster"), "definitions", "validate"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )


def test_dagster_definitions_validate(tmp_path) -> None:
    """Loading the location is also the start-up check: the warehouse is at head after it."""
    result = validate(tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "All code locations passed validation" in result.stdout + result.stderr
    assert "warehouse schema upgraded from empty to" in result.stdout + result.stderr
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'warehouse.db'}")
    with engine.connect() as connection:
        assert connection.exec_driver_sql(
            "SELECT version_num FROM moo_markets_alembic_version"
        ).scalar_one()
    engine.dispose()


def test_a_bad_setting_stops_the_load_naming_the_variable(tmp_path) -> None:
    result = validate(tmp_path, MOO_MARKETS_MIRROR_INTERVAL_SECONDS="soon")
    output = result.stdout + result.stderr
    assert result.returncode != 0
    assert (
        "invalid setting MOO_MARKETS_MIRROR_INTERVAL_SECONDS: Input should be a valid integer"
        in output
    )


def test_production_instance_config_loads_against_postgres(tmp_path, postgres_database) -> None:
    """deploy/dagster.yaml builds a working instance on the real PostgreSQL."""
    (tmp_path / "dagster.yaml").write_text((ROOT / "deploy" / "dagster.yaml").read_text())
    url = sa.engine.make_url(postgres_database).set(drivername="postgresql+psycopg2")
    env = {
        **os.environ,
        "DAGSTER_HOME": str(tmp_path),
        "DAGSTER_POSTGRES_URL": url.render_as_string(hide_password=False),
    }
    script = (
        "import dagster as dg\n"
        "i = dg.DagsterInstance.get()\n"
        "print(type(i.run_storage).__name__, type(i.run_coordinator).__name__,"
        " i.run_monitoring_enabled, i.get_tick_retention_settings.__name__)\n"
        "print(len(i.get_runs()))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    first = result.stdout.splitlines()[0].split()
    assert first[:3] == ["PostgresRunStorage", "QueuedRunCoordinator", "True"]


@pytest.mark.parametrize(
    "job",
    JOBS,
    ids=[j.job_type for j in JOBS],
)
def test_a_job_takes_ranges_exactly_when_its_asset_runs_a_range_as_one_run(job) -> None:
    """``JobType.single_run_backfill`` (from ``DatasetSpec.single_run_backfill``) is what the
    REST API's range run-now and the schedules' catch-up trust: it must match the asset."""
    asset = load().resolve_assets_def(job.job_type)
    policy = asset.backfill_policy
    single_run = policy is not None and policy.max_partitions_per_run is None  # single_run()
    assert single_run == job.single_run_backfill

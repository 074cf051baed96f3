"""Dagster definitions of moo_markets' housekeeping.

- ``maintenance_job`` (daily, schedule ON by default): history retention.
- ``stuck_run_sensor`` (every minute, ON): ends runs whose worker is gone or idle.
- ``freshness_checks_job`` (hourly on weekdays, ON): calendar-aware freshness checks.

Settings come from ``core.settings`` when the code location loads, and the
retention ones can also be changed per run in the launchpad.
"""

import datetime as dt

import dagster as dg

from moo_markets.core.catalog import TIMEZONE
from moo_markets.core.settings import Settings, load_settings
from moo_markets.maintenance import freshness
from moo_markets.maintenance.retention import apply_retention
from moo_markets.maintenance.stuck import end_stuck_run, find_stuck_runs
from moo_markets.warehouse.resource import WarehouseResource


def _retention_op(retention_days: int, keep_runs: int) -> dg.OpDefinition:
    @dg.op(
        name="apply_retention",
        config_schema={
            "retention_days": dg.Field(int, default_value=retention_days),
            "keep_runs": dg.Field(int, default_value=keep_runs),
        },
        description="Delete finished runs older than retention_days (with their event logs and "
        "mirror rows), keeping the newest keep_runs runs of every job type.",
    )
    def apply_retention_op(context: dg.OpExecutionContext, warehouse: WarehouseResource) -> None:
        days, keep = context.op_config["retention_days"], context.op_config["keep_runs"]
        if days < 1 or keep < 0:
            raise dg.Failure(f"retention_days must be >= 1 and keep_runs >= 0 (got {days}, {keep})")
        result = apply_retention(context.instance, warehouse.engine, days, keep)
        context.log.info(
            f"retention {days} d / keep {keep}: examined {result.examined} runs, deleted "
            f"{len(result.deleted_run_ids)} runs and {result.mirror_rows_deleted} mirror rows"
        )
        context.add_output_metadata(
            {
                "runs_examined": result.examined,
                "runs_deleted": len(result.deleted_run_ids),
                "mirror_rows_deleted": result.mirror_rows_deleted,
                "kept_by_job": dg.MetadataValue.json(result.kept_by_group),
            }
        )

    return apply_retention_op


@dg.op(description="Evaluates listed_companies_fresh and daily_bars_fresh and logs both.")
def evaluate_freshness(context: dg.OpExecutionContext, warehouse: WarehouseResource) -> None:
    # daily_bars_fresh is a check spec of the daily_bars asset (see freshness.py): logged
    # here as an evaluation event, it is evaluated without materializing anything.
    with warehouse.begin() as connection:
        # The plan as the J-Quants runs read it (JQUANTS_PLAN, at run time).
        for evaluation in freshness.evaluations(connection, load_settings().jquants_plan):
            context.log_event(evaluation)


def _stuck_run_sensor(stuck_after: dt.timedelta, interval: int) -> dg.SensorDefinition:
    @dg.sensor(
        name="stuck_run_sensor",
        minimum_interval_seconds=interval,
        default_status=dg.DefaultSensorStatus.RUNNING,
        description=f"Ends runs whose worker is gone or that logged nothing for {stuck_after}.",
    )
    def stuck_run_sensor(
        context: dg.SensorEvaluationContext, warehouse: WarehouseResource
    ) -> dg.SkipReason:
        stuck = find_stuck_runs(context.instance, stuck_after)
        for item in stuck:
            end_stuck_run(context.instance, item, warehouse.engine)
            context.log.warning(f"ended stuck run {item.run.run_id}: {item.reason}")
        return dg.SkipReason(f"ended {len(stuck)} stuck run(s)" if stuck else "no stuck runs")

    return stuck_run_sensor


def build_definitions(settings: Settings) -> dg.Definitions:
    retention_days = settings.retention_days
    keep_runs = settings.retention_keep_runs
    stuck_after = dt.timedelta(seconds=settings.stuck_after_seconds)

    @dg.job(name="maintenance_job", description="Daily housekeeping: history retention.")
    def maintenance_job() -> None:
        _retention_op(retention_days, keep_runs)()

    @dg.job(
        name="freshness_checks_job",
        description="Calendar-aware freshness checks of listed_companies and daily_bars.",
    )
    def freshness_job() -> None:
        evaluate_freshness()

    return dg.Definitions(
        jobs=[maintenance_job, freshness_job],
        asset_checks=[freshness.listed_companies_fresh],
        schedules=[
            dg.ScheduleDefinition(
                name="maintenance_schedule",
                job=maintenance_job,
                cron_schedule="30 3 * * *",
                execution_timezone=TIMEZONE,
                default_status=dg.DefaultScheduleStatus.RUNNING,
            ),
            dg.ScheduleDefinition(
                name="freshness_checks_schedule",
                job=freshness_job,
                cron_schedule="5 * * * 1-5",
                execution_timezone=TIMEZONE,
                default_status=dg.DefaultScheduleStatus.RUNNING,
            ),
        ],
        sensors=[_stuck_run_sensor(stuck_after, settings.stuck_sensor_interval_seconds)],
    )

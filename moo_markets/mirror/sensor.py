"""The sensor that keeps the scheduler mirror in step with Dagster.

A plain cursor sensor rather than ``run_status_sensor``: that one handles one
status, starts from "now" and advances its cursor even when its function
raises, so an outage of the warehouse would lose runs. Here the cursor is the
newest run ``update_timestamp`` mirrored; it is only saved when the tick
succeeds, so a failed tick (database down) is simply redone by the next one.
The sensor requests no runs: each tick ends in a skip whose message counts
what was written.

No ``from __future__ import annotations``: Dagster reads the sensor's parameter
annotations to inject the ``warehouse`` resource.
"""

import datetime as dt
import logging
from collections.abc import Mapping

import dagster as dg

from moo_markets.core.cron import CronInForce
from moo_markets.core.settings import Settings
from moo_markets.mirror.jobs import ScheduleSpec, catalog_schedules
from moo_markets.mirror.sync import MAX_RUNS_PER_TICK, sync
from moo_markets.warehouse.resource import WarehouseResource

log = logging.getLogger(__name__)

SENSOR_NAME = "scheduler_mirror_sensor"


def parse_cursor(text: str | None) -> dt.datetime | None:
    """The cursor's timestamp; an unreadable cursor means "start over" (a full, idempotent sync)."""
    if not text:
        return None
    try:
        value = dt.datetime.fromisoformat(text)
        return value if value.tzinfo else value.replace(tzinfo=dt.UTC)
    except ValueError:
        log.warning("ignoring unreadable mirror cursor %r: doing a full sync", text)
        return None


def format_cursor(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).isoformat()


def build_sensor(
    minimum_interval_seconds: int, schedules: Mapping[str, ScheduleSpec] | None = None
) -> dg.SensorDefinition:
    """The mirror sensor, ticking every ``minimum_interval_seconds``; ``schedules`` are the
    crons the code location was built with (default: the settings when a tick runs)."""
    interval = minimum_interval_seconds

    @dg.sensor(
        name=SENSOR_NAME,
        minimum_interval_seconds=interval,
        default_status=dg.DefaultSensorStatus.RUNNING,
        description=(
            "Mirrors Dagster's schedules and runs of the catalog jobs into the warehouse tables "
            "`jobs` and `job_executions` (the documented scheduler tables SQL reports read). "
            "Requests no runs. A failed tick (warehouse unreachable) keeps its cursor, so the "
            "next tick catches up."
        ),
    )
    def scheduler_mirror_sensor(
        context: dg.SensorEvaluationContext, warehouse: WarehouseResource
    ) -> dg.SensorResult:
        cursor = parse_cursor(context.cursor)
        summary = sync(
            context.instance,
            warehouse.engine,
            cursor=cursor,
            max_runs=MAX_RUNS_PER_TICK,
            schedules=schedules,
        )
        newest = max((c for c in (cursor, summary.last_update) if c is not None), default=None)
        if summary.changed:
            context.log.info(f"scheduler mirror: {summary.describe()}")
        return dg.SensorResult(
            skip_reason=summary.describe(),
            cursor=format_cursor(newest) if newest is not None else None,
        )

    return scheduler_mirror_sensor


def build_definitions(
    settings: Settings, crons: Mapping[str, CronInForce] | None = None
) -> dg.Definitions:
    """The sensor; ``crons`` are the crons in force the schedules were built with, so
    ``jobs.schedule`` shows them."""
    return dg.Definitions(
        sensors=[
            build_sensor(settings.mirror_interval_seconds, catalog_schedules(settings, crons=crons))
        ]
    )

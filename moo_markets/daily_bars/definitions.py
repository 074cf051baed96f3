"""Dagster definitions of the daily-bars job type: assets, job and schedule.

No ``from __future__ import annotations``: the schedule function below is
inspected by Dagster.
"""

import datetime as dt
import logging

import dagster as dg

from moo_markets.core.catalog import DAILY_BARS
from moo_markets.core.cron import CronInForce
from moo_markets.core.settings import Settings
from moo_markets.core.time import JST, now_jst
from moo_markets.daily_bars import store
from moo_markets.daily_bars.assets import daily_bars, trading_calendar
from moo_markets.daily_bars.partitions import (
    DAILY_PARTITIONS,
    is_partition_day,
    partition_date,
    partition_key,
)
from moo_markets.jobs import build_asset_job
from moo_markets.schedules import build_schedule, catch_up_request

log = logging.getLogger(__name__)


def tick_day(context: dg.ScheduleEvaluationContext) -> dt.date:
    """The Asia/Tokyo day a tick belongs to (its scheduled time, else now)."""
    scheduled = context.scheduled_execution_time
    return scheduled.astimezone(JST).date() if scheduled else now_jst().date()


def _stored_hol_div(context: dg.ScheduleEvaluationContext, day: dt.date) -> str | None:
    """The stored calendar's HolDiv for ``day``, or None when unknown or unreadable.

    Unknown means "ask anyway": the run refreshes the calendar and records a
    "no session" result itself, so a missing calendar never loses a day.
    """
    try:
        warehouse = context.resources.warehouse
        with warehouse.begin() as connection:
            return store.hol_divs(connection, day, day).get(day)
    except Exception as exc:  # the run reports warehouse errors properly; the tick must not
        log.warning("daily_bars_schedule: cannot read the stored calendar: %s", exc)
        return None


def daily_bars_tick(context: dg.ScheduleEvaluationContext, plan: str = "premium"):
    """Request the tick day's partition (on the Free plan the newest day it may see, as
    :meth:`JobType.default_partition` picks for every dataset) with the days missed before
    it (:func:`catch_up_request`); skip it when the stored calendar says it is closed."""
    day = tick_day(context)
    if not is_partition_day(day):  # a custom cron that also fires on weekends
        return dg.SkipReason(
            f"{partition_key(day)} is a weekend: daily_bars has no partition for it"
        )
    key = DAILY_BARS.default_partition(day, plan) or partition_key(day)
    hol_div = _stored_hol_div(context, partition_date(key))
    if hol_div is not None and not store.is_business_day(hol_div):
        return dg.SkipReason(
            f"{key} is not a TSE business day (HolDiv {hol_div}): no bars to fetch"
        )
    return catch_up_request(context, DAILY_BARS, key, plan, day, DAILY_PARTITIONS)


def _partitioned_schedule(plan: str):
    def tick(context: dg.ScheduleEvaluationContext):
        return daily_bars_tick(context, plan)

    def factory(**kwargs: object) -> dg.ScheduleDefinition:
        return dg.ScheduleDefinition(
            execution_fn=tick, required_resource_keys={"warehouse"}, **kwargs
        )

    return factory


def build_definitions(settings: Settings, cron: CronInForce | None = None) -> dg.Definitions:
    # daily_bars refreshes the calendar itself when a day lies beyond it (recorded as a
    # trading_calendar materialization); refreshing it on every run would mark every
    # stored partition "Unsynced" each day.
    job = build_asset_job(DAILY_BARS, dg.AssetSelection.assets(daily_bars), settings)
    return dg.Definitions(
        assets=[trading_calendar, daily_bars],
        jobs=[job],
        schedules=[
            build_schedule(
                DAILY_BARS,
                job,
                settings,
                build=_partitioned_schedule(settings.jquants_plan),
                cron=cron,
            )
        ],
    )

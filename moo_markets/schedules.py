"""Schedules of the catalog's jobs: cron overridable per job, validated, STOPPED by default.

The app this replaces shipped every job disabled (``is_enabled`` false); a
Dagster schedule starts STOPPED for the same reason: fetching starts only
when someone switches it on.
"""

from __future__ import annotations

from collections.abc import Callable

import dagster as dg

from moo_markets.core.catalog import TIMEZONE, JobType
from moo_markets.core.settings import Settings


class ScheduleConfigError(ValueError):
    """A configured cron expression is not valid."""


def build_schedule(
    job: JobType,
    target: dg.UnresolvedAssetJobDefinition | dg.JobDefinition,
    settings: Settings,
    build: Callable[..., dg.ScheduleDefinition] | None = None,
    **kwargs: object,
) -> dg.ScheduleDefinition:
    """The job's schedule on its configured cron, in Asia/Tokyo, default STOPPED.

    ``build`` lets partitioned jobs use their own schedule factory; it receives
    ``cron_schedule``/``execution_timezone``/``default_status`` like
    ``ScheduleDefinition`` does. The cron was validated with the settings
    (``core.cron``); Dagster's own check stays as a second line.
    """
    cron = settings.cron_for(job)
    factory = build or dg.ScheduleDefinition
    try:
        return factory(
            name=job.schedule_name,
            job=target,
            cron_schedule=cron,
            execution_timezone=TIMEZONE,
            default_status=dg.DefaultScheduleStatus.STOPPED,
            description=job.description_for(settings.jquants_plan),
            **kwargs,
        )
    except dg.DagsterInvalidDefinitionError as exc:
        raise ScheduleConfigError(
            f"invalid cron {cron!r} for {job.schedule_name} (from ${job.cron_env_var}): "
            "use 5 fields, e.g. '15 8 * * 1-5'"
        ) from exc

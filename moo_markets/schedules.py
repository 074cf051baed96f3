"""Schedules of the catalog's jobs: cron overridable per job, validated, STOPPED by default.

The app this replaces shipped every job disabled (``is_enabled`` false); a
Dagster schedule starts STOPPED for the same reason: fetching starts only
when someone switches it on.
"""

from __future__ import annotations

import os
from collections.abc import Callable

import dagster as dg

from moo_markets.catalog import TIMEZONE, JobType


class ScheduleConfigError(ValueError):
    """A configured cron expression is not valid."""


def cron_for(job: JobType) -> str:
    """``$MOO_MARKETS_<JOB_TYPE>_CRON`` if set, else the catalog default (read at load, not import)."""
    return os.environ.get(job.cron_env_var, "").strip() or job.default_cron


def build_schedule(
    job: JobType,
    target: dg.UnresolvedAssetJobDefinition | dg.JobDefinition,
    build: Callable[..., dg.ScheduleDefinition] | None = None,
    **kwargs: object,
) -> dg.ScheduleDefinition:
    """The job's schedule on its configured cron, in Asia/Tokyo, default STOPPED.

    ``build`` lets partitioned jobs use their own schedule factory; it receives
    ``cron_schedule``/``execution_timezone``/``default_status`` like
    ``ScheduleDefinition`` does.
    """
    cron = cron_for(job)
    factory = build or dg.ScheduleDefinition
    try:
        return factory(
            name=job.schedule_name,
            job=target,
            cron_schedule=cron,
            execution_timezone=TIMEZONE,
            default_status=dg.DefaultScheduleStatus.STOPPED,
            description=job.description,
            **kwargs,
        )
    except dg.DagsterInvalidDefinitionError as exc:
        raise ScheduleConfigError(
            f"invalid cron {cron!r} for {job.schedule_name} (from ${job.cron_env_var}): "
            "use 5 fields, e.g. '15 8 * * 1-5'"
        ) from exc

"""Schedules of the catalog's jobs: cron overridable per job, validated, STOPPED by default.

The app this replaces shipped every job disabled (``is_enabled`` false); a
Dagster schedule starts STOPPED for the same reason: fetching starts only
when someone switches it on.

The cron is the one in force when the code location loads (an override stored
in the warehouse, else ``MOO_MARKETS_<JOB>_CRON``, else the catalog default);
the schedule's name never depends on it, so Dagster keeps its ON/OFF state
(keyed by name) across a change of cron.
"""

from __future__ import annotations

from collections.abc import Callable

import dagster as dg

from moo_markets.core.catalog import TIMEZONE, JobType
from moo_markets.core.cron import CronInForce
from moo_markets.core.settings import Settings


class ScheduleConfigError(ValueError):
    """A configured cron expression is not valid."""


def build_schedule(
    job: JobType,
    target: dg.UnresolvedAssetJobDefinition | dg.JobDefinition,
    settings: Settings,
    build: Callable[..., dg.ScheduleDefinition] | None = None,
    cron: CronInForce | None = None,
    **kwargs: object,
) -> dg.ScheduleDefinition:
    """The job's schedule on its configured cron, in Asia/Tokyo, default STOPPED.

    ``build`` lets partitioned jobs use their own schedule factory; it receives
    ``cron_schedule``/``execution_timezone``/``default_status`` like
    ``ScheduleDefinition`` does. ``cron`` is the cron in force (default: the
    settings' one). Every source was validated (``core.cron``); Dagster's own
    check stays as a second line. The description says where the cron comes
    from, so the UI shows it.
    """
    cron = cron or settings.cron_in_force(job)
    factory = build or dg.ScheduleDefinition
    try:
        return factory(
            name=job.schedule_name,
            job=target,
            cron_schedule=cron.cron,
            execution_timezone=TIMEZONE,
            default_status=dg.DefaultScheduleStatus.STOPPED,
            description=f"{job.description_for(settings.jquants_plan)}\n\n{cron.describe()}",
            **kwargs,
        )
    except dg.DagsterInvalidDefinitionError as exc:
        where = "an override" if cron.source == "override" else f"${job.cron_env_var}"
        raise ScheduleConfigError(
            f"invalid cron {cron.cron!r} for {job.schedule_name} (from {where}): "
            "use 5 fields, e.g. '15 8 * * 1-5'"
        ) from exc

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

import datetime as dt
import logging
from collections.abc import Callable

import dagster as dg

from moo_markets.core import plans
from moo_markets.core.catalog import TIMEZONE, JobType
from moo_markets.core.cron import CronInForce
from moo_markets.core.runs import PARTITION_RANGE_END_TAG, PARTITION_RANGE_START_TAG
from moo_markets.core.settings import Settings

log = logging.getLogger(__name__)

_HELD = (dg.AssetPartitionStatus.MATERIALIZED, dg.AssetPartitionStatus.IN_PROGRESS)
"""Partitions a catch-up does not ask for again: stored, or being fetched by another run."""


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


def catch_up_request(
    context: dg.ScheduleEvaluationContext,
    job: JobType,
    key: str,
    plan: str,
    day: dt.date,
    partitions_def: dg.PartitionsDefinition,
) -> dg.RunRequest:
    """The tick's run: ``key``, or ONE run over the days missed before it.

    A schedule that was off, or a daemon that was down, would otherwise never fetch the
    days it skipped. The range starts at the first partition after the newest one stored
    (or being fetched) and ends at ``key``; as one run it takes the bulk-file path for
    whole months. Just ``key`` when nothing is missing, when nothing was ever stored in
    the plan's history window (switching a schedule on must not backfill all history),
    on the Free plan (no bulk files; its day-per-tick rule stays), and for jobs whose
    asset cannot take a range (:attr:`JobType.single_run_backfill`). The run key is the
    tick's partition whatever the range, so a re-evaluated tick never launches twice.
    """
    single = dg.RunRequest(run_key=key, partition_key=key)
    if not job.single_run_backfill or plan == "free":
        return single
    try:
        instance = context.instance
    except dg.DagsterInvariantViolationError:  # a context built without an instance
        return single
    first = plans.history_window(plan, day).first
    while first.weekday() >= 5:
        first += dt.timedelta(days=1)
    if first.isoformat() >= key:
        return single
    try:
        keys = partitions_def.get_partition_keys_in_range(
            dg.PartitionKeyRange(first.isoformat(), key)
        )
        earlier = keys[:-1]
        status = instance.get_status_by_partition(
            dg.AssetKey(job.job_type), earlier, partitions_def
        )
    except Exception as exc:  # the tick must still request its own day
        log.warning("%s: cannot read partition status, no catch-up: %s", job.schedule_name, exc)
        return single
    held = [k for k in earlier if (status or {}).get(k) in _HELD]
    if not held or held[-1] == earlier[-1]:
        return single
    start = keys[keys.index(held[-1]) + 1]
    return dg.RunRequest(
        run_key=key, tags={PARTITION_RANGE_START_TAG: start, PARTITION_RANGE_END_TAG: key}
    )

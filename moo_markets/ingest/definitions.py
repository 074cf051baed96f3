"""Jobs and schedules of the declared datasets, one of each per spec.

No ``from __future__ import annotations``: Dagster inspects the tick function.
Each schedule ticks on its cron (after the data's publication, Asia/Tokyo),
starts STOPPED like every catalog schedule, and requests the partition
:meth:`JobType.default_partition` picks for the tick's day (on the Free plan:
the newest day it may see), the same rule the REST API's run-now uses; for
partitioned datasets, together with the partitions missed before it in one run
(:func:`moo_markets.schedules.catch_up_request`). It skips, saying why, when the plan lacks the
dataset, on weekends and on days the stored calendar says are closed.
"""

import logging
from collections.abc import Mapping

import dagster as dg

from moo_markets.core.catalog import DATASET_JOBS, JobType
from moo_markets.core.cron import CronInForce
from moo_markets.core.settings import Settings
from moo_markets.daily_bars import store as calendar_store
from moo_markets.daily_bars.definitions import tick_day
from moo_markets.datasets.spec import Partitioning
from moo_markets.ingest.assets import build_asset
from moo_markets.ingest.partitions import partitions_for
from moo_markets.jobs import build_asset_job
from moo_markets.schedules import build_schedule, catch_up_request

log = logging.getLogger(__name__)


def _stored_hol_div(context: dg.ScheduleEvaluationContext, day) -> str | None:
    try:
        with context.resources.warehouse.begin() as connection:
            return calendar_store.hol_divs(connection, day, day).get(day)
    except Exception as exc:  # the run reports warehouse errors properly; the tick must not
        log.warning("cannot read the stored calendar: %s", exc)
        return None


def tick_for(job: JobType, settings: Settings):
    spec = job.dataset
    assert spec is not None, f"{job.job_type} is not a declared dataset"

    def tick(context: dg.ScheduleEvaluationContext):
        reason = job.unavailable_reason(settings.jquants_plan)
        if reason:
            return dg.SkipReason(reason)
        day = tick_day(context)
        key = job.default_partition(day, settings.jquants_plan)
        if key is None:
            return dg.RunRequest(run_key=day.isoformat())
        if spec.partitioning is Partitioning.BUSINESS_DAY:
            hol_div = _stored_hol_div(context, spec.partition_days(key)[0])
            if hol_div is not None and hol_div not in spec.session_hol_divs:
                return dg.SkipReason(f"{key} has no session (HolDiv {hol_div}): nothing to fetch")
        partitions_def = partitions_for(spec)
        if partitions_def is None:
            return dg.RunRequest(run_key=key, partition_key=key)
        return catch_up_request(context, job, key, settings.jquants_plan, day, partitions_def)

    return tick


def _schedule_factory(job: JobType, settings: Settings):
    def factory(**kwargs: object) -> dg.ScheduleDefinition:
        return dg.ScheduleDefinition(
            execution_fn=tick_for(job, settings), required_resource_keys={"warehouse"}, **kwargs
        )

    return factory


def build_job_definitions(
    job: JobType, settings: Settings, cron: CronInForce | None = None
) -> dg.Definitions:
    spec = job.dataset
    assert spec is not None, f"{job.job_type} is not a declared dataset"
    asset = build_asset(spec)
    target = build_asset_job(job, dg.AssetSelection.assets(asset), settings)
    schedule = build_schedule(
        job, target, settings, build=_schedule_factory(job, settings), cron=cron
    )
    return dg.Definitions(assets=[asset], jobs=[target], schedules=[schedule])


def build_definitions(
    settings: Settings, crons: Mapping[str, CronInForce] | None = None
) -> dg.Definitions:
    """One asset, job and schedule per declared dataset, each on the cron in force (an
    override stored in the warehouse, the environment, the catalog default)."""
    crons = crons or {}
    return dg.Definitions.merge(
        *(build_job_definitions(job, settings, crons.get(job.job_type)) for job in DATASET_JOBS)
    )

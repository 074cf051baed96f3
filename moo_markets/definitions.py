"""The moo_markets code location.

Built by a ``@definitions`` function so the settings are read, and checked,
when Dagster loads the location, not when Python imports the module: a bad
value stops the load with one message naming the variable. Loading is also
the start-up check of the warehouse schema (upgraded if behind), and reads
the crons set at runtime (``schedule_overrides``): an override beats
``MOO_MARKETS_<JOB>_CRON``, which beats the catalog default. A reload of the
location (what ``PUT /api/scheduler/jobs/:id/schedule`` asks for) therefore
puts a new cron in force without a restart.

Every run executes its steps inside the run worker (in-process executor), for
the catalog jobs and for the UI's Materialize/backfill runs (``__ASSET_JOB``)
alike. With the default multiprocess executor a step is a child of the run
worker: a ``kill -9`` of the worker left the step running and calling
J-Quants after Dagster had marked the run failed and freed the ``jquants``
pool for the next run. In one process, whatever ends the worker ends its
steps. Little is lost: a run is one or two fetching assets (in dependency
order) plus quick SQL checks, which in one process also skip a Python
start-up each; step retries and termination work the same, and daily_bars
keeps its own fetch threads.
"""

from __future__ import annotations

from collections.abc import Mapping

import dagster as dg

from moo_markets import daily_bars, ingest, listed_companies, maintenance, recheck
from moo_markets.core.catalog import DAILY_BARS, JOBS, LISTED_COMPANIES, RECHECK
from moo_markets.core.cron import CronInForce
from moo_markets.core.settings import Settings, load_settings
from moo_markets.mirror.sensor import build_definitions as build_mirror_definitions
from moo_markets.resources import build_resources
from moo_markets.warehouse.migrate import startup_check
from moo_markets.warehouse.schedule_overrides import crons_in_force


def build_definitions(
    settings: Settings, crons: Mapping[str, CronInForce] | None = None
) -> dg.Definitions:
    """Everything the location holds, for the given settings and the crons in force by
    job_type (default: the settings' crons; tests call this directly)."""
    crons = crons or {job.job_type: settings.cron_in_force(job) for job in JOBS}
    return dg.Definitions.merge(
        listed_companies.build_definitions(settings, crons[LISTED_COMPANIES.job_type]),
        daily_bars.build_definitions(settings, crons[DAILY_BARS.job_type]),
        ingest.build_definitions(settings, crons),
        recheck.build_definitions(settings, crons[RECHECK.job_type]),
        build_mirror_definitions(settings, crons),
        maintenance.build_definitions(settings),
        dg.Definitions(resources=build_resources(), executor=dg.in_process_executor),
    )


@dg.definitions
def defs() -> dg.Definitions:
    settings = load_settings()
    logger = dg.get_dagster_logger("moo_markets")
    startup_check(settings.database_url_value, logger)
    return build_definitions(settings, crons_in_force(settings, logger))

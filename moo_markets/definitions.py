"""The moo_markets code location.

Built by a ``@definitions`` function so the settings are read, and checked,
when Dagster loads the location, not when Python imports the module: a bad
value stops the load with one message naming the variable. Loading is also
the start-up check of the warehouse schema (upgraded if behind).

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

import dagster as dg

from moo_markets import daily_bars, ingest, listed_companies, maintenance
from moo_markets.core.settings import Settings, load_settings
from moo_markets.mirror.sensor import build_definitions as build_mirror_definitions
from moo_markets.resources import build_resources
from moo_markets.warehouse.migrate import startup_check


def build_definitions(settings: Settings) -> dg.Definitions:
    """Everything the location holds, for the given settings (tests call this directly)."""
    return dg.Definitions.merge(
        listed_companies.build_definitions(settings),
        daily_bars.build_definitions(settings),
        ingest.build_definitions(settings),
        build_mirror_definitions(settings),
        maintenance.build_definitions(settings),
        dg.Definitions(resources=build_resources(), executor=dg.in_process_executor),
    )


@dg.definitions
def defs() -> dg.Definitions:
    settings = load_settings()
    startup_check(settings.database_url_value, dg.get_dagster_logger("moo_markets"))
    return build_definitions(settings)

"""The moo_markets code location.

Built by a ``@definitions`` function so configuration (cron overrides) is
read when Dagster loads the location, not when Python imports the module.

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

from moo_markets import daily_bars, listed_companies, maintenance
from moo_markets.mirror import build_definitions as build_mirror_definitions
from moo_markets.resources import build_resources


@dg.definitions
def defs() -> dg.Definitions:
    return dg.Definitions.merge(
        listed_companies.build_definitions(),
        daily_bars.build_definitions(),
        build_mirror_definitions(),
        maintenance.build_definitions(),
        dg.Definitions(resources=build_resources(), executor=dg.in_process_executor),
    )

"""The moo_markets code location.

Built by a ``@definitions`` function so configuration (cron overrides) is
read when Dagster loads the location, not when Python imports the module.
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
        dg.Definitions(resources=build_resources()),
    )

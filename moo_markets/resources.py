"""The resources every moo_markets code location binds."""

from __future__ import annotations

import dagster as dg

from moo_markets.jquants import JQuantsResource
from moo_markets.warehouse import WarehouseResource

JQUANTS_TAG = "moo_markets/jquants"
"""Run tag of runs that call J-Quants; the run queue serialises them (one key, one budget)."""


def build_resources() -> dict[str, dg.ConfigurableResource]:
    return {
        "jquants": JQuantsResource(api_key=dg.EnvVar("JQUANTS_API_KEY")),
        "warehouse": WarehouseResource(),
    }

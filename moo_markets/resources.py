"""The resources every moo_markets code location binds."""

from __future__ import annotations

import dagster as dg

from moo_markets.jquants import JQuantsResource
from moo_markets.warehouse.resource import WarehouseResource


def build_resources() -> dict[str, dg.ConfigurableResource]:
    return {
        "jquants": JQuantsResource(api_key=dg.EnvVar("JQUANTS_API_KEY")),
        "warehouse": WarehouseResource(),
    }

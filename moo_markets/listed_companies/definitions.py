"""Dagster definitions of the listed-companies job type."""

from __future__ import annotations

import dagster as dg

from moo_markets.core.catalog import LISTED_COMPANIES
from moo_markets.core.cron import CronInForce
from moo_markets.core.settings import Settings
from moo_markets.jobs import build_asset_job
from moo_markets.listed_companies.assets import listed_companies
from moo_markets.listed_companies.checks import CHECKS
from moo_markets.schedules import build_schedule


def build_definitions(settings: Settings, cron: CronInForce | None = None) -> dg.Definitions:
    job = build_asset_job(LISTED_COMPANIES, dg.AssetSelection.assets(listed_companies), settings)
    return dg.Definitions(
        assets=[listed_companies],
        asset_checks=CHECKS,
        jobs=[job],
        schedules=[build_schedule(LISTED_COMPANIES, job, settings, cron=cron)],
    )

"""Dagster definitions of the recheck job (catalog id 21): asset, job and schedule.

The schedule starts STOPPED like every catalog schedule; its cron (default
``30 20 * * 1-5`` Asia/Tokyo, after the evening's data) follows the same rules
as every job's (``MOO_MARKETS_RECHECK_CRON``, a runtime override).
"""

from __future__ import annotations

import dagster as dg

from moo_markets.core.catalog import RECHECK
from moo_markets.core.cron import CronInForce
from moo_markets.core.settings import Settings
from moo_markets.jobs import build_asset_job
from moo_markets.recheck.assets import build_asset
from moo_markets.schedules import build_schedule


def build_definitions(settings: Settings, cron: CronInForce | None = None) -> dg.Definitions:
    asset = build_asset(settings.recheck_days)
    job = build_asset_job(RECHECK, dg.AssetSelection.assets(asset), settings)
    return dg.Definitions(
        assets=[asset],
        jobs=[job],
        schedules=[build_schedule(RECHECK, job, settings, cron=cron)],
    )

"""Dagster definitions of the listed-companies job type."""

from __future__ import annotations

import dagster as dg

from moo_markets.catalog import JOB_TYPE_TAG, LISTED_COMPANIES
from moo_markets.listed_companies.assets import listed_companies
from moo_markets.listed_companies.checks import CHECKS
from moo_markets.resources import JQUANTS_TAG
from moo_markets.schedules import build_schedule


def build_definitions() -> dg.Definitions:
    job = dg.define_asset_job(
        LISTED_COMPANIES.job_name,
        selection=dg.AssetSelection.assets(listed_companies),
        description=LISTED_COMPANIES.description,
        tags={JOB_TYPE_TAG: LISTED_COMPANIES.job_type, JQUANTS_TAG: "true"},
    )
    return dg.Definitions(
        assets=[listed_companies],
        asset_checks=CHECKS,
        jobs=[job],
        schedules=[build_schedule(LISTED_COMPANIES, job)],
    )

"""Asset jobs of the catalog: tags that queue them and the step retry policy.

Every catalog job is built here so each carries the same run tags (the run
queue allows one run per job type at a time) and the same configurable
``RetryPolicy``: a step that still fails after the J-Quants client's own
retries is retried by Dagster with exponential backoff and jitter.
"""

from __future__ import annotations

import dagster as dg

from moo_markets.core.catalog import JOB_TYPE_TAG, JobType
from moo_markets.core.settings import Settings

JQUANTS_TAG = "moo_markets/jquants"
"""Run tag of runs that call J-Quants."""

JQUANTS_POOL = "jquants"
"""Concurrency pool of every asset that calls J-Quants. The instance limits it to one
run at a time (dagster.yaml), so one API key's budget is never shared by two runs."""


def step_retry_policy(settings: Settings) -> dg.RetryPolicy:
    """Retries for failed steps: ``MOO_MARKETS_STEP_RETRIES`` (default 2) more attempts,
    the first after ``MOO_MARKETS_STEP_RETRY_DELAY_SECONDS`` (default 60), doubling, with
    jitter. A J-Quants lock-out lasts about five minutes, so the default spans it."""
    return dg.RetryPolicy(
        max_retries=settings.step_retries,
        delay=settings.step_retry_delay_seconds,
        backoff=dg.Backoff.EXPONENTIAL,
        jitter=dg.Jitter.PLUS_MINUS,
    )


def build_asset_job(
    job: JobType, selection: dg.AssetSelection, settings: Settings, **kwargs
) -> dg.UnresolvedAssetJobDefinition:
    """The catalog job over ``selection``, tagged and with the step retry policy."""
    return dg.define_asset_job(
        job.job_name,
        selection=selection,
        description=job.description,
        tags={JOB_TYPE_TAG: job.job_type, JQUANTS_TAG: "true"},
        op_retry_policy=step_retry_policy(settings),
        **kwargs,
    )

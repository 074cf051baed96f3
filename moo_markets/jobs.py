"""Asset jobs of the catalog: tags that queue them and the step retry policy.

Every catalog job is built here so each carries the same run tags (the run
queue allows one run per job type at a time) and the same configurable
``RetryPolicy``: a step that still fails after the J-Quants client's own
retries is retried by Dagster with exponential backoff and jitter.
"""

from __future__ import annotations

import os

import dagster as dg

from moo_markets.catalog import JOB_TYPE_TAG, JobType

JQUANTS_TAG = "moo_markets/jquants"
"""Run tag of runs that call J-Quants."""

JQUANTS_POOL = "jquants"
"""Concurrency pool of every asset that calls J-Quants. The instance limits it to one
run at a time (dagster.yaml), so one API key's budget is never shared by two runs."""

RETRIES_ENV = "MOO_MARKETS_STEP_RETRIES"
RETRY_DELAY_ENV = "MOO_MARKETS_STEP_RETRY_DELAY_SECONDS"
DEFAULT_STEP_RETRIES = 2
DEFAULT_STEP_RETRY_DELAY_SECONDS = 60


class RetryConfigError(ValueError):
    """A retry setting in the environment is not a non-negative number."""


def _env_number(name: str, default: int) -> int:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise RetryConfigError(f"${name} must be a whole number, got {raw!r}") from None
    if value < 0:
        raise RetryConfigError(f"${name} must not be negative, got {value}")
    return value


def step_retry_policy() -> dg.RetryPolicy:
    """Retries for failed steps: ``$MOO_MARKETS_STEP_RETRIES`` (default 2) more attempts,
    the first after ``$MOO_MARKETS_STEP_RETRY_DELAY_SECONDS`` (default 60), doubling, with
    jitter. A J-Quants lock-out lasts about five minutes, so the default spans it."""
    return dg.RetryPolicy(
        max_retries=_env_number(RETRIES_ENV, DEFAULT_STEP_RETRIES),
        delay=_env_number(RETRY_DELAY_ENV, DEFAULT_STEP_RETRY_DELAY_SECONDS),
        backoff=dg.Backoff.EXPONENTIAL,
        jitter=dg.Jitter.PLUS_MINUS,
    )


def build_asset_job(
    job: JobType, selection: dg.AssetSelection, **kwargs
) -> dg.UnresolvedAssetJobDefinition:
    """The catalog job over ``selection``, tagged and with the step retry policy."""
    return dg.define_asset_job(
        job.job_name,
        selection=selection,
        description=job.description,
        tags={JOB_TYPE_TAG: job.job_type, JQUANTS_TAG: "true"},
        op_retry_policy=step_retry_policy(),
        **kwargs,
    )

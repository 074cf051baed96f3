"""Asset jobs of the catalog: tags that queue them and the step retry policy.

Every catalog job is built here so each carries the same run tags (the run
queue allows one run per job type at a time) and the same configurable
``RetryPolicy``: a step that still fails after the J-Quants client's own
retries is retried by Dagster with exponential backoff and jitter.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

import dagster as dg

from moo_markets.core import plans
from moo_markets.core.catalog import JOB_TYPE_TAG, JobType
from moo_markets.core.settings import Settings
from moo_markets.jquants.errors import JQuantsRequestError

JQUANTS_TAG = "moo_markets/jquants"
"""Run tag of runs that call J-Quants."""


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


F = TypeVar("F", bound=Callable[..., Any])

STOPPED = "the run was stopped while this step ran; it is not retried"


@contextmanager
def _stop_is_final(context: Any) -> Iterator[None]:
    try:
        yield
    except dg.DagsterExecutionInterruptedError:
        run = context.instance.get_run_by_id(context.run_id) if context is not None else None
        if run is None or run.status != dg.DagsterRunStatus.CANCELING:
            raise  # not a termination Dagster is carrying out: its own handling applies
        raise dg.Failure(description=STOPPED, allow_retries=False) from None


def _context_of(args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    return kwargs.get("context", args[0] if args else None)


def stop_is_final(fn: F) -> F:
    """Make stopping a run stop it, despite the step retry policy.

    Dagster's step boundary turns an interrupt into a retry request when the
    step has a retry policy. Steps run inside the run worker (in-process
    executor), so the termination was spent on that one attempt and the
    retried step ran on to success: a run stopped from the UI or the REST API
    finished instead. Here the interrupt of a run being terminated (status
    CANCELING) becomes a ``dg.Failure`` that forbids retries, and the run ends
    CANCELED; any other interrupt keeps Dagster's own handling (e.g. a run
    already marked canceled stays canceled). Wraps generator and plain asset
    functions alike, whose first parameter is the context (Dagster reads the
    signature through ``functools.wraps``).
    """
    if inspect.isgeneratorfunction(fn):

        @functools.wraps(fn)
        def steps(*args: Any, **kwargs: Any) -> Iterator[Any]:
            with _stop_is_final(_context_of(args, kwargs)):
                yield from fn(*args, **kwargs)

        return steps  # type: ignore[return-value]

    @functools.wraps(fn)
    def step(*args: Any, **kwargs: Any) -> Any:
        with _stop_is_final(_context_of(args, kwargs)):
            return fn(*args, **kwargs)

    return step  # type: ignore[return-value]


def build_asset_job(
    job: JobType, selection: dg.AssetSelection, settings: Settings, **kwargs
) -> dg.UnresolvedAssetJobDefinition:
    """The catalog job over ``selection``, tagged and with the step retry policy."""
    return dg.define_asset_job(
        job.job_name,
        selection=selection,
        description=job.description_for(settings.jquants_plan),
        tags={JOB_TYPE_TAG: job.job_type, JQUANTS_TAG: "true"},
        op_retry_policy=step_retry_policy(settings),
        **kwargs,
    )


def committed_earlier_in_this_run(context: dg.AssetExecutionContext) -> set[str]:
    """Partitions an earlier attempt of this step (a Dagster step retry) committed.

    Assets that handle a partition range in one run (``daily_bars``, the declared
    datasets) log each partition's materialization only after its transaction committed,
    so a retry resumes after them instead of fetching the whole range again.
    """
    if context.retry_number == 0:
        return set()
    entries = context.instance.all_logs(
        context.run_id, of_type=dg.DagsterEventType.ASSET_MATERIALIZATION
    )
    return {
        entry.asset_materialization.partition
        for entry in entries
        if entry.asset_materialization
        and entry.asset_materialization.asset_key == context.asset_key
        and entry.asset_materialization.partition
    }


@contextmanager
def plan_refusals(plan: str) -> Iterator[None]:
    """J-Quants' refusals as final run failures in the words every J-Quants asset uses
    (``plans.refusal``: "plan X does not include /path (HTTP 403)", a date outside the
    window); a retry would only be refused again. Other errors pass unchanged."""
    try:
        yield
    except JQuantsRequestError as exc:
        detail = plans.refusal(plan, "/" + exc.path.lstrip("/"), exc.status, exc.message)
        if detail is None:
            raise
        raise dg.Failure(detail, allow_retries=False) from None

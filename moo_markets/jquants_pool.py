"""One J-Quants run at a time, however Dagster was started.

Every asset that calls J-Quants is in the ``jquants`` pool, and this
project's ``dagster.yaml`` limits the pool to one run (granularity ``run``),
so the run queue starts J-Quants runs one after the other: one API key is one
rate budget. Two gaps remain, both verified with Dagster 1.13.27:

- An instance without this project's ``dagster.yaml`` (``DAGSTER_HOME``
  pointing at another folder) has no limit for the pool at all.
- A pool's ``default_limit`` is written to storage by the queue's first pass
  that sees the pool, *after* that pass read the configured limits; so on a
  fresh instance that first pass starts every queued J-Quants run at once
  (subject only to the one-run-per-job-type limit). ``make dev`` and the
  README's deployment set the limit explicitly beforehand
  (``dagster instance concurrency set jquants 1``); plain ``dagster dev``
  cannot.

So every step that opens a J-Quants client first calls :func:`await_turn`:
it warns in the run's log when the pool is not limited to one run, and when
another run of the pool that was created earlier is still in progress, it
waits for that run to end before making any request.
"""

from __future__ import annotations

import time

import dagster as dg

from moo_markets.core.settings import load_settings

JQUANTS_POOL = "jquants"
"""Concurrency pool of every asset that calls J-Quants. The instance limits it to one
run at a time (dagster.yaml), so one API key's budget is never shared by two runs."""

IN_PROGRESS = [
    dg.DagsterRunStatus.STARTING,
    dg.DagsterRunStatus.STARTED,
    dg.DagsterRunStatus.CANCELING,
]
POLL_SECONDS = 2.0
REPORT_EVERY_SECONDS = 300.0
"""While waiting, say so again every five minutes (the stuck-run rule sees the run is alive)."""


def pool_limit(instance: dg.DagsterInstance) -> int | None:
    """The ``jquants`` pool's limit, the instance's default included; None when unlimited.

    The same value Dagster's GraphQL reports as ``concurrencyLimit(concurrencyKey:
    "jquants") { limit }`` and the UI under *Deployment → Concurrency*.
    """
    return instance.event_log_storage.get_concurrency_info(JQUANTS_POOL).limit


def uses_pool(run: dg.DagsterRun) -> bool:
    concurrency = run.run_op_concurrency
    return bool(concurrency and JQUANTS_POOL in (concurrency.all_pools or ()))


def earlier_runs(instance: dg.DagsterInstance, run_id: str) -> list[str]:
    """Ids of runs in progress that use the pool and were created before ``run_id``.

    Creation order decides, so of two runs started together exactly one waits.
    """
    mine = instance.get_run_record_by_id(run_id)
    if mine is None:
        return []
    me = (mine.create_timestamp.timestamp(), run_id)
    return [
        record.dagster_run.run_id
        for record in instance.get_run_records(filters=dg.RunsFilter(statuses=IN_PROGRESS))
        if record.dagster_run.run_id != run_id
        and uses_pool(record.dagster_run)
        and (record.create_timestamp.timestamp(), record.dagster_run.run_id) < me
    ]


def unlimited_message(instance: dg.DagsterInstance, limit: int | None) -> str | None:
    """What to tell the run when the pool does not hold J-Quants runs to one at a time."""
    if limit == 1:
        return None
    where = load_settings().dagster_home or "a temporary DAGSTER_HOME"
    state = "has no limit" if limit is None else f"allows {limit} runs at once"
    return (
        f"The `{JQUANTS_POOL}` concurrency pool {state} on this Dagster instance ({where}): "
        "runs calling J-Quants may overlap and share one API key's rate budget. Use "
        "moo_markets' dagster.yaml or run `dagster instance concurrency set "
        f"{JQUANTS_POOL} 1`. Meanwhile this run waits for earlier J-Quants runs itself."
    )


def await_turn(context: dg.InitResourceContext) -> None:
    """Called when a J-Quants client is set up for a step: see the module docstring."""
    instance, run_id, log = context.instance, context.run_id, context.log
    if instance is None or run_id is None or log is None or instance.is_ephemeral:
        return  # in-process materialize() without an instance: no other run can exist
    warning = unlimited_message(instance, pool_limit(instance))
    if warning:
        log.warning(warning)
    started = time.monotonic()
    reported = None
    while waiting_for := earlier_runs(instance, run_id):
        if reported is None or time.monotonic() - reported >= REPORT_EVERY_SECONDS:
            log.info(
                f"waiting for run(s) {', '.join(waiting_for)} to finish: one J-Quants run at a "
                f"time ({time.monotonic() - started:.0f} s so far)"
            )
            reported = time.monotonic()
        time.sleep(POLL_SECONDS)
    if reported is not None:
        log.info(f"J-Quants is free after {time.monotonic() - started:.0f} s: starting")

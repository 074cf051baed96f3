"""Finding and ending stuck runs from inside Dagster (the automatic half of cleanup).

The rule is the core one (``core.runs.stuck_reason``), the same the REST
API's ``POST /api/scheduler/cleanup`` applies: a STARTING, STARTED or
CANCELING run whose run worker is gone (pid checked on this host, default
launcher only) or that logged no event for ``stuck_after``. Queued runs are
waiting, not stuck. The reason is recorded in the warehouse before the run is
ended, so the SQL mirror and the REST API show it.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

import dagster as dg
import sqlalchemy as sa

from moo_markets.core.runs import STUCK_CANDIDATES, stuck_reason
from moo_markets.core.time import now_jst
from moo_markets.dagster_runs import run_view
from moo_markets.warehouse import stop_reasons

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class StuckRun:
    run: dg.DagsterRun
    reason: str


def find_stuck_runs(
    instance: dg.DagsterInstance, stuck_after: dt.timedelta, now: dt.datetime | None = None
) -> list[StuckRun]:
    now = now or now_jst()
    # Workers of other launchers (Docker, Kubernetes) live elsewhere: only the idle rule applies.
    local = isinstance(instance.run_launcher, dg.DefaultRunLauncher)
    grace = monitoring_grace(instance)
    statuses = [dg.DagsterRunStatus(s) for s in sorted(STUCK_CANDIDATES)]
    stuck: list[StuckRun] = []
    for record in instance.get_run_records(filters=dg.RunsFilter(statuses=statuses)):
        view = run_view(instance, record, worker=True)
        reason = stuck_reason(
            view, now, stuck_after.total_seconds(), check_local_pid=local, gone_grace=grace
        )
        log.debug("run %s: %s", view.run_id, reason or "not stuck")
        if reason:
            stuck.append(StuckRun(record.dagster_run, reason))
    return stuck


def monitoring_grace(instance: dg.DagsterInstance) -> float:
    """How long a run with a dead worker is left to Dagster's run monitoring, which ends it
    truthfully (FAILURE, "terminated by signal 9") while its code server still answers."""
    if not instance.run_monitoring_enabled:
        return 0.0
    return max(60.0, 3.0 * instance.run_monitoring_poll_interval_seconds)


def stop_reason(stuck: StuckRun) -> str:
    return f"ended by the stuck_run_sensor: {stuck.reason}"


def end_stuck_run(
    instance: dg.DagsterInstance, stuck: StuckRun, engine: sa.Engine | None = None
) -> None:
    """Record the reason (best effort), then mark the run canceled with it."""
    reason = stop_reason(stuck)
    if engine is not None:
        try:
            with engine.begin() as connection:
                stop_reasons.record(
                    connection, {stuck.run.run_id: reason}, stop_reasons.STOPPED_BY_SENSOR
                )
        except sa.exc.SQLAlchemyError as exc:  # Dagster still gets the reason below
            log.warning("could not record why run %s was stopped: %s", stuck.run.run_id, exc)
    instance.report_run_canceled(stuck.run, message=reason)

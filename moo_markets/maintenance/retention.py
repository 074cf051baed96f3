"""History retention: delete old finished runs (with their event logs) and their mirror rows.

A run is deleted when it finished before the cutoff and is not among the newest
``keep_runs`` runs of its job type, so a job that runs rarely keeps its recent
history however old it is. Unfinished runs are never touched.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field

import dagster as dg
import sqlalchemy as sa

from moo_markets.core.runs import FINISHED, job_type_for_run
from moo_markets.core.time import now_jst
from moo_markets.mirror.runs import delete_rows

PAGE = 500


@dataclass
class RetentionResult:
    examined: int = 0
    deleted_run_ids: list[str] = field(default_factory=list)
    kept_by_group: dict[str, int] = field(default_factory=dict)
    mirror_rows_deleted: int = 0


def _group(record: dg.RunRecord) -> str:
    run = record.dagster_run
    keys = [key.to_user_string() for key in (run.asset_selection or ())]
    job = job_type_for_run(run.job_name, run.tags, keys)
    return job.job_type if job else run.job_name


def _all_runs_newest_first(instance: dg.DagsterInstance) -> Iterator[dg.RunRecord]:
    cursor = None
    while True:
        records = instance.get_run_records(limit=PAGE, cursor=cursor)
        yield from records
        if len(records) < PAGE:
            return
        cursor = records[-1].dagster_run.run_id


def plan_deletions(
    instance: dg.DagsterInstance, cutoff: dt.datetime, keep_runs: int
) -> tuple[list[str], dict[str, int], int]:
    """Run ids to delete, how many runs each group keeps, how many runs were examined."""
    seen: dict[str, int] = defaultdict(int)
    kept: dict[str, int] = defaultdict(int)
    doomed: list[str] = []
    examined = 0
    for record in _all_runs_newest_first(instance):
        examined += 1
        group = _group(record)
        seen[group] += 1
        finished = record.dagster_run.status.value in FINISHED
        old = record.create_timestamp < cutoff
        if finished and old and seen[group] > keep_runs:
            doomed.append(record.dagster_run.run_id)
        else:
            kept[group] += 1
    return doomed, dict(kept), examined


def apply_retention(
    instance: dg.DagsterInstance,
    engine: sa.Engine | None,
    retention_days: int,
    keep_runs: int,
    now: dt.datetime | None = None,
) -> RetentionResult:
    """Delete what :func:`plan_deletions` selects, in Dagster and in the SQL mirror."""
    now = now or now_jst()
    cutoff = now - dt.timedelta(days=retention_days)
    doomed, kept, examined = plan_deletions(instance, cutoff, keep_runs)
    result = RetentionResult(examined=examined)
    for run_id in doomed:
        instance.delete_run(run_id)  # the run, its event log and its tags
        result.deleted_run_ids.append(run_id)
    if engine is not None and doomed:
        with engine.begin() as connection:
            result.mirror_rows_deleted = delete_rows(connection, doomed)
    result.kept_by_group = kept
    return result

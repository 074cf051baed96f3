"""Every job of the code location runs its steps inside the run worker (issue 12, item 1).

With the multiprocess executor a step outlived a ``kill -9`` of its run worker
and kept calling J-Quants; ``test_run_worker_crash_e2e.py`` shows the effect
on the real stack, this checks that no job (including the UI's ``__ASSET_JOB``)
opts out again.
"""

from __future__ import annotations

import dagster as dg

from moo_markets.core.settings import load_settings
from moo_markets.definitions import build_definitions


def test_every_job_uses_the_in_process_executor() -> None:
    jobs = build_definitions(load_settings()).get_repository_def().get_all_jobs()
    assert {job.name for job in jobs} >= {"__ASSET_JOB", "daily_bars_job", "listed_companies_job"}
    executors = {job.name: job.executor_def for job in jobs}
    assert executors == {name: dg.in_process_executor for name in executors}

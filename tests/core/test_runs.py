"""The run vocabulary: one decision per question, whichever side read the run."""

from __future__ import annotations

import datetime as dt

import pytest

from moo_markets.core import runs
from moo_markets.core.catalog import DAILY_BARS, LISTED_COMPANIES
from moo_markets.core.runs import ErrorInfo, RunView, StepEvent

T0 = dt.datetime(2026, 3, 2, 18, 0, tzinfo=dt.timezone(dt.timedelta(hours=9)))


def view(status: str = "SUCCESS", **facts) -> RunView:
    values = dict(
        run_id="r1",
        job_name="listed_companies_job",
        status=status,
        created_at=T0,
        started_at=T0 + dt.timedelta(seconds=1),
        ended_at=T0 + dt.timedelta(seconds=9),
        updated_at=T0 + dt.timedelta(seconds=9),
    )
    values.update(facts)
    return RunView(**values)


def user(cls: str, text: str) -> ErrorInfo:
    return ErrorInfo(cls, f"moo_markets.jquants.errors.{cls}: {text}\n")


def wrapped(error: ErrorInfo) -> ErrorInfo:
    """How Dagster reports a step's exception: its wrapper, the user's error as cause."""
    return ErrorInfo(
        "DagsterExecutionStepExecutionError",
        "dagster._core.errors.DagsterExecutionStepExecutionError: Error occurred while "
        'executing op "listed_companies":\n',
        error,
    )


def test_statuses_and_the_three_sets():
    assert [runs.scheduler_status(s) for s in ("QUEUED", "STARTED", "CANCELING")] == ["running"] * 3
    assert runs.scheduler_status("SUCCESS") == "completed"
    assert runs.scheduler_status("FAILURE") == "failed"
    assert runs.scheduler_status("CANCELED") == "stopped"
    assert runs.STUCK_CANDIDATES < runs.UNFINISHED
    assert not runs.UNFINISHED & runs.FINISHED


def test_job_attribution():
    assert runs.job_of(view()) == LISTED_COMPANIES
    scheduled = view(job_name="other", tags={"moo_markets/job_type": "daily_bars"})
    assert runs.job_of(scheduled) == DAILY_BARS
    both = view(job_name=runs.ASSET_JOB, asset_keys=("daily_bars", "listed_companies"))
    assert runs.job_of(both) == LISTED_COMPANIES  # the lowest catalog id, whatever the order
    assert runs.job_of(view(job_name=runs.ASSET_JOB, asset_keys=("weather",))) is None


@pytest.mark.parametrize(
    ("tags", "expected"),
    [
        ({"dagster/partition": "2026-06-01"}, "2026-06-01"),
        (
            {
                "dagster/asset_partition_range_start": "2026-06-01",
                "dagster/asset_partition_range_end": "2026-11-16",
            },
            "2026-06-01...2026-11-16",
        ),
        (
            {
                "dagster/asset_partition_range_start": "2026-06-01",
                "dagster/asset_partition_range_end": "2026-06-01",
            },
            "2026-06-01",
        ),
        ({}, None),
    ],
)
def test_partition(tags, expected):
    assert runs.partition_of(tags) == expected


def test_times():
    queued = view("QUEUED", started_at=None, ended_at=None)
    assert runs.started_at(queued) == T0 and runs.completed_at(queued) is None
    # Canceled while queued: GraphQL reports its end as its start, the instance no start.
    end = T0 + dt.timedelta(seconds=5)
    for started in (None, end):
        canceled = view("CANCELED", started_at=started, ended_at=end)
        assert runs.started_at(canceled) == T0 and runs.completed_at(canceled) == end
    no_end = view("FAILURE", ended_at=None)
    assert runs.completed_at(no_end) == no_end.updated_at


def test_step_errors_are_step_key_and_short_exception_name():
    failed = view(
        "FAILURE",
        step_events=(
            StepEvent("daily_bars", "failure", wrapped(user("JQuantsRequestError", "HTTP 403"))),
            StepEvent(
                "trading_calendar", "failure", wrapped(ErrorInfo("ValueError", "ValueError: x\n"))
            ),
        ),
    )
    assert runs.error_message(failed) == (
        "daily_bars: JQuantsRequestError: HTTP 403\ntrading_calendar: ValueError: x"
    )


def test_a_dg_failure_gives_its_description():
    failure = ErrorInfo("Failure", "dagster._core.definitions.events.Failure: no rows\n")
    with_metadata = view(
        "FAILURE", step_events=(StepEvent("listed_companies", "failure", failure, "no rows"),)
    )
    without = view("FAILURE", step_events=(StepEvent("listed_companies", "failure", failure),))
    assert runs.error_message(with_metadata) == runs.error_message(without)
    assert runs.error_message(without) == "listed_companies: no rows"


def test_exhausted_retries_show_the_last_real_error():
    cause = user("JQuantsRequestError", "J-Quants GET /equities/master: HTTP 403: denied")
    retry_requested = ErrorInfo("RetryRequested", "Exceeded max_retries of 2\n")
    events = (
        StepEvent("listed_companies", "retry", wrapped(user("JQuantsRequestError", "first"))),
        StepEvent("listed_companies", "retry", wrapped(cause)),
        StepEvent("listed_companies", "failure", retry_requested),
    )
    assert runs.error_message(view("FAILURE", step_events=events)) == (
        "listed_companies: JQuantsRequestError: J-Quants GET /equities/master: HTTP 403: denied"
    )
    # When the final failure carries the cause itself, that one is used.
    chained = ErrorInfo("RetryRequested", "Exceeded max_retries of 2\n", wrapped(cause))
    final = events[:1] + (StepEvent("listed_companies", "failure", chained),)
    assert "HTTP 403: denied" in runs.error_message(view("FAILURE", step_events=final))


def test_run_failure_outside_steps_and_stop_reasons():
    crashed = view(
        "FAILURE",
        run_failure_message="Run worker process exited unexpectedly",
        run_failure_error=ErrorInfo("OSError", "OSError: killed\n"),
    )
    assert runs.error_message(crashed) == "Run worker process exited unexpectedly\nOSError: killed"
    canceled = view("CANCELED", cancel_message="Run was forcibly marked as canceled.")
    assert runs.error_message(canceled) == "Run was forcibly marked as canceled."
    recorded = view(
        "CANCELED", cancel_message="generic", stop_reason="run worker process 7 is gone"
    )
    assert runs.error_message(recorded) == "run worker process 7 is gone"
    assert runs.error_message(view("SUCCESS", stop_reason="ignored")) is None


def test_stuck_rule():
    now = T0 + dt.timedelta(hours=1)
    running = view("STARTED", ended_at=None, updated_at=T0, last_event_at=now)
    assert runs.stuck_reason(running, now, 1800, True, alive=lambda pid, at: True) is None
    assert runs.stuck_reason(view("QUEUED", last_event_at=T0), now, 1, True) is None
    exited = view("STARTED", worker_exited=True)
    assert runs.stuck_reason(exited, now, 1800, False) == "run worker exited without ending the run"
    gone = view("STARTED", worker_pid=7201, worker_pid_at=T0, last_event_at=now)
    assert runs.stuck_reason(gone, now, 1800, True, alive=lambda pid, at: False) == (
        "run worker process 7201 is gone"
    )
    assert runs.stuck_reason(gone, now, 1800, False, alive=lambda pid, at: False) is None
    idle = view("STARTED", started_at=T0, ended_at=None, updated_at=T0, last_event_at=T0)
    assert runs.stuck_reason(idle, now, 1800, False) == "no progress for 3600s (limit 1800s)"


def test_a_gone_worker_is_left_to_dagster_for_the_grace():
    now = T0 + dt.timedelta(seconds=30)
    gone = view("STARTED", worker_pid=7201, worker_pid_at=T0, last_event_at=T0)
    dead = lambda pid, at: False  # noqa: E731
    assert runs.stuck_reason(gone, now, 1800, True, alive=dead, gone_grace=60) is None
    later = now + dt.timedelta(seconds=60)
    assert runs.stuck_reason(gone, later, 1800, True, alive=dead, gone_grace=60) == (
        "run worker process 7201 is gone"
    )

"""The GraphQL documents the API sends, one per REST call where possible.

Each REST read is one document (aliases gather schedules, runs and daemon
health in a single round trip); documents are built from the catalog so a new
job type needs no change here.
"""

from __future__ import annotations

from collections.abc import Sequence

from moo_markets.api.locations import WORKSPACE_FIELDS
from moo_markets.core.catalog import JobType
from moo_markets.core.runs import ASSET_JOB, UNFINISHED

UNFINISHED_STATUSES = sorted(UNFINISHED)

RUN_FIELDS = """
fragment RunFields on Run {
  runId status pipelineName creationTime startTime endTime updateTime
  tags { key value }
  assetSelection { path }
}
"""

RUN_LIST = (
    RUN_FIELDS
    + """
fragment RunList on RunsOrError {
  __typename
  ... on Runs { results { ...RunFields } }
  ... on Error { message }
}
"""
)

FAILURE_EVENTS = """
fragment FailureEvents on EventConnection {
  hasMore
  events {
    __typename
    ... on MessageEvent { message timestamp }
    ... on StepEvent { stepKey }
    ... on ErrorEvent { error { ...ErrorChain } }
    ... on ExecutionStepFailureEvent { failureMetadata { description } }
  }
}
fragment ErrorChain on PythonError {
  className message
  cause { className message cause { className message cause { className message } } }
}
"""
"""Every fact the core needs from a run's events: failed and retried steps with the user's
error (Dagster wraps it, hence the cause chain), a dg.Failure's description, the run failure
and cancel messages, and the engine events naming the worker pid."""

DAEMON_FIELDS = """
  instance {
    daemonHealth {
      allDaemonStatuses { daemonType healthy required lastHeartbeatTime }
    }
  }
"""

ASSET_RUNS_WINDOW = 25
"""Newest ``__ASSET_JOB`` runs a job summary looks at for UI/backfill runs of its assets."""


def jobs_document(jobs: Sequence[JobType], *, daemons: bool = False) -> str:
    """The workspace (locations, their jobs and schedules), unfinished runs, each job's
    newest run and the newest asset runs."""
    params = "".join(f", $job{job.id}: String!" for job in jobs)
    last_runs = "".join(
        f"  last{job.id}: runsOrError(filter: {{pipelineName: $job{job.id}}}, limit: 1) "
        "{ ...RunList }\n"
        for job in jobs
    )
    return (
        f"query Jobs($unfinished: [RunStatus!]!{params}) {{\n"
        + WORKSPACE_FIELDS
        + "  unfinished: runsOrError(filter: {statuses: $unfinished}, limit: 1000) { ...RunList }\n"
        + f'  assetRuns: runsOrError(filter: {{pipelineName: "{ASSET_JOB}"}}, '
        + f"limit: {ASSET_RUNS_WINDOW}) {{ ...RunList }}\n"
        + last_runs
        + (DAEMON_FIELDS if daemons else "")
        + "}\n"
        + RUN_LIST
    )


EXECUTIONS = (
    """
query Executions($job: String!, $limit: Int!, $assetLimit: Int!) {
  own: runsOrError(filter: {pipelineName: $job}, limit: $limit) { ...RunList }
  assetRuns: runsOrError(filter: {pipelineName: "__ASSET_JOB"}, limit: $assetLimit) { ...RunList }
}
"""
    + RUN_LIST
)

MORE_ASSET_RUNS = (
    """
query MoreAssetRuns($cursor: String!, $limit: Int!) {
  assetRuns: runsOrError(filter: {pipelineName: "__ASSET_JOB"}, cursor: $cursor, limit: $limit) {
    ...RunList
  }
}
"""
    + RUN_LIST
)


def failure_events_document(count: int) -> str:
    """Events of ``count`` runs ($r0, $r1...), for their error messages."""
    params = ", ".join(f"$r{i}: ID!" for i in range(count))
    fields = "".join(
        f"  e{i}: runOrError(runId: $r{i}) {{ __typename ... on Run {{ runId "
        "eventConnection(limit: $events) { ...FailureEvents } } }\n"
        for i in range(count)
    )
    return f"query Failures({params}, $events: Int!) {{\n{fields}}}\n{FAILURE_EVENTS}"


RUN_DETAIL = (
    """
query Run($runId: ID!, $events: Int!) {
  runOrError(runId: $runId) {
    __typename
    ... on Run {
      ...RunFields
      stepStats { stepKey status startTime endTime attempts { startTime endTime } }
      eventConnection(limit: $events) { ...FailureEvents }
    }
    ... on Error { message }
  }
}
"""
    + RUN_FIELDS
    + FAILURE_EVENTS
)

RUN_STATE = (
    """
query RunState($runId: ID!) {
  runOrError(runId: $runId) { __typename ... on Run { ...RunFields } ... on Error { message } }
}
"""
    + RUN_FIELDS
)

UNFINISHED_WITH_EVENTS = (
    """
query Unfinished($unfinished: [RunStatus!]!, $events: Int!) {
  runsOrError(filter: {statuses: $unfinished}, limit: 1000) {
    __typename
    ... on Runs { results { ...RunFields eventConnection(limit: $events) { ...FailureEvents } } }
    ... on Error { message }
  }
}
"""
    + RUN_FIELDS
    + FAILURE_EVENTS
)

PARTITIONS = """
query Partitions($selector: PipelineSelector!, $all: Boolean!) {
  pipelineOrError(params: $selector) {
    __typename
    ... on Pipeline {
      newest: partitionKeysOrError(reverse: true, limit: 1) { partitionKeys }
      all: partitionKeysOrError @include(if: $all) { partitionKeys }
    }
    ... on Error { message }
  }
}
"""

LAUNCH = (
    """
mutation Launch($params: ExecutionParams!) {
  launchRun(executionParams: $params) {
    __typename
    ... on LaunchRunSuccess { run { ...RunFields } }
    ... on RunConfigValidationInvalid { errors { message } }
    ... on InvalidStepError { invalidStepKey }
    ... on InvalidOutputError { invalidOutputName }
    ... on Error { message }
  }
}
"""
    + RUN_FIELDS
)

START_SCHEDULE = """
mutation Start($selector: ScheduleSelector!) {
  startSchedule(scheduleSelector: $selector) {
    __typename
    ... on ScheduleStateResult { scheduleState { id status nextTick { timestamp } } }
    ... on PythonError { className message }
    ... on Error { message }
  }
}
"""

STOP_SCHEDULE = """
mutation Stop($id: String!) {
  stopRunningSchedule(id: $id) {
    __typename
    ... on ScheduleStateResult { scheduleState { id status nextTick { timestamp } } }
    ... on Error { message }
  }
}
"""

SCHEDULE_CRON = """
query ScheduleCron($selector: ScheduleSelector!) {
  scheduleOrError(scheduleSelector: $selector) {
    __typename
    ... on Schedule {
      name cronSchedule description
      scheduleState { id status nextTick { timestamp } }
    }
    ... on Error { message }
  }
}
"""
"""One schedule with its description, which says where its cron comes from (``core.cron``)."""

RELOAD_LOCATION = """
mutation ReloadLocation($location: String!) {
  reloadRepositoryLocation(repositoryLocationName: $location) {
    __typename
    ... on WorkspaceLocationEntry {
      name
      displayMetadata { key value }
      locationOrLoadError { __typename ... on PythonError { message } }
    }
    ... on Error { message }
  }
}
"""
"""Re-imports the code location (its ``@definitions`` factory reads the overrides again).
With a shared ``dagster code-server`` the daemon follows within about a second."""


def terminate_document(count: int) -> str:
    """Terminate ``count`` runs ($r0...) with one policy, each answer under its alias."""
    params = ", ".join(f"$r{i}: String!" for i in range(count))
    fields = "".join(
        f"  t{i}: terminateRun(runId: $r{i}, terminatePolicy: $policy) {{ __typename "
        "... on TerminateRunSuccess { run { runId status } } "
        "... on TerminateRunFailure { message run { runId status } } "
        "... on Error { message } }\n"
        for i in range(count)
    )
    return f"mutation Terminate({params}, $policy: TerminateRunPolicy!) {{\n{fields}}}\n"


HEALTH = "query Health { version }"

"""Which Dagster code location holds the catalog's jobs, found in the webserver's workspace.

A location's name depends on how Dagster was started: ``moo_markets`` with
``dagster dev`` (pyproject's ``[tool.dagster]``) or a workspace file,
``moo_markets.definitions`` with ``dagster dev -m moo_markets.definitions``,
anything with ``--location-name``. So the API never assumes one: it reads the
workspace (``workspaceOrError``) and takes the loaded location whose
repository holds the catalog's jobs. ``MOO_MARKETS_CODE_LOCATION`` only
chooses when several do (or names the one whose load error to report).

Reads carry the workspace in their own GraphQL document, so what they show is
never stale; launching a run needs a selector first and uses the location
remembered from the last look (at most :data:`TTL` old), looking again when
Dagster says that location is missing or broken.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from moo_markets.api.errors import DagsterError, DagsterUnavailable
from moo_markets.core.catalog import JOBS, JobType

TTL = 60.0
"""Seconds a discovered location is reused for launching runs without looking again."""

WORKSPACE_FIELDS = """
  workspace: workspaceOrError {
    __typename
    ... on Workspace {
      locationEntries {
        name loadStatus
        locationOrLoadError {
          __typename
          ... on RepositoryLocation {
            repositories {
              name
              jobs { name }
              schedules {
                name pipelineName cronSchedule executionTimezone
                scheduleState { id status nextTick { timestamp } }
              }
            }
          }
          ... on PythonError { className message }
        }
      }
    }
    ... on PythonError { className message }
  }
"""
"""Every location with its repositories, their jobs and schedules (with state): what a job
read needs, and what discovery needs, in one field."""

WORKSPACE = "query Workspace {\n" + WORKSPACE_FIELDS + "}\n"

CATALOG_JOBS = frozenset(job.job_name for job in JOBS)


@dataclass(frozen=True)
class Location:
    """A loaded code location (and its repository) holding catalog jobs."""

    name: str
    repository: str
    jobs: frozenset[str]
    schedules: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)

    @property
    def repo(self) -> dict[str, str]:
        return {"repositoryLocationName": self.name, "repositoryName": self.repository}

    def holds(self, job: JobType) -> bool:
        return job.job_name in self.jobs

    def schedule(self, job: JobType) -> Mapping[str, Any] | None:
        return self.schedules.get(job.schedule_name) if self.holds(job) else None


@dataclass(frozen=True)
class _Entry:
    name: str
    location: Location | None  # a loaded location holding catalog jobs
    load_error: str | None
    loading: bool


def _entries(workspace: Any) -> list[_Entry]:
    if not isinstance(workspace, Mapping):
        raise DagsterError("Dagster returned no workspace")
    if workspace.get("__typename") != "Workspace":
        kind = workspace.get("__typename") or "error"
        message = workspace.get("message") or ""
        raise DagsterError(f"Dagster could not give its workspace: {kind}: {message}".rstrip(": "))
    entries = []
    for entry in workspace.get("locationEntries") or ():
        name = entry.get("name") or "?"
        loaded = entry.get("locationOrLoadError") or {}
        kind = loaded.get("__typename")
        location = None
        if kind == "RepositoryLocation":
            for repository in loaded.get("repositories") or ():
                jobs = frozenset(j["name"] for j in repository.get("jobs") or ()) & CATALOG_JOBS
                if jobs:
                    schedules = {s["name"]: s for s in repository.get("schedules") or ()}
                    location = Location(name, repository["name"], jobs, schedules)
                    break
        entries.append(
            _Entry(
                name=name,
                location=location,
                load_error=(loaded.get("message") or kind) if kind == "PythonError" else None,
                loading=not kind and entry.get("loadStatus") == "LOADING",
            )
        )
    return entries


def _load_problem(entry: _Entry) -> str:
    if entry.load_error is not None:
        return (
            f"the Dagster code location {entry.name!r} failed to load: "
            f"{entry.load_error.strip()} (fix it, then reload the location in the Dagster UI)"
        )
    return f"the Dagster code location {entry.name!r} is still loading; try again shortly"


def resolve(workspace: Any, preferred: str | None = None) -> Location | None:
    """The location holding the catalog's jobs, or None when no location holds any.

    503 (:class:`DagsterUnavailable`) when it cannot be told: the location that
    should hold them failed to load or is loading, or several hold them and
    ``preferred`` does not say which.
    """
    entries = _entries(workspace)
    holding = [e.location for e in entries if e.location is not None]
    named = [e for e in entries if preferred is not None and e.name == preferred]
    if named and named[0].location is None and (named[0].load_error or named[0].loading):
        raise DagsterUnavailable(_load_problem(named[0]))
    if len(holding) == 1:
        return holding[0]
    if len(holding) > 1:
        chosen = [loc for loc in holding if loc.name == preferred]
        if chosen:
            return chosen[0]
        names = ", ".join(sorted(repr(loc.name) for loc in holding))
        why = (
            f"MOO_MARKETS_CODE_LOCATION={preferred!r} is none of them"
            if preferred
            else "set MOO_MARKETS_CODE_LOCATION to the one the API should use"
        )
        raise DagsterUnavailable(
            f"several Dagster code locations hold the catalog's jobs ({names}): {why}"
        )
    broken = [e for e in entries if e.load_error is not None or e.loading]
    if broken:
        raise DagsterUnavailable("; ".join(_load_problem(e) for e in broken))
    return None


def location_names(workspace: Any) -> list[str]:
    try:
        return [e.name for e in _entries(workspace)]
    except DagsterError:
        return []


class Locations:
    """The remembered location for launching runs; reads refresh it as they go."""

    def __init__(self, gql: Any, preferred: str | None) -> None:
        self.gql = gql
        self.preferred = preferred
        self._location: Location | None = None
        self._seen_at = 0.0
        self.names: list[str] = []
        """Names of every location in the last workspace seen (for messages)."""

    def observe(self, workspace: Any) -> Location | None:
        """Resolve a workspace read by any document, and remember the outcome."""
        self.names = location_names(workspace)
        try:
            location = resolve(workspace, self.preferred)
        except DagsterError:
            self.forget()
            raise
        self._location, self._seen_at = location, time.monotonic()
        return location

    async def fetch(self) -> Location | None:
        """Look at the workspace now."""
        data = await self.gql.query(WORKSPACE)
        return self.observe(data.get("workspace"))

    async def current(self) -> Location | None:
        """The remembered location while fresh, else a new look."""
        if self._location is not None and time.monotonic() - self._seen_at < TTL:
            return self._location
        return await self.fetch()

    def forget(self) -> None:
        self._location, self._seen_at = None, 0.0

"""Plain ``dagster dev`` and ``moo-markets dev`` as a user starts them, for end-to-end tests.

A fresh clone's environment (no ``DAGSTER_*``/``JQUANTS_*``/``MOO_MARKETS_*``
variables), a reader of the child's output that never lets it block, the
workspace check that says the UI is ready, and a stop of the whole process group.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

import requests

BIN = Path(sys.executable).parent


INSTANCE = """
{
  instance {
    concurrencyLimit(concurrencyKey: "jquants") { limit }
    poolConfig { poolGranularity }
    runQueueConfig { maxConcurrentRuns tagConcurrencyLimitsYaml }
  }
  shouldShowNux
  workspaceOrError { ... on Workspace { locationEntries { name
    locationOrLoadError { __typename ... on PythonError { message } } } } }
}
"""


class Output:
    """A child's combined stdout/stderr, collected by a thread (the child never blocks)."""

    def __init__(self, process: subprocess.Popen[str]) -> None:
        self.lines: list[str] = []
        self._thread = threading.Thread(target=self._read, args=(process,), daemon=True)
        self._thread.start()

    def _read(self, process: subprocess.Popen[str]) -> None:
        for line in process.stdout:
            self.lines.append(line.rstrip("\n"))

    def text(self) -> str:
        return "\n".join(self.lines)

    def join(self) -> None:
        self._thread.join(timeout=30)


def graphql(url: str, query: str, variables: dict | None = None) -> dict:
    response = requests.post(
        f"{url}/graphql", json={"query": query, "variables": variables or {}}, timeout=60
    )
    body = response.json()
    assert not body.get("errors"), body
    return body["data"]


def loaded_locations(url: str) -> list[str] | None:
    try:
        entries = graphql(url, INSTANCE)["workspaceOrError"]["locationEntries"]
    except (requests.RequestException, ValueError):
        return None
    kinds = [(e["locationOrLoadError"] or {}).get("__typename") for e in entries]
    errors = [e["locationOrLoadError"].get("message") for e in entries if kinds and e["locationOrLoadError"] and e["locationOrLoadError"]["__typename"] == "PythonError"]  # fmt: skip
    assert not errors, errors
    return (
        [e["name"] for e in entries]
        if kinds and all(k == "RepositoryLocation" for k in kinds)
        else None
    )


def stop_group(process: subprocess.Popen, sig: int = signal.SIGINT, timeout: float = 90) -> None:
    try:
        os.killpg(process.pid, sig)
        process.wait(timeout=timeout)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        pass
    finally:
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        process.wait()


def clean_env(**extra: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DAGSTER_", "JQUANTS_", "MOO_MARKETS_"))
    }
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
    env.update(extra)
    return env

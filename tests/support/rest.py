"""The REST API as a real process (``moo-markets api``) against the shared Dagster stack."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from support.dagster_processes import free_port, wait_for

TOKEN = "e2e-api-token-not-a-secret"
BIN = Path(sys.executable).parent
RUN_TIMEOUT = 120.0


class Api:
    def __init__(self, url: str) -> None:
        self.url = url
        self.http = httpx.Client(base_url=url, timeout=90.0)
        self.auth = {"Authorization": f"Bearer {TOKEN}"}

    def get(self, path: str, **kwargs) -> httpx.Response:
        return self.http.get(f"/api/scheduler{path}", **kwargs)

    def put(self, path: str, **kwargs) -> httpx.Response:
        kwargs.setdefault("headers", self.auth)
        return self.http.put(f"/api/scheduler{path}", **kwargs)

    def delete(self, path: str, **kwargs) -> httpx.Response:
        kwargs.setdefault("headers", self.auth)
        return self.http.delete(f"/api/scheduler{path}", **kwargs)

    def post(self, path: str, **kwargs) -> httpx.Response:
        kwargs.setdefault("headers", self.auth)
        return self.http.post(f"/api/scheduler{path}", **kwargs)

    def data(self, response: httpx.Response, status: int = 200):
        assert response.status_code == status, response.text
        return response.json()["data"]

    def execution(self, run_id: str) -> dict:
        return self.data(self.get(f"/executions/{run_id}"))

    def wait_status(self, run_id: str, *statuses: str, timeout: float = RUN_TIMEOUT) -> dict:
        def reached():
            execution = self.execution(run_id)
            return execution if execution["status"] in statuses else None

        return wait_for(reached, timeout=timeout, message=f"run {run_id} to be {statuses}")

    def run_now(self, job: str = "1", **kwargs) -> str:
        return self.data(self.post(f"/jobs/{job}/run", **kwargs), 202)["run_id"]


@contextmanager
def api_process(
    dagster_url: str, env: dict[str, str], log: Path, token: str | None = TOKEN
) -> Iterator[Api]:
    """``moo-markets api`` on a free port, with ``token`` required for writes; yields an
    :class:`Api` once it answers and sees the webserver. On exit it is stopped and its log
    is checked for the token."""
    port = free_port()
    env = {**env, "MOO_MARKETS_DAGSTER_URL": dagster_url}
    if token:
        env["MOO_MARKETS_API_TOKEN"] = token
    with open(log, "wb") as out:
        process = subprocess.Popen(
            [str(BIN / "moo-markets"), "api", "--host", "127.0.0.1", "--port", str(port)],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    client = Api(f"http://127.0.0.1:{port}")

    def up():
        if process.poll() is not None:
            raise RuntimeError(f"moo-markets api exited: {log.read_text()}")
        try:
            return client.http.get("/api/health").json()["data"]["dagster"]["reachable"]
        except httpx.HTTPError:
            return False

    try:
        wait_for(up, timeout=60, message="the API to answer")
        yield client
    finally:
        client.http.close()
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
    if token:
        assert token not in log.read_text(), "the token must never be logged"

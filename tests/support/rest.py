"""The REST API as a real process (``moo-markets api``) against the shared Dagster stack."""

from __future__ import annotations

import sys
from pathlib import Path

import httpx

from support.dagster_processes import wait_for

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

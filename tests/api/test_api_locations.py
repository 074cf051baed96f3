"""The API finds the code location holding the catalog's jobs, whatever it is called.

Against the fake GraphQL transport, which answers a selector naming an unknown
location as Dagster 1.13 does (HTTP 500, ``DagsterCodeLocationNotFoundError``
in a ``PythonError`` under ``data``). The real ``dagster dev -m`` case is in
``test_api_plain_dagster_e2e.py``.
"""

from __future__ import annotations

import httpx
import pytest
from fastapi.testclient import TestClient
from support.fake_dagster import FakeDagster

from moo_markets.api import create_app
from moo_markets.api import locations as locations_module
from moo_markets.core.catalog import DAILY_BARS, JOBS, LISTED_COMPANIES
from moo_markets.core.settings import Settings


def make_client(fake: FakeDagster, **settings) -> TestClient:
    settings.setdefault("dagster_url", "http://dagster.invalid:3000")
    return TestClient(create_app(Settings(**settings), transport=fake.transport))


def detail(response, status: int) -> str:
    assert response.status_code == status, response.text
    text = response.json()["errors"]["detail"]
    assert "no data" not in text
    return text


def other_location(name: str, *, jobs=("something_else",), error: str | None = None) -> dict:
    if error is not None:
        loaded = {"__typename": "PythonError", "className": "Boom", "message": error}
    else:
        loaded = {
            "__typename": "RepositoryLocation",
            "repositories": [
                {"name": "__repository__", "jobs": [{"name": j} for j in jobs], "schedules": []}
            ],
        }
    return {"name": name, "loadStatus": "LOADED", "locationOrLoadError": loaded}


def test_a_location_named_by_dagster_dev_m_is_found():
    fake = FakeDagster(location="moo_markets.definitions")
    fake.other_locations.append(other_location("unrelated"))
    with make_client(fake) as client:
        jobs = client.get("/api/scheduler/jobs").json()["data"]
        assert {j["id"]: j["available"] for j in jobs if j["id"] in (1, 2)} == {1: True, 2: True}
        enabled = client.put("/api/scheduler/jobs/1/enabled", json={"enabled": True})
        assert enabled.status_code == 200, enabled.text
        assert fake.schedules[LISTED_COMPANIES.schedule_name]["scheduleState"]["status"] == (
            "RUNNING"
        )
        run = client.post("/api/scheduler/jobs/2/run", json={"partition": "2024-01-05"})
        assert run.status_code == 202, run.text
        assert client.get("/api/scheduler/status").status_code == 200


def test_a_location_that_failed_to_load_is_503_with_its_load_error():
    fake = FakeDagster(location="moo_markets.definitions")
    fake.load_error = "ModuleNotFoundError: No module named 'moo_markets.definitionz'"
    with make_client(fake) as client:
        for response in (
            client.get("/api/scheduler/jobs"),
            client.get("/api/scheduler/jobs/1"),
            client.get("/api/scheduler/status"),
            client.put("/api/scheduler/jobs/1/enabled", json={"enabled": True}),
            client.post("/api/scheduler/jobs/1/run"),
        ):
            text = detail(response, 503)
            assert "'moo_markets.definitions' failed to load" in text, text
            assert "No module named 'moo_markets.definitionz'" in text, text
        assert "Launch" not in fake.operations and "Start" not in fake.operations


def test_a_loading_location_is_503():
    fake = FakeDagster()
    fake.jobs.clear()
    fake.other_locations.append(
        {"name": "moo_markets", "loadStatus": "LOADING", "locationOrLoadError": None}
    )
    fake.location = "old"
    with make_client(fake) as client:
        assert "still loading" in detail(client.get("/api/scheduler/jobs"), 503)


def test_without_any_location_holding_the_jobs_they_are_unavailable():
    fake = FakeDagster(deployed=())
    fake.other_locations.append(other_location("unrelated"))
    with make_client(fake) as client:
        jobs = client.get("/api/scheduler/jobs")
        assert jobs.status_code == 200, jobs.text
        data = jobs.json()["data"]
        assert len(data) == len(JOBS)
        assert not any(j["available"] for j in data)
        assert not any(j["is_enabled"] for j in data)
        text = detail(client.put("/api/scheduler/jobs/1/enabled", json={"enabled": True}), 409)
        assert "not deployed" in text and "'unrelated'" in text
        assert "not deployed" in detail(client.post("/api/scheduler/jobs/1/run"), 409)


def test_an_unrelated_broken_location_does_not_hide_ours():
    fake = FakeDagster(location="moo_markets.definitions")
    fake.other_locations.append(other_location("broken", error="SyntaxError: nope"))
    with make_client(fake) as client:
        assert client.get("/api/scheduler/jobs").status_code == 200
        assert client.post("/api/scheduler/jobs/1/run").status_code == 202


def test_several_locations_holding_the_jobs_need_the_setting():
    fake = FakeDagster(location="b")
    fake.other_locations.append(
        other_location("a", jobs=(LISTED_COMPANIES.job_name, DAILY_BARS.job_name))
    )
    with make_client(fake) as client:
        text = detail(client.get("/api/scheduler/jobs"), 503)
        assert "'a', 'b'" in text and "MOO_MARKETS_CODE_LOCATION" in text
    with make_client(fake, code_location="b") as client:
        assert client.get("/api/scheduler/jobs").status_code == 200
        assert client.post("/api/scheduler/jobs/1/run").status_code == 202
    with make_client(fake, code_location="c") as client:
        assert "'c' is none of them" in detail(client.get("/api/scheduler/jobs"), 503)


def test_the_setting_does_not_override_the_only_location_holding_the_jobs():
    fake = FakeDagster(location="moo_markets.definitions")
    with make_client(fake, code_location="moo_markets") as client:
        assert client.post("/api/scheduler/jobs/1/run").status_code == 202


def test_a_renamed_location_is_found_again(monkeypatch):
    """The remembered location (kept for launches) is looked up again when Dagster says it
    is gone, e.g. after the webserver was restarted with ``-m``."""
    monkeypatch.setattr(locations_module, "TTL", 3600.0)
    fake = FakeDagster(location="moo_markets")
    with make_client(fake) as client:
        assert client.post("/api/scheduler/jobs/1/run").status_code == 202
        fake.location = "moo_markets.definitions"
        fake.operations.clear()
        response = client.post("/api/scheduler/jobs/1/run")
        assert response.status_code == 202, response.text
        assert fake.operations == ["Partitions", "Workspace", "Partitions", "Launch"]


def test_a_launch_reuses_the_remembered_location(monkeypatch):
    monkeypatch.setattr(locations_module, "TTL", 3600.0)
    fake = FakeDagster()
    with make_client(fake) as client:
        client.post("/api/scheduler/jobs/1/run")
        fake.operations.clear()
        client.post("/api/scheduler/jobs/1/run")
        assert fake.operations == ["Partitions", "Launch"]


def test_a_location_that_breaks_after_discovery_answers_its_load_error(monkeypatch):
    monkeypatch.setattr(locations_module, "TTL", 3600.0)
    fake = FakeDagster()
    with make_client(fake) as client:
        client.post("/api/scheduler/jobs/1/run")
        fake.load_error = "ImportError: cannot import name 'x'"
        text = detail(client.post("/api/scheduler/jobs/1/run"), 503)
        assert "cannot import name 'x'" in text


@pytest.mark.parametrize("status", [200, 500])
def test_a_python_error_under_data_is_surfaced_never_no_data(status):
    """Dagster answers a resolver's exception as a PythonError under ``data`` (HTTP 500 for
    DagsterCodeLocationNotFoundError), without ``errors``: the API names it."""
    fake = FakeDagster()
    message = (
        "dagster._core.errors.DagsterCodeLocationNotFoundError: "
        "Location moo_markets does not exist in workspace"
    )

    def broken(variables, query):
        error = {"__typename": "PythonError", "message": message}
        return httpx.Response(status, json={"data": {"own": error, "assetRuns": error}})

    fake._op_Executions = broken
    with make_client(fake) as client:
        text = detail(client.get("/api/scheduler/jobs/1/executions"), 502)
        assert "DagsterCodeLocationNotFoundError" in text and "does not exist" in text

"""Concurrent ``PUT .../enabled``: each answer shows the state its own request produced.

Under parallel clients another request's toggle can land between this request's
change and its final read; the answer must still say what this request did.
The real-webserver burst is in ``test_api_plain_dagster_e2e.py``.
"""

from __future__ import annotations

import random
import threading

import pytest
from fastapi.testclient import TestClient
from support.fake_dagster import FakeDagster

from moo_markets.api import create_app
from moo_markets.core.catalog import LISTED_COMPANIES
from moo_markets.core.settings import Settings

SCHEDULE = LISTED_COMPANIES.schedule_name


@pytest.fixture
def fake() -> FakeDagster:
    return FakeDagster()


@pytest.fixture
def client(fake):
    app = create_app(Settings(dagster_url="http://dagster.invalid:3000"), transport=fake.transport)
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client


def put(client, enabled: bool):
    return client.put("/api/scheduler/jobs/1/enabled", json={"enabled": enabled})


def test_a_later_toggle_does_not_change_this_answer(client, fake):
    fake.after["Start"] = lambda: fake.disable(SCHEDULE)  # another client disables at once
    response = put(client, True)
    assert response.status_code == 200, response.text
    job = response.json()["data"]
    assert job["is_enabled"] is True and job["next_run_at"] is not None
    assert client.get("/api/scheduler/jobs/1").json()["data"]["is_enabled"] is False

    fake.enable(SCHEDULE)
    fake.after["Stop"] = lambda: fake.enable(SCHEDULE)
    job = put(client, False).json()["data"]
    assert job["is_enabled"] is False and job["next_run_at"] is None


def test_losing_a_race_to_start_is_not_an_error(client, fake):
    """Seen STOPPED, started by another client (our start then fails: already running),
    stopped again by a third before we look: this request starts it again."""
    fake.after["Workspace"] = lambda: fake.enable(SCHEDULE)
    fake.after["Start"] = lambda: fake.disable(SCHEDULE)
    response = put(client, True)
    assert response.status_code == 200, response.text
    assert response.json()["data"]["is_enabled"] is True
    assert fake.operations.count("Start") == 2


def test_a_start_that_keeps_failing_is_502(client, fake):
    fake.schedules[SCHEDULE]["scheduleState"]["status"] = "STOPPED"
    fake._op_Start = lambda variables, query: {
        "startSchedule": {"__typename": "PythonError", "message": "scheduler storage is down"}
    }
    response = put(client, True)
    assert response.status_code == 502
    assert "scheduler storage is down" in response.json()["errors"]["detail"]


def test_parallel_clients_each_get_their_own_outcome(client, fake):
    wrong: list[tuple[bool, int, str]] = []
    lock = threading.Lock()

    def worker(seed: int) -> None:
        rng = random.Random(seed)
        for _ in range(25):
            enabled = rng.random() < 0.5
            response = put(client, enabled)
            ok = response.status_code == 200 and (response.json()["data"]["is_enabled"] is enabled)
            if not ok:
                with lock:
                    wrong.append((enabled, response.status_code, response.text[:200]))

    threads = [threading.Thread(target=worker, args=(seed,)) for seed in range(5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert fake.operations.count("Start") + fake.operations.count("Stop") > 10
    assert wrong == [], f"{len(wrong)} of 125 answers were not their own outcome: {wrong[:3]}"

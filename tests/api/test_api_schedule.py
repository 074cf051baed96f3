"""``PUT``/``DELETE /api/scheduler/jobs/:id/schedule`` against a fake GraphQL transport.

The fake's code location reads the overrides from a real warehouse (SQLite and
PostgreSQL) when it is reloaded, as ``moo_markets.definitions`` does; the end-to-end
test with a real webserver and daemon is ``tests/test_cron_change_e2e.py``.
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from support.fake_dagster import FakeDagster

from moo_markets.api import create_app, cron_change
from moo_markets.core.catalog import DAILY_BARS, LISTED_COMPANIES
from moo_markets.core.settings import Settings
from moo_markets.warehouse import schedule_overrides
from moo_markets.warehouse.engine import get_engine

TOKEN = "schedule-test-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
PATH = "/api/scheduler/jobs/{}/schedule"


@pytest.fixture(autouse=True)
def _fast(monkeypatch):
    monkeypatch.setattr(cron_change, "DAEMON_PICKUP_SECONDS", 0.0)
    for job in (LISTED_COMPANIES, DAILY_BARS):
        monkeypatch.delenv(job.cron_env_var, raising=False)


@pytest.fixture
def fake(warehouse_url) -> FakeDagster:
    fake = FakeDagster()
    # Like the @definitions factory: settings and overrides read on every load.
    fake.location_load = lambda: schedule_overrides.crons_in_force(
        Settings(database_url=warehouse_url)
    )
    return fake


@pytest.fixture
def client(fake, warehouse_url):
    app = create_app(
        Settings(
            dagster_url="http://dagster.invalid:3000", api_token=TOKEN, database_url=warehouse_url
        ),
        transport=fake.transport,
    )
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client


def stored(url: str) -> dict[int, tuple[str, str]]:
    with get_engine(url).connect() as connection:
        return {k: (v.cron, v.set_by) for k, v in schedule_overrides.read(connection).items()}


def detail(response, status: int) -> str:
    assert response.status_code == status, response.text
    assert set(response.json()) == {"errors"}
    return response.json()["errors"]["detail"]


def test_a_stopped_schedule_changes_cron_and_stays_stopped(client, fake, warehouse_url):
    response = client.put(PATH.format(1), json={"schedule": " 30  18 * * 1-5 "}, headers=AUTH)
    assert response.status_code == 200, response.text
    job = response.json()["data"]
    assert (job["schedule"], job["is_enabled"], job["next_run_at"]) == (
        "30 18 * * 1-5",
        False,
        None,
    )
    assert stored(warehouse_url) == {1: ("30 18 * * 1-5", "rest_api (testclient)")}
    assert "ReloadLocation" in fake.operations
    assert "Start" not in fake.operations and "Stop" not in fake.operations
    # By job_type too; another job is untouched.
    again = client.put(
        PATH.format("listed_companies"), json={"schedule": "0 7 * * *"}, headers=AUTH
    )
    assert again.json()["data"]["schedule"] == "0 7 * * *"
    assert client.get("/api/scheduler/jobs/2").json()["data"]["schedule"] == DAILY_BARS.default_cron


def test_a_running_schedule_is_stopped_around_the_reload_and_runs_after(client, fake):
    fake.enable(LISTED_COMPANIES.schedule_name)
    fake.operations.clear()
    response = client.put(PATH.format(1), json={"schedule": "45 9 * * *"}, headers=AUTH)
    job = response.json()["data"]
    assert (job["schedule"], job["is_enabled"]) == ("45 9 * * *", True)
    assert job["next_run_at"] is not None and job["next_run_at"].endswith("+09:00")
    ops = [o for o in fake.operations if o in ("Stop", "ReloadLocation", "ScheduleCron", "Start")]
    assert ops == ["Stop", "ReloadLocation", "ScheduleCron", "Start"], fake.operations


def test_delete_and_null_return_to_the_default(client, fake, warehouse_url, monkeypatch):
    client.put(PATH.format(1), json={"schedule": "1 2 * * *"}, headers=AUTH)
    client.put(PATH.format(2), json={"schedule": "3 4 * * *"}, headers=AUTH)
    reset = client.delete(PATH.format(1), headers=AUTH)
    assert reset.status_code == 200, reset.text
    assert reset.json()["data"]["schedule"] == LISTED_COMPANIES.default_cron
    assert set(stored(warehouse_url)) == {2}
    assert client.delete(PATH.format(1), headers=AUTH).status_code == 200  # idempotent
    # The environment of the code location is the default when there is one.
    monkeypatch.setenv(DAILY_BARS.cron_env_var, "0 20 * * 1-5")
    null = client.put(PATH.format(2), json={"schedule": None}, headers=AUTH)
    assert null.json()["data"]["schedule"] == "0 20 * * 1-5"
    assert stored(warehouse_url) == {}


@pytest.mark.parametrize(
    ("cron", "words"),
    [
        ("0 0 31 2 *", "never fires"),
        ("* * *", "3 field(s); use 5"),
        ("* * * * * *", "6 field(s)"),
        ("", "0 field(s)"),
        ("61 * * * *", "not a valid cron expression"),
        ("0 25 * * *", "not a valid cron expression"),
        ("a b c d e", "not a valid cron expression"),
    ],
)
def test_bad_crons_are_refused_naming_the_problem(client, fake, warehouse_url, cron, words):
    fake.enable(LISTED_COMPANIES.schedule_name)
    message = detail(client.put(PATH.format(1), json={"schedule": cron}, headers=AUTH), 422)
    assert message.startswith("schedule: ") and words in message, message
    assert stored(warehouse_url) == {}
    assert "ReloadLocation" not in fake.operations and "Stop" not in fake.operations


@pytest.mark.parametrize(
    ("body", "words"),
    [
        ({}, "body.schedule"),
        ({"schedule": 5}, "body.schedule"),
        ({"schedule": "* * * * *", "extra": 1}, "extra"),
        ({"schedule": "*" * 300}, "body.schedule"),
    ],
)
def test_bad_bodies_are_422(client, body, words):
    assert words in detail(client.put(PATH.format(1), json=body, headers=AUTH), 422)


def test_unknown_job_and_token(client):
    assert "unknown job" in detail(
        client.put(PATH.format(999), json={"schedule": "* * * * *"}, headers=AUTH), 404
    )
    assert "missing bearer token" in detail(
        client.put(PATH.format(1), json={"schedule": "* * * * *"}), 401
    )
    assert "wrong bearer token" in detail(
        client.delete(PATH.format(1), headers={"Authorization": "Bearer nope"}), 401
    )


def test_a_location_that_fails_to_load_puts_the_previous_cron_back(client, fake, warehouse_url):
    client.put(PATH.format(1), json={"schedule": "1 2 * * *"}, headers=AUTH)
    fake.enable(LISTED_COMPANIES.schedule_name)
    working = fake.location_load
    calls = []

    def broken_once():
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("SyntaxError in moo_markets/definitions.py")
        return working()

    fake.location_load = broken_once
    message = detail(client.put(PATH.format(1), json={"schedule": "5 6 * * *"}, headers=AUTH), 502)
    assert "failed to load" in message and "SyntaxError" in message
    assert stored(warehouse_url) == {1: ("1 2 * * *", "rest_api (testclient)")}
    job = client.get("/api/scheduler/jobs/1").json()["data"]
    assert (job["schedule"], job["is_enabled"]) == ("1 2 * * *", True)  # still running


def test_a_location_reading_another_warehouse_is_reported(client, fake, warehouse_url, monkeypatch):
    monkeypatch.setattr(cron_change, "APPLY_TIMEOUT", 0.5)
    fake.location_load = lambda: {}  # loads, but never sees the override
    message = detail(client.put(PATH.format(1), json={"schedule": "5 6 * * *"}, headers=AUTH), 502)
    assert "did not read the override" in message and "same warehouse" in message
    assert stored(warehouse_url) == {}


def test_reload_not_supported_is_502(client, fake, warehouse_url):
    fake.reload_answer = {"__typename": "ReloadNotSupported", "message": "not supported"}
    message = detail(client.put(PATH.format(1), json={"schedule": "5 6 * * *"}, headers=AUTH), 502)
    assert "could not reload" in message and "ReloadNotSupported" in message
    assert stored(warehouse_url) == {}


def test_not_deployed_is_409(warehouse_url):
    fake = FakeDagster(deployed=("daily_bars",))
    app = create_app(
        Settings(dagster_url="http://d.invalid:3000", database_url=warehouse_url),
        transport=fake.transport,
    )
    with TestClient(app, raise_server_exceptions=False) as client:
        response = client.put(PATH.format(1), json={"schedule": "5 6 * * *"})
        assert "not deployed" in detail(response, 409)
    assert stored(warehouse_url) == {}


def test_an_unwritable_warehouse_is_503_and_changes_nothing(tmp_path):
    fake = FakeDagster()
    fake.enable(LISTED_COMPANIES.schedule_name)
    missing = f"sqlite:///{tmp_path / 'nowhere.db'}"
    app = create_app(
        Settings(dagster_url="http://d.invalid:3000", database_url=missing),
        transport=fake.transport,
    )
    with TestClient(app, raise_server_exceptions=False) as client:
        message = detail(client.put(PATH.format(1), json={"schedule": "5 6 * * *"}), 503)
        assert "cannot read schedule overrides" in message and "unchanged" in message
    assert not (tmp_path / "nowhere.db").exists()
    assert "Stop" not in fake.operations and "ReloadLocation" not in fake.operations


def test_an_unmigrated_warehouse_is_503(tmp_path):
    url = f"sqlite:///{tmp_path / 'empty.db'}"
    sa.create_engine(url).connect().close()  # the file exists, without tables
    app = create_app(
        Settings(dagster_url="http://d.invalid:3000", database_url=url),
        transport=FakeDagster().transport,
    )
    with TestClient(app, raise_server_exceptions=False) as client:
        message = detail(client.put(PATH.format(1), json={"schedule": "5 6 * * *"}), 503)
        assert "moo-markets db upgrade" in message

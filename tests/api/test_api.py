"""The REST API's translation layer, against a fake GraphQL transport.

The acceptance tests against real Dagster processes are in test_api_e2e.py;
these cover what a real webserver cannot be made to do on demand (be down,
answer HTTP 500, lose a code server) and every documented 4xx.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
import subprocess
import sys
import time

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from pydantic import ValidationError
from support.fake_dagster import FakeDagster

from moo_markets.api import create_app
from moo_markets.core.catalog import DAILY_BARS, JOB_TYPE_TAG, JOBS, LISTED_COMPANIES, find
from moo_markets.core.settings import Settings
from moo_markets.core.time import JST, now_jst

TOKEN = "s3cret-token-for-tests"


@pytest.fixture
def fake() -> FakeDagster:
    return FakeDagster()


def make_client(fake: FakeDagster, **settings) -> TestClient:
    settings.setdefault("dagster_url", "http://dagster.invalid:3000")
    app = create_app(Settings(**settings), transport=fake.transport)
    return TestClient(app, raise_server_exceptions=False)


@pytest.fixture
def client(fake: FakeDagster):
    with make_client(fake) as client:
        yield client


def assert_error(response, status: int, *words: str) -> str:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"errors"} and set(body["errors"]) == {"detail"}, body
    detail = body["errors"]["detail"]
    for word in words:
        assert word in detail, detail
    assert "Traceback" not in detail
    return detail


def aware(text: str | None) -> dt.datetime:
    assert text is not None
    value = dt.datetime.fromisoformat(text)
    assert value.utcoffset() is not None, text
    return value


# -- jobs ------------------------------------------------------------------------------------
def test_list_jobs_translates_schedules_and_runs(client, fake):
    fake.enable(LISTED_COMPANIES.schedule_name, next_tick=1_800_000_000.0)
    done = fake.add_run(LISTED_COMPANIES.job_name, "SUCCESS", created=1_700_000_000.0)
    fake.add_run(DAILY_BARS.job_name, "STARTED", tags={"dagster/partition": "2024-01-05"})

    body = client.get("/api/scheduler/jobs").json()["data"]

    assert [j["id"] for j in body] == [job.id for job in JOBS] and body[2]["id"] == 3
    listed, bars = body[:2]
    assert listed["job_type"] == "listed_companies" and listed["schedule"] == "15 8 * * 1-5"
    assert listed["timezone"] == "Asia/Tokyo"
    assert listed["is_enabled"] is True and listed["is_running"] is False
    assert aware(listed["next_run_at"]) == dt.datetime.fromtimestamp(1_800_000_000, dt.UTC)
    assert listed["last_execution"]["run_id"] == done
    assert listed["last_execution"]["status"] == "completed"
    assert aware(listed["last_run_at"]) == aware(listed["last_execution"]["started_at"])
    assert listed["inserted_at"] is None and listed["updated_at"] is None
    assert bars["is_enabled"] is False and bars["next_run_at"] is None
    assert bars["is_running"] is True
    assert bars["last_execution"]["partition"] == "2024-01-05"
    assert bars["last_execution"]["status"] == "running"
    assert bars["last_execution"]["completed_at"] is None
    assert fake.operations == ["Jobs"], "one GraphQL document per list"


def test_ui_materializations_count_as_the_jobs_runs(client, fake):
    fake.add_run(LISTED_COMPANIES.job_name, "SUCCESS", created=1_700_000_000.0)
    ui_run = fake.add_run(
        "__ASSET_JOB", "FAILURE", assets=["listed_companies"], created=1_700_000_100.0
    )
    fake.add_run("__ASSET_JOB", "SUCCESS", assets=["daily_bars"], created=1_700_000_200.0)

    listed = client.get("/api/scheduler/jobs/1").json()["data"]
    executions = client.get("/api/scheduler/jobs/1/executions").json()["data"]

    assert listed["last_execution"]["run_id"] == ui_run
    assert listed["last_execution"]["status"] == "failed"
    assert [e["job_type"] for e in executions] == ["listed_companies", "listed_companies"]
    assert executions[0]["run_id"] == ui_run


def test_job_paths_accept_id_or_job_type(client):
    by_id = client.get("/api/scheduler/jobs/2").json()
    by_type = client.get("/api/scheduler/jobs/daily_bars").json()
    assert by_id == by_type and by_id["data"]["job_type"] == "daily_bars"


@pytest.mark.parametrize("ref", ["999", "0", "nope", "listed_companies_job", "%20"])
def test_unknown_job_is_404(client, ref):
    assert_error(client.get(f"/api/scheduler/jobs/{ref}"), 404, "unknown job")
    assert_error(client.post(f"/api/scheduler/jobs/{ref}/run"), 404, "unknown job")
    assert_error(client.get(f"/api/scheduler/jobs/{ref}/executions"), 404)


def test_status(client, fake):
    fake.enable(LISTED_COMPANIES.schedule_name)
    fake.add_run(LISTED_COMPANIES.job_name, "STARTED")
    fake.add_run(LISTED_COMPANIES.job_name, "QUEUED")
    fake.add_run("some_other_job", "STARTED")

    data = client.get("/api/scheduler/status").json()["data"]

    assert data["scheduler_running"] is True
    assert {d["daemon_type"] for d in data["daemons"]} >= {"SCHEDULER"}
    assert all(aware(d["last_heartbeat_at"]) for d in data["daemons"])
    assert data["running_executions"] == 2
    assert [j["job_type"] for j in data["jobs"]] == [job.job_type for job in JOBS]
    assert [j["job_type"] for j in data["jobs"][:2]] == ["listed_companies", "daily_bars"]
    assert data["jobs"][0]["is_enabled"] is True and data["jobs"][0]["is_running"] is True
    fake.daemons_healthy = False
    assert client.get("/api/scheduler/status").json()["data"]["scheduler_running"] is False


# -- enable / disable -------------------------------------------------------------------------
def test_enable_disable_is_idempotent(client, fake):
    response = client.put("/api/scheduler/jobs/1/enabled", json={"enabled": True})
    assert response.status_code == 200
    assert response.json()["data"]["is_enabled"] is True
    assert aware(response.json()["data"]["next_run_at"])
    assert fake.operations.count("Start") == 1

    again = client.put("/api/scheduler/jobs/listed_companies/enabled", json={"enabled": True})
    assert again.status_code == 200 and again.json()["data"]["is_enabled"] is True
    assert fake.operations.count("Start") == 1, "enabling an enabled job changes nothing"

    off = client.put("/api/scheduler/jobs/1/enabled", json={"enabled": False})
    assert off.status_code == 200
    assert off.json()["data"]["is_enabled"] is False and off.json()["data"]["next_run_at"] is None
    assert fake.operations.count("Stop") == 1
    client.put("/api/scheduler/jobs/1/enabled", json={"enabled": False})
    assert fake.operations.count("Stop") == 1


@pytest.mark.parametrize(
    "kwargs, words",
    [
        ({"json": {"enabled": "yes"}}, ["body.enabled", "boolean", "'yes'"]),
        ({"json": {"enabled": 1}}, ["body.enabled", "boolean"]),
        ({"json": {}}, ["body.enabled", "required"]),
        ({"json": {"enabled": True, "extra": 1}}, ["body.extra"]),
        ({"json": [True]}, ["body", "JSON object"]),
        (
            {"content": b'{"enabled": tru', "headers": {"content-type": "application/json"}},
            ["malformed JSON"],
        ),
        ({}, ["body"]),
        ({"content": b"\xff\xfe{", "headers": {"content-type": "application/json"}}, ["body"]),
        (
            {
                "content": b"enabled=true",
                "headers": {"content-type": "application/x-www-form-urlencoded"},
            },
            ["Content-Type: application/json"],
        ),
    ],
)
def test_enable_rejects_bad_bodies(client, fake, kwargs, words):
    assert_error(client.put("/api/scheduler/jobs/1/enabled", **kwargs), 422, *words)
    assert "Start" not in fake.operations


def test_a_body_without_content_type_is_read_as_json(client):
    response = client.put("/api/scheduler/jobs/1/enabled", content=b'{"enabled": true}')
    assert response.status_code == 200, response.text


def test_undeployed_job_is_listed_but_cannot_change(fake):
    fake = FakeDagster(deployed=("listed_companies",))
    with make_client(fake) as client:
        bars = client.get("/api/scheduler/jobs/2").json()["data"]
        assert bars["available"] is False and bars["is_enabled"] is False
        assert bars["schedule"] == DAILY_BARS.default_cron
        assert_error(
            client.put("/api/scheduler/jobs/2/enabled", json={"enabled": True}), 409, "not deployed"
        )
        assert_error(client.post("/api/scheduler/jobs/2/run"), 409, "not deployed")


# -- run now -----------------------------------------------------------------------------------
def test_run_now_queues_a_tagged_run(client, fake):
    response = client.post("/api/scheduler/jobs/1/run")
    assert response.status_code == 202, response.text
    execution = response.json()["data"]
    assert execution["status"] == "running" and execution["dagster_status"] == "QUEUED"
    assert execution["job_id"] == 1 and execution["partition"] is None
    assert aware(execution["started_at"])
    run = fake.runs[execution["run_id"]]
    tags = {t["key"]: t["value"] for t in run["tags"]}
    assert tags[JOB_TYPE_TAG] == "listed_companies" and tags["moo_markets/launched_by"] == "api"
    assert "dagster/partition" not in tags


def test_partitioned_run_defaults_to_the_newest_partition(fake):
    # A plan without delay; on Free the default is the newest day the plan may see (below).
    with make_client(fake, jquants_plan="standard") as client:
        execution = client.post("/api/scheduler/jobs/daily_bars/run").json()["data"]
        assert execution["partition"] == "2024-01-06"
        tags = {t["key"]: t["value"] for t in fake.runs[execution["run_id"]]["tags"]}
        assert tags["dagster/partition"] == "2024-01-06"

        chosen = client.post("/api/scheduler/jobs/2/run", json={"partition": "2024-01-04"})
        assert chosen.status_code == 202 and chosen.json()["data"]["partition"] == "2024-01-04"


def test_free_run_now_defaults_to_the_newest_day_the_plan_may_see(client, fake):
    execution = client.post("/api/scheduler/jobs/daily_bars/run").json()["data"]
    assert execution["partition"] == DAILY_BARS.default_partition(now_jst().date(), "free")
    assert execution["partition"] < (now_jst().date() - dt.timedelta(weeks=11)).isoformat()


@pytest.mark.parametrize("partition", ["2024-01-07", "2008-05-06", "20240105", "garbage", ""])
def test_invalid_partition_is_422_and_launches_nothing(client, fake, partition):
    response = client.post("/api/scheduler/jobs/2/run", json={"partition": partition})
    assert_error(response, 422, "partition")
    assert "Launch" not in fake.operations


def test_partition_of_an_unpartitioned_job_is_422(client):
    response = client.post("/api/scheduler/jobs/1/run", json={"partition": "2024-01-05"})
    assert_error(response, 422, "partition", "not partitioned")


def test_run_body_must_be_valid(client):
    assert_error(
        client.post("/api/scheduler/jobs/1/run", json={"partiton": "x"}), 422, "body.partiton"
    )
    assert_error(
        client.post("/api/scheduler/jobs/2/run", json={"partition": 20240105}),
        422,
        "body.partition",
    )


@pytest.fixture
def premium(fake: FakeDagster):
    """A Premium key: the fake's 2024 partitions lie in its history window."""
    with make_client(fake, jquants_plan="premium") as client:
        yield client


def test_a_range_is_one_run_with_the_single_run_backfill_tags(premium, fake):
    response = premium.post(
        "/api/scheduler/jobs/daily_bars/run", json={"start": "2024-01-04", "end": "2024-01-06"}
    )
    assert response.status_code == 202, response.text
    execution = response.json()["data"]
    assert execution["partition"] == "2024-01-04...2024-01-06" and execution["job_id"] == 2
    assert len(fake.runs) == 1
    tags = {t["key"]: t["value"] for t in fake.runs[execution["run_id"]]["tags"]}
    assert tags["dagster/asset_partition_range_start"] == "2024-01-04"
    assert tags["dagster/asset_partition_range_end"] == "2024-01-06"
    assert "dagster/partition" not in tags and tags[JOB_TYPE_TAG] == "daily_bars"
    listed = premium.get("/api/scheduler/jobs/2/executions").json()["data"]
    assert [e["partition"] for e in listed] == ["2024-01-04...2024-01-06"]


def test_a_weekly_range_is_one_run_too(premium, fake):
    """Every partitioned dataset takes ranges (weekly ones load whole months from files)."""
    response = premium.post(
        "/api/scheduler/jobs/investor_types/run", json={"start": "2024-01-04", "end": "2024-01-05"}
    )
    assert response.status_code == 202, response.text
    execution = response.json()["data"]
    assert execution["partition"] == "2024-01-04...2024-01-05"
    tags = {t["key"]: t["value"] for t in fake.runs[execution["run_id"]]["tags"]}
    assert tags["dagster/asset_partition_range_start"] == "2024-01-04"
    assert tags["dagster/asset_partition_range_end"] == "2024-01-05"


def test_a_job_whose_asset_cannot_run_a_range_refuses_one(premium, fake, monkeypatch):
    """A partitioned job without single-run backfills (none in the catalog today) is told to
    pass one partition, and nothing is launched."""
    from moo_markets.api import service

    job = dataclasses.replace(find("investor_types"), single_run_backfill=False)
    monkeypatch.setattr(service, "find", lambda ref: job)
    response = premium.post(
        "/api/scheduler/jobs/investor_types/run", json={"start": "2024-01-04", "end": "2024-01-05"}
    )
    detail = assert_error(response, 422, "one partition per run")
    assert detail.startswith("start:"), detail
    assert "Launch" not in fake.operations


def test_a_range_of_one_day_is_a_one_partition_run(premium, fake):
    response = premium.post(
        "/api/scheduler/jobs/valuation/run", json={"start": "2024-01-05", "end": "2024-01-05"}
    )
    assert response.status_code == 202, response.text
    execution = response.json()["data"]
    assert execution["partition"] == "2024-01-05"
    tags = {t["key"]: t["value"] for t in fake.runs[execution["run_id"]]["tags"]}
    assert tags["dagster/partition"] == "2024-01-05"
    assert not any(key.startswith("dagster/asset_partition_range") for key in tags)


@pytest.mark.parametrize(
    "job, body, field, words",
    [
        (2, {"start": "2024-01-04"}, "end", "needs both"),
        (2, {"end": "2024-01-04"}, "start", "needs both"),
        (2, {"start": "2024-01-04", "end": "2024-01-05", "partition": "2024-01-04"}, "partition",
         "not both"),
        (2, {"start": "2024-01-06", "end": "2024-01-04"}, "end", "before start"),
        (2, {"start": "2024-01-07", "end": "2024-01-08"}, "start", "not a partition"),
        (2, {"start": "2024-01-04", "end": "2024-01-09"}, "end", "not a partition"),
        (2, {"start": "2024-02-30", "end": "2024-03-01"}, "start", "not a date"),
        (2, {"start": "2008-05-06", "end": "2008-05-07"}, "start", "outside the premium plan"),
        (2, {"start": "2024/01/04", "end": "2024-01-05"}, "body.start", "pattern"),
        (1, {"start": "2024-01-04", "end": "2024-01-05"}, "start", "not partitioned"),
    ],
)  # fmt: skip
def test_invalid_range_is_422_and_launches_nothing(premium, fake, job, body, field, words):
    response = premium.post(f"/api/scheduler/jobs/{job}/run", json=body)
    detail = assert_error(response, 422, words)
    assert detail.startswith(f"{field}:"), detail
    assert "Launch" not in fake.operations


def test_a_range_outside_the_plans_window_is_422(client, fake):
    """Free: two years ending 12 weeks ago; the fake's 2024 keys lie before them."""
    response = client.post(
        "/api/scheduler/jobs/2/run", json={"start": "2024-01-04", "end": "2024-01-05"}
    )
    assert_error(response, 422, "start:", "outside the free plan")
    assert "Launch" not in fake.operations


def test_a_weekly_range_may_start_with_the_week_the_window_begins_in(fake, monkeypatch):
    """Light on 2026-11-26 covers 2021-11-26 (a Friday) onwards. The week of Monday
    2021-11-22 reaches into the window: the asset's gate runs it (J-Quants clips from/to to
    the window), so the API must launch it too; the week before lies wholly outside and both
    refuse it. The API and the asset apply the same rule (Window.holds) to the same days."""
    from moo_markets.api import service
    from moo_markets.core import plans
    from moo_markets.ingest.partition import outside_window

    today = dt.date(2026, 11, 26)
    monkeypatch.setattr(service, "now_jst", lambda: dt.datetime(2026, 11, 26, 12, tzinfo=JST))
    job = find("investor_types")
    weeks = ["2021-11-15", "2021-11-22", "2021-11-29"]
    fake.partitions[job.job_name] = weeks
    window = plans.history_window("light", today)
    assert window.first == dt.date(2021, 11, 26)
    gate_refuses = [outside_window(job.spec, window, job.spec.query(week)) for week in weeks]
    assert gate_refuses == [True, False, False]

    with make_client(fake, jquants_plan="light") as light:
        answers = [
            light.post(f"/api/scheduler/jobs/{job.id}/run", json={"start": week, "end": weeks[-1]})
            for week in weeks
        ]
    api_refuses = [answer.status_code == 422 for answer in answers]
    assert api_refuses == gate_refuses, [answer.text for answer in answers]
    assert_error(answers[0], 422, "start: '2021-11-15' (days 2021-11-15 to 2021-11-21)",
                 "outside the light plan")  # fmt: skip
    straddling = answers[1].json()["data"]
    assert answers[1].status_code == 202 and straddling["partition"] == "2021-11-22...2021-11-29"
    tags = {t["key"]: t["value"] for t in fake.runs[straddling["run_id"]]["tags"]}
    assert tags["dagster/asset_partition_range_start"] == "2021-11-22"
    assert answers[2].status_code == 202 and len(fake.runs) == 2


def test_openapi_documents_the_range(client):
    schema = client.get("/api/openapi.json").json()["components"]["schemas"]["RunBody"]
    for name in ("start", "end"):
        prop = schema["properties"][name]
        patterns = [prop.get("pattern")] + [o.get("pattern") for o in prop.get("anyOf", ())]
        assert r"^\d{4}-\d{2}-\d{2}$" in patterns, prop
        assert "range" in prop["description"], prop


# -- executions ---------------------------------------------------------------------------------
def failure_events(step: str, text: str) -> list[dict]:
    return [
        {
            "__typename": "EngineEvent",
            "message": "Started process for run (pid: 4242).",
            "timestamp": str(int(time.time() * 1000)),
            "error": None,
        },
        {
            "__typename": "ExecutionStepFailureEvent",
            "message": f'Execution of step "{step}" failed.',
            "timestamp": str(int(time.time() * 1000)),
            "stepKey": step,
            "error": {
                "message": "dagster._core.errors.DagsterExecutionStepExecutionError: Error occurred\n",
                "className": "DagsterExecutionStepExecutionError",
                "cause": {
                    "message": f"moo_markets.jquants.errors.JQuantsRequestError: {text}\n",
                    "className": "JQuantsRequestError",
                },
            },
        },
        {
            "__typename": "RunFailureEvent",
            "message": "Execution of run failed.",
            "timestamp": str(int(time.time() * 1000)),
        },
    ]


def test_executions_newest_first_limited_with_error_messages(client, fake):
    ids = [
        fake.add_run(LISTED_COMPANIES.job_name, "SUCCESS", created=1_700_000_000.0 + i)
        for i in range(12)
    ]
    failed = fake.add_run(
        LISTED_COMPANIES.job_name,
        "FAILURE",
        created=1_700_001_000.0,
        events=failure_events("listed_companies", "HTTP 400: bad date"),
    )
    fake.add_run(DAILY_BARS.job_name, "SUCCESS")

    default = client.get("/api/scheduler/jobs/1/executions").json()["data"]
    assert len(default) == 10
    assert [e["run_id"] for e in default] == [failed, *reversed(ids[-9:])]
    assert default[0]["status"] == "failed"
    assert (
        default[0]["error_message"] == "listed_companies: JQuantsRequestError: HTTP 400: bad date"
    )
    assert all(e["error_message"] is None for e in default[1:])
    assert all(aware(e["completed_at"]) >= aware(e["started_at"]) for e in default)

    assert len(client.get("/api/scheduler/jobs/1/executions?limit=100").json()["data"]) == 13
    assert len(client.get("/api/scheduler/jobs/1/executions?limit=3").json()["data"]) == 3


@pytest.mark.parametrize("limit", ["0", "101", "1000000000000", "-1", "abc", "1.5"])
def test_bad_limit_is_422(client, limit):
    assert_error(client.get(f"/api/scheduler/jobs/1/executions?limit={limit}"), 422, "query.limit")


@pytest.mark.parametrize(
    "query",
    ["limit=%2B5", "limit=%205", "limit=5%20", "limit=5&limit=6", "limit=", "limit=%EF%BC%95"],
)
def test_limit_is_one_integer_in_digits(client, fake, query):
    """``+5``, `` 5``, a full-width digit and repeated values are not silently accepted."""
    assert_error(client.get(f"/api/scheduler/jobs/1/executions?{query}"), 422, "query.limit")
    assert fake.operations == []


def test_executions_page_through_asset_runs(client, fake):
    mine = fake.add_run("__ASSET_JOB", "SUCCESS", assets=["listed_companies"], created=1_000.0)
    for i in range(150):
        fake.add_run("__ASSET_JOB", "SUCCESS", assets=["daily_bars"], created=2_000.0 + i)
    data = client.get("/api/scheduler/jobs/1/executions").json()["data"]
    assert [e["run_id"] for e in data] == [mine]


def test_execution_detail_with_steps(client, fake):
    run_id = fake.add_run(
        LISTED_COMPANIES.job_name,
        "FAILURE",
        events=failure_events("listed_companies", "no data"),
        step_stats=[
            {
                "stepKey": "listed_companies",
                "status": "FAILURE",
                "startTime": 1_700_000_000.0,
                "endTime": 1_700_000_003.0,
                "attempts": [{"startTime": 1.0, "endTime": 2.0}],
            },
            {
                "stepKey": "listed_companies_not_empty",
                "status": "SKIPPED",
                "startTime": None,
                "endTime": None,
                "attempts": [],
            },
        ],
    )
    data = client.get(f"/api/scheduler/executions/{run_id}").json()["data"]
    assert data["status"] == "failed" and "no data" in data["error_message"]
    assert [s["step_key"] for s in data["steps"]] == [
        "listed_companies",
        "listed_companies_not_empty",
    ]
    first, skipped = data["steps"]
    assert first["error_message"] == "JQuantsRequestError: no data" and first["attempts"] == 1
    assert aware(first["completed_at"]) - aware(first["started_at"]) == dt.timedelta(seconds=3)
    assert skipped["status"] == "SKIPPED" and skipped["attempts"] == 0

    assert_error(client.get("/api/scheduler/executions/not-a-run"), 404, "unknown run")
    assert_error(client.post("/api/scheduler/executions/not-a-run/stop"), 404, "unknown run")


@pytest.mark.parametrize(
    ("dagster_status", "events", "error"),
    [
        (
            "FAILURE",
            [
                {
                    "__typename": "RunFailureEvent",
                    "message": "Run worker process exited unexpectedly.",
                    "timestamp": str(int(time.time() * 1000)),
                }
            ],
            "Run worker process exited unexpectedly.",
        ),
        (
            "CANCELED",
            [
                {
                    "__typename": "RunCanceledEvent",
                    "message": "Execution of run was canceled.",
                    "timestamp": str(int(time.time() * 1000)),
                }
            ],
            None,
        ),
    ],
)
def test_a_step_left_in_progress_ends_with_its_run(client, fake, dagster_status, events, error):
    """A killed worker or a cancel leaves Dagster's step IN_PROGRESS forever; the API
    shows the step ended with its run, at the run's end, with the run's error text."""
    run_id = fake.add_run(
        DAILY_BARS.job_name,
        dagster_status,
        events=events,
        step_stats=[
            {
                "stepKey": "daily_bars",
                "status": "IN_PROGRESS",
                "startTime": 1_700_000_000.0,
                "endTime": None,
                "attempts": [{"startTime": 1_700_000_000.0, "endTime": None}],
            },
            {
                "stepKey": "daily_bars_not_empty",
                "status": None,
                "startTime": None,
                "endTime": None,
                "attempts": [],
            },
        ],
    )
    data = client.get(f"/api/scheduler/executions/{run_id}").json()["data"]
    step, never_started = data["steps"]
    assert step["status"] == dagster_status
    assert step["completed_at"] == data["completed_at"] is not None
    assert step["error_message"] == data["error_message"]
    if error:
        assert error in step["error_message"]
    assert never_started["status"] is None and never_started["completed_at"] is None


# -- stop and cleanup ------------------------------------------------------------------------
def test_stop(client, fake):
    run_id = fake.add_run(LISTED_COMPANIES.job_name, "STARTED")
    response = client.post(f"/api/scheduler/executions/{run_id}/stop")
    assert response.status_code == 200, response.text
    assert response.json()["data"]["status"] == "stopped"
    assert aware(response.json()["data"]["completed_at"])
    assert_error(client.post(f"/api/scheduler/executions/{run_id}/stop"), 409, "already finished")


def test_stop_when_the_worker_cannot_be_reached_marks_it_canceled(client, fake):
    run_id = fake.add_run(LISTED_COMPANIES.job_name, "STARTED")
    fake.unreachable_workers.add(run_id)
    response = client.post(f"/api/scheduler/executions/{run_id}/stop")
    assert response.status_code == 200, response.text
    assert fake.runs[run_id]["status"] == "CANCELED"


def recent_events(pid: int, *, exited: bool = False, age: float = 0.0) -> list[dict]:
    stamp = str(int((time.time() - age) * 1000))
    events = [
        {
            "__typename": "EngineEvent",
            "message": f"Started process for run (pid: {pid}).",
            "timestamp": stamp,
            "error": None,
        }
    ]
    if exited:
        events.append(
            {
                "__typename": "EngineEvent",
                "message": f"Process for run exited (pid: {pid}).",
                "timestamp": stamp,
                "error": None,
            }
        )
    return events


def dead_pid() -> int:
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


def test_cleanup_ends_stuck_runs_only(fake):
    now = time.time()
    healthy = fake.add_run(LISTED_COMPANIES.job_name, "STARTED", events=recent_events(os.getpid()))
    exited = fake.add_run(
        LISTED_COMPANIES.job_name, "STARTED", events=recent_events(4242, exited=True)
    )
    gone = fake.add_run(DAILY_BARS.job_name, "STARTED", events=recent_events(dead_pid()))
    idle = fake.add_run(
        DAILY_BARS.job_name, "STARTED", events=recent_events(1, age=100), created=now - 200
    )
    fake.runs[idle]["updateTime"] = now - 150
    queued = fake.add_run(DAILY_BARS.job_name, "QUEUED")
    done = fake.add_run(DAILY_BARS.job_name, "SUCCESS")

    with make_client(fake, api_process_check="on", stuck_after_seconds=60) as client:
        result = client.post("/api/scheduler/cleanup").json()["data"]

        assert set(result["cleaned"]) == {exited, gone, idle}
        assert "exited" in result["reasons"][exited]
        assert "is gone" in result["reasons"][gone]
        assert "no progress" in result["reasons"][idle]
        assert fake.runs[healthy]["status"] == "STARTED"
        assert fake.runs[queued]["status"] == "QUEUED"
        assert fake.runs[done]["status"] == "SUCCESS"
        executions = client.get("/api/scheduler/jobs/2/executions").json()["data"]
        assert {e["run_id"]: e["status"] for e in executions}[gone] == "stopped"

        everything = client.post("/api/scheduler/cleanup", json={"all": True}).json()["data"]
        assert set(everything["cleaned"]) == {healthy, queued}
        assert fake.runs[done]["status"] == "SUCCESS"


def test_cleanup_threshold_can_be_given_per_call(fake):
    idle = fake.add_run(
        LISTED_COMPANIES.job_name,
        "STARTED",
        events=recent_events(1, age=30),
        created=time.time() - 60,
    )
    with make_client(fake, api_process_check="on") as client:
        assert client.post("/api/scheduler/cleanup", json={}).json()["data"]["cleaned"] == []
        result = client.post("/api/scheduler/cleanup", json={"stuck_after_seconds": 10}).json()[
            "data"
        ]
        assert result["cleaned"] == [idle]
        assert_error(client.post("/api/scheduler/cleanup", json={"all": "yes"}), 422, "body.all")
        assert_error(client.post("/api/scheduler/cleanup", json={"stuck_after_seconds": 0}), 422)


def test_process_check_follows_the_webserver_location(fake):
    gone = fake.add_run(LISTED_COMPANIES.job_name, "STARTED", events=recent_events(dead_pid()))
    with make_client(fake, dagster_url="http://dagster.example:3000") as client:
        assert client.post("/api/scheduler/cleanup").json()["data"]["cleaned"] == []
    with make_client(fake, dagster_url="http://127.0.0.1:3000") as client:
        assert client.post("/api/scheduler/cleanup").json()["data"]["cleaned"] == [gone]


@pytest.mark.parametrize(
    "ref", ["%00", "a%00b", "not-a-run", "12345", "3f2b8f0e-9c3a-4d3e-8a57-0d4f1c2b9e1", "x" * 300]
)
def test_run_ids_that_are_not_uuids_are_404_without_asking_dagster(client, fake, ref):
    """A NUL byte reached PostgreSQL through Dagster and came back as a 5xx."""
    assert_error(client.get(f"/api/scheduler/executions/{ref}"), 404, "unknown run", "UUID")
    assert_error(client.post(f"/api/scheduler/executions/{ref}/stop"), 404, "unknown run")
    assert fake.operations == []


def test_run_ids_are_case_insensitive(client, fake):
    run_id = fake.add_run(LISTED_COMPANIES.job_name, "SUCCESS")
    response = client.get(f"/api/scheduler/executions/{run_id.upper()}")
    assert response.status_code == 200 and response.json()["data"]["run_id"] == run_id


def test_nul_bytes_anywhere_are_4xx(client, fake):
    responses = [
        client.get("/api/scheduler/jobs/%00"),
        client.get("/api/scheduler/jobs/1/executions?limit=%00"),
        client.post("/api/scheduler/jobs/2/run", json={"partition": "2024-01-05\u0000"}),
        client.put("/api/scheduler/jobs/1/enabled", json={"enabled": True, "\u0000": 1}),
        client.post("/api/scheduler/cleanup", json={"all": "\u0000"}),
    ]
    for response in responses:
        assert 400 <= response.status_code < 500, (response.request.url, response.text)
        assert response.json()["errors"]["detail"]


# -- auth --------------------------------------------------------------------------------------
def test_token_protects_every_write(fake):
    with make_client(fake, api_token=TOKEN) as client:
        writes = [
            ("put", "/api/scheduler/jobs/1/enabled", {"enabled": True}),
            ("post", "/api/scheduler/jobs/1/run", None),
            ("post", "/api/scheduler/cleanup", None),
            ("post", "/api/scheduler/executions/x/stop", None),
            ("put", "/api/scheduler/jobs/1/schedule", {"schedule": "30 18 * * 1-5"}),
            ("delete", "/api/scheduler/jobs/1/schedule", None),
        ]
        for method, path, body in writes:
            response = client.request(method, path, json=body)
            assert_error(response, 401, "missing bearer token")
            assert response.headers["www-authenticate"] == "Bearer"
            wrong = client.request(
                method, path, json=body, headers={"Authorization": "Bearer nope"}
            )
            assert_error(wrong, 401, "wrong bearer token")
            basic = client.request(
                method, path, json=body, headers={"Authorization": f"Basic {TOKEN}"}
            )
            assert_error(basic, 401)
        assert "Start" not in fake.operations and "Launch" not in fake.operations
        assert "ReloadLocation" not in fake.operations

        ok = client.put(
            "/api/scheduler/jobs/1/enabled",
            json={"enabled": True},
            headers={"Authorization": f"Bearer {TOKEN}"},
        )
        assert ok.status_code == 200
        assert client.get("/api/scheduler/jobs").status_code == 200, "reads stay open"
        assert TOKEN not in ok.text


def test_secrets_never_leak_into_responses(fake):
    fake.http_error = (500, f"boom {TOKEN} and jq-key-123")
    with make_client(fake, api_token=TOKEN, jquants_api_key="jq-key-123") as client:
        response = client.get("/api/scheduler/jobs")
        assert response.status_code == 502
        assert TOKEN not in response.text and "jq-key-123" not in response.text
        fake.http_error = None
        fake.add_run(
            LISTED_COMPANIES.job_name,
            "FAILURE",
            events=failure_events("listed_companies", f"key was {TOKEN}"),
        )
        text = client.get("/api/scheduler/jobs/1/executions").text
        assert "key was ***" in text and TOKEN not in text
        health = client.get("/api/health")
        assert TOKEN not in health.text


# -- the webserver misbehaving -------------------------------------------------------------------
def test_webserver_down_is_503(client, fake):
    fake.down = True
    for path in [
        "/api/scheduler/jobs",
        "/api/scheduler/status",
        "/api/scheduler/jobs/1/executions",
    ]:
        assert_error(client.get(path), 503, "does not answer")
    assert_error(client.post("/api/scheduler/jobs/1/run"), 503)
    health = client.get("/api/health")
    assert health.status_code == 200
    assert health.json()["data"]["status"] == "ok"
    assert health.json()["data"]["dagster"]["reachable"] is False


@pytest.mark.parametrize(
    "status, text",
    [
        (500, "Internal Server Error"),
        (200, "<html>"),
        (400, '{"errors": [{"message": "bad doc"}]}'),
    ],
)
def test_unexpected_webserver_answers_are_502(client, fake, status, text):
    fake.http_error = (status, text)
    assert_error(client.get("/api/scheduler/jobs"), 502, "Dagster")


def test_webserver_gateway_errors_are_503(client, fake):
    fake.http_error = (503, "Service Unavailable")
    assert_error(client.get("/api/scheduler/jobs"), 503)


def test_python_error_in_a_field_is_502(client, fake):
    fake.schedules.clear()

    def broken(variables, query):
        return {
            "workspace": {"__typename": "PythonError", "message": "repository failed to load"},
            "unfinished": {"__typename": "Runs", "results": []},
            "assetRuns": {"__typename": "Runs", "results": []},
            **{
                f"last{k[3:]}": {"__typename": "Runs", "results": []}
                for k in variables
                if k.startswith("job")
            },
        }

    fake._op_Jobs = broken
    assert_error(client.get("/api/scheduler/jobs"), 502, "PythonError", "repository failed to load")


def test_unexpected_exception_is_a_bare_500(client):
    async def explode(*args, **kwargs):
        raise RuntimeError("secret internals")

    client.app.state.service.jobs = explode
    detail = assert_error(client.get("/api/scheduler/jobs"), 500, "internal error")
    assert "secret internals" not in detail


@pytest.mark.parametrize(
    "path",
    [
        "/api/health",
        "/api/scheduler/status",
        "/api/scheduler/jobs",
        "/api/scheduler/jobs/1",
        "/api/scheduler/jobs/1/executions",
    ],
)
def test_a_trailing_slash_answers_the_same_json(client, path):
    plain = client.get(path, follow_redirects=False)
    slashed = client.get(path + "/", follow_redirects=False)
    assert slashed.status_code == plain.status_code == 200, slashed.text
    plain_body, slashed_body = plain.json(), slashed.json()
    if path == "/api/scheduler/status":  # the fake's daemon heartbeats are "now"
        for body in (plain_body, slashed_body):
            for daemon in body["data"]["daemons"]:
                daemon.pop("last_heartbeat_at")
    assert slashed_body == plain_body


def test_a_trailing_slash_on_writes_and_unknown_paths(client, fake):
    enabled = client.put(
        "/api/scheduler/jobs/1/enabled/", json={"enabled": True}, follow_redirects=False
    )
    assert enabled.status_code == 200 and enabled.json()["data"]["is_enabled"] is True
    launched = client.post("/api/scheduler/jobs/1/run/", follow_redirects=False)
    assert launched.status_code == 202
    assert_error(client.get("/api/scheduler/nothing/", follow_redirects=False), 404)


def test_openapi_states_the_partition_format(client):
    spec = client.get("/api/openapi.json").json()
    partition = spec["components"]["schemas"]["RunBody"]["properties"]["partition"]
    patterns = [partition.get("pattern")] + [
        option.get("pattern") for option in partition.get("anyOf", ())
    ]
    assert r"^\d{4}-\d{2}-\d{2}$" in patterns, partition


def test_unknown_route_and_method(client):
    assert_error(client.get("/api/scheduler/nothing"), 404, "no such endpoint")
    assert_error(client.delete("/api/scheduler/jobs/1"), 405)


# -- settings, factory, mirror -------------------------------------------------------------------
@pytest.mark.parametrize(
    "kwargs",
    [
        {"dagster_url": "localhost:3000"},
        {"dagster_url": "ftp://x"},
        {"dagster_url": "http://h:99999"},
        {"api_port": 0},
        {"api_graphql_timeout": 0},
        {"api_process_check": "maybe"},
    ],
)
def test_settings_are_validated(kwargs):
    with pytest.raises(ValidationError):
        Settings(**kwargs)


def test_settings_come_from_the_environment(monkeypatch):
    monkeypatch.setenv("MOO_MARKETS_DAGSTER_URL", "http://10.0.0.5:3001/")
    monkeypatch.setenv("MOO_MARKETS_API_PORT", "4100")
    monkeypatch.setenv("MOO_MARKETS_API_TOKEN", "")
    settings = Settings()
    assert settings.graphql_url == "http://10.0.0.5:3001/graphql"
    assert settings.api_port == 4100 and settings.api_token is None
    assert not settings.check_local_processes
    monkeypatch.setenv("MOO_MARKETS_DAGSTER_URL", "https://user:pw@dagster.example:8443")
    assert Settings().dagster_url_for_logs == "https://dagster.example:8443"


def test_cli_reports_bad_settings(monkeypatch, capsys):
    import argparse

    from moo_markets.api import cli

    monkeypatch.setenv("MOO_MARKETS_DAGSTER_URL", "not a url")
    monkeypatch.setenv("MOO_MARKETS_API_TOKEN", TOKEN)
    parser = argparse.ArgumentParser()
    cli.add_arguments(parser)
    assert cli.run(parser.parse_args(["--port", "4999"])) == 2
    out = capsys.readouterr()
    assert "MOO_MARKETS_DAGSTER_URL" in out.err and TOKEN not in out.err + out.out
    assert len(out.err.strip().splitlines()) == 1
    assert cli.run(parser.parse_args(["--dagster-url", "http://h:1", "--port", "70000"])) == 2
    assert "MOO_MARKETS_API_PORT" in capsys.readouterr().err


def test_apps_are_independent(fake):
    other = FakeDagster()
    other.enable(LISTED_COMPANIES.schedule_name)
    with make_client(fake) as first, make_client(other, api_token=TOKEN) as second:
        assert first.get("/api/scheduler/jobs/1").json()["data"]["is_enabled"] is False
        assert second.get("/api/scheduler/jobs/1").json()["data"]["is_enabled"] is True
        assert first.post("/api/scheduler/jobs/1/run").status_code == 202
        assert second.post("/api/scheduler/jobs/1/run").status_code == 401


def test_openapi_document(client):
    spec = client.get("/api/openapi.json").json()
    paths = spec["paths"]
    assert set(paths) == {
        "/api/health",
        "/api/scheduler/status",
        "/api/scheduler/jobs",
        "/api/scheduler/jobs/{job_id}",
        "/api/scheduler/jobs/{job_id}/enabled",
        "/api/scheduler/jobs/{job_id}/schedule",
        "/api/scheduler/jobs/{job_id}/run",
        "/api/scheduler/jobs/{job_id}/executions",
        "/api/scheduler/executions/{run_id}",
        "/api/scheduler/executions/{run_id}/stop",
        "/api/scheduler/cleanup",
    }
    assert "422" in paths["/api/scheduler/jobs/{job_id}/enabled"]["put"]["responses"]
    assert set(paths["/api/scheduler/jobs/{job_id}/schedule"]) == {"put", "delete"}
    assert "HTTPBearer" in spec["components"]["securitySchemes"]


def test_job_timestamps_come_from_the_mirror(fake, tmp_path):
    url = f"sqlite:///{tmp_path / 'warehouse.db'}"
    engine = sa.create_engine(url)
    from moo_markets.warehouse.schema import jobs as jobs_table

    jobs_table.create(engine)
    stamp = dt.datetime(2024, 1, 5, 0, 0, tzinfo=dt.UTC)
    with engine.begin() as connection:
        connection.execute(
            sa.insert(jobs_table),
            [
                {
                    "id": 1,
                    "name": "x",
                    "job_type": "listed_companies",
                    "schedule": "* * * * *",
                    "inserted_at": stamp,
                    "updated_at": stamp + dt.timedelta(hours=1),
                }
            ],
        )
    engine.dispose()
    with make_client(fake, database_url=url) as client:
        jobs = client.get("/api/scheduler/jobs").json()["data"]
    assert aware(jobs[0]["inserted_at"]) == stamp
    assert aware(jobs[0]["updated_at"]) == stamp + dt.timedelta(hours=1)
    assert jobs[0]["inserted_at"].endswith("+09:00")
    assert jobs[1]["inserted_at"] is None

    missing = tmp_path / "absent.db"
    with make_client(fake, database_url=f"sqlite:///{missing}") as client:
        assert client.get("/api/scheduler/jobs").json()["data"][0]["inserted_at"] is None
    assert not missing.exists(), "reading the mirror must not create a database"

"""Fuzz the OpenAPI document with schemathesis: whatever comes in, no 5xx comes out.

Runs against the ASGI app with the fake GraphQL backend (deterministic and fast;
a healthy Dagster never justifies a 5xx). Examples per operation are bounded.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from support.fake_dagster import FakeDagster

from moo_markets.api import create_app, cron_change
from moo_markets.core.catalog import LISTED_COMPANIES
from moo_markets.core.settings import Settings
from moo_markets.warehouse import schedule_overrides
from moo_markets.warehouse.engine import get_engine
from moo_markets.warehouse.migrate import upgrade

MAX_EXAMPLES = 40


def build_app():
    # A healthy warehouse too: schedule changes store their cron there.
    warehouse = f"sqlite:///{Path(tempfile.mkdtemp(prefix='fuzz_')) / 'warehouse.db'}"
    upgrade(get_engine(warehouse))
    fake = FakeDagster()
    fake.enable(LISTED_COMPANIES.schedule_name)
    fake.add_run(LISTED_COMPANIES.job_name, "SUCCESS")
    fake.add_run("__ASSET_JOB", "STARTED", assets=["daily_bars"])
    fake.location_load = lambda: schedule_overrides.crons_in_force(Settings(database_url=warehouse))
    return create_app(
        Settings(dagster_url="http://dagster.invalid:3000", database_url=warehouse),
        transport=fake.transport,
    )


schema = schemathesis.openapi.from_asgi("/api/openapi.json", build_app())


@pytest.fixture(autouse=True, scope="module")
def _no_daemon_wait():
    """The fake has no daemon to wait for after a cron change."""
    saved = cron_change.DAEMON_PICKUP_SECONDS
    cron_change.DAEMON_PICKUP_SECONDS = 0.0
    yield
    cron_change.DAEMON_PICKUP_SECONDS = saved


@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
    database=None,
)
def test_no_server_errors_and_documented_responses(case):
    case.call_and_validate(
        checks=[
            not_a_server_error,
            status_code_conformance,
            content_type_conformance,
            response_schema_conformance,
        ]
    )

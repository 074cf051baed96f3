"""Fuzz the OpenAPI document with schemathesis: whatever comes in, no 5xx comes out.

Runs against the ASGI app with the fake GraphQL backend (deterministic and fast;
a healthy Dagster never justifies a 5xx). Examples per operation are bounded.
"""

from __future__ import annotations

import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from support.fake_dagster import FakeDagster

from moo_markets.api import create_app
from moo_markets.core.catalog import LISTED_COMPANIES
from moo_markets.core.settings import Settings

MAX_EXAMPLES = 40


def build_app():
    fake = FakeDagster()
    fake.enable(LISTED_COMPANIES.schedule_name)
    fake.add_run(LISTED_COMPANIES.job_name, "SUCCESS")
    fake.add_run("__ASSET_JOB", "STARTED", assets=["daily_bars"])
    return create_app(Settings(dagster_url="http://dagster.invalid:3000"), transport=fake.transport)


schema = schemathesis.openapi.from_asgi("/api/openapi.json", build_app())


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

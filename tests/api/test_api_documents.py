"""Every GraphQL document the API sends is valid against Dagster's own schema.

The fake transport answers by operation name and cannot tell a misspelt field;
the schema of the pinned dagster-graphql can (in-process, no webserver).
"""

from __future__ import annotations

import pytest
from dagster_graphql.schema import create_schema
from graphql import parse, validate

from moo_markets.api import documents as docs
from moo_markets.api import locations
from moo_markets.core.catalog import JOBS

DOCUMENTS = {
    "jobs": docs.jobs_document(JOBS),
    "jobs+daemons": docs.jobs_document(JOBS, daemons=True),
    "workspace": locations.WORKSPACE,
    "executions": docs.EXECUTIONS,
    "more asset runs": docs.MORE_ASSET_RUNS,
    "failures": docs.failure_events_document(2),
    "run detail": docs.RUN_DETAIL,
    "run state": docs.RUN_STATE,
    "unfinished": docs.UNFINISHED_WITH_EVENTS,
    "partitions": docs.PARTITIONS,
    "launch": docs.LAUNCH,
    "start schedule": docs.START_SCHEDULE,
    "stop schedule": docs.STOP_SCHEDULE,
    "terminate": docs.terminate_document(2),
    "health": docs.HEALTH,
}


@pytest.fixture(scope="module")
def schema():
    return create_schema().graphql_schema


@pytest.mark.parametrize("name", DOCUMENTS)
def test_document_is_valid(schema, name):
    assert validate(schema, parse(DOCUMENTS[name])) == []

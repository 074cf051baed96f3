"""A fetch step that still fails after the client's own retries is retried by Dagster."""

from __future__ import annotations

import dagster as dg
import pytest

from moo_markets.core.settings import SettingsError, load_settings
from moo_markets.definitions import build_definitions
from moo_markets.jobs import step_retry_policy
from moo_markets.warehouse.resource import WarehouseResource


def job(monkeypatch, retries: str) -> dg.JobDefinition:
    monkeypatch.setenv("MOO_MARKETS_STEP_RETRIES", retries)
    monkeypatch.setenv("MOO_MARKETS_STEP_RETRY_DELAY_SECONDS", "0")
    return build_definitions(load_settings()).resolve_job_def("listed_companies_job")


def run(job_def, sim, make_jquants, url):
    with dg.instance_for_test() as instance:
        result = job_def.execute_in_process(
            instance=instance,
            resources={
                "jquants": make_jquants(sim, max_attempts=2),
                "warehouse": WarehouseResource(database_url=url),
            },
            run_config={"ops": {"listed_companies": {"config": {"date": "2026-03-02"}}}},
            raise_on_error=False,
        )
        retried = [
            e for e in result.all_events if e.event_type == dg.DagsterEventType.STEP_UP_FOR_RETRY
        ]
        return result, retried


def test_step_retry_recovers_from_a_longer_outage(
    monkeypatch, make_simulator, make_jquants, sqlite_database
) -> None:
    sim = make_simulator()
    sim.inject("500", count=2)  # exhausts the client's 2 attempts once
    result, retried = run(job(monkeypatch, "1"), sim, make_jquants, sqlite_database)
    assert result.success
    assert len(retried) == 1


def test_final_failure_keeps_the_clients_message(
    monkeypatch, make_simulator, make_jquants, sqlite_database
) -> None:
    sim = make_simulator()
    sim.inject("500", count=10)
    result, retried = run(job(monkeypatch, "1"), sim, make_jquants, sqlite_database)
    assert not result.success and len(retried) == 1
    failure = next(e for e in result.all_events if e.is_step_failure)
    assert "gave up after 2 attempts" in str(failure.step_failure_data.error.cause)


def test_bad_settings_are_rejected(monkeypatch) -> None:
    monkeypatch.setenv("MOO_MARKETS_STEP_RETRIES", "many")
    with pytest.raises(SettingsError, match="MOO_MARKETS_STEP_RETRIES"):
        load_settings()
    monkeypatch.setenv("MOO_MARKETS_STEP_RETRIES", "3")
    monkeypatch.setenv("MOO_MARKETS_STEP_RETRY_DELAY_SECONDS", "5")
    policy = step_retry_policy(load_settings())
    assert (policy.max_retries, policy.delay, policy.backoff) == (3, 5, dg.Backoff.EXPONENTIAL)

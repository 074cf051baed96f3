"""One J-Quants run at a time, even where the instance's pool limit is missing.

Real Dagster runs in real instances: a run that calls J-Quants must not send a
request while an earlier run of the ``jquants`` pool is in progress, and must
say in its log when the instance does not limit the pool.
"""

from __future__ import annotations

import threading
import time

import dagster as dg
import pytest
from support.dagster_processes import wait_for

from moo_markets import jquants_pool
from moo_markets.daily_bars.assets import trading_calendar
from moo_markets.warehouse.resource import WarehouseResource

POOL_CONFIG = {"concurrency": {"pools": {"granularity": "run", "default_limit": 1}}}


def test_pool_limit_reads_the_instances_default_and_explicit_limits() -> None:
    with dg.instance_for_test() as instance:
        assert jquants_pool.pool_limit(instance) is None
        message = jquants_pool.unlimited_message(instance, None)
        assert "has no limit" in message and "dagster instance concurrency set jquants 1" in message
        instance.event_log_storage.set_concurrency_slots("jquants", 3)
        assert jquants_pool.pool_limit(instance) == 3
        assert "allows 3 runs at once" in jquants_pool.unlimited_message(instance, 3)
    with dg.instance_for_test(overrides=POOL_CONFIG) as instance:
        # The default applies before the queue ever wrote a row for the pool.
        assert jquants_pool.pool_limit(instance) == 1
        assert jquants_pool.unlimited_message(instance, 1) is None


def _started_run_in_pool(instance: dg.DagsterInstance) -> dg.DagsterRun:
    """A run of trading_calendar (pool jquants) recorded as STARTED, as a run worker would."""
    none = dg.ResourceDefinition.none_resource()
    job = dg.Definitions(
        assets=[trading_calendar], resources={"jquants": none, "warehouse": none}
    ).resolve_implicit_global_asset_job_def()
    run = instance.create_run_for_job(job_def=job)
    assert jquants_pool.uses_pool(run)
    instance.delete_run(run.run_id)
    return instance.add_run(run.with_status(dg.DagsterRunStatus.STARTED))


@pytest.mark.parametrize("config", [None, POOL_CONFIG], ids=["no-limit", "limit-1"])
def test_a_jquants_run_waits_for_an_earlier_one(
    config, make_simulator, make_jquants, sqlite_database, monkeypatch
) -> None:
    monkeypatch.setattr(jquants_pool, "POLL_SECONDS", 0.1)
    sim = make_simulator()
    with dg.instance_for_test(overrides=config) as instance:
        earlier = _started_run_in_pool(instance)
        results = []
        runner = threading.Thread(
            target=lambda: results.append(
                dg.materialize(
                    [trading_calendar],
                    resources={
                        "jquants": make_jquants(sim),
                        "warehouse": WarehouseResource(database_url=sqlite_database),
                    },
                    instance=instance,
                )
            )
        )
        runner.start()
        # Polled every 0.5 s, not 0.1 s: each poll reads every run's events from SQLite,
        # and polling hard starved the run's thread under load until the 60 s deadline
        # passed silently and the earlier run was ended before this one had waited.
        wait_for(
            lambda: _logged(instance, "waiting for run(s)", besides=earlier.run_id),
            timeout=180,
            message="the run to log that it waits for the earlier one",
        )
        time.sleep(1.0)
        assert sim.stats.requests == 0, "J-Quants was called while another run held the pool"
        assert runner.is_alive()

        instance.report_run_canceled(earlier, message="test: the earlier run ended")
        runner.join(timeout=180)
        assert not runner.is_alive(), "the run did not finish after the earlier one ended"
        assert results and results[0].success
        assert sim.stats.requests >= 1
        messages = _messages(instance, results[0].run_id)
        assert any(earlier.run_id in m and "waiting for run(s)" in m for m in messages)
        warned = any("concurrency pool has no limit" in m for m in messages)
        assert warned == (config is None)


def _messages(instance: dg.DagsterInstance, run_id: str) -> list[str]:
    return [entry.user_message or "" for entry in instance.all_logs(run_id)]


def _logged(instance: dg.DagsterInstance, text: str, besides: str) -> bool:
    """Some run other than ``besides`` logged ``text``."""
    return any(
        text in (entry.user_message or "")
        for record in instance.get_run_records()
        if record.dagster_run.run_id != besides
        for entry in instance.all_logs(record.dagster_run.run_id)
    )

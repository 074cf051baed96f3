"""The listed_companies asset against the simulator, on SQLite and on PostgreSQL."""

from __future__ import annotations

import datetime as dt

import dagster as dg
import pytest
import sqlalchemy as sa

from moo_markets.listed_companies import assets as lc_assets
from moo_markets.listed_companies import store
from moo_markets.listed_companies.assets import listed_companies
from moo_markets.listed_companies.checks import CHECKS
from moo_markets.warehouse import get_engine
from moo_markets.warehouse.resource import WarehouseResource
from moo_markets.warehouse.schema import listed_companies as table

DAY = dt.date(2026, 3, 2)


def run_asset(sim, url, make_jquants, instance, date: dt.date | None = DAY, **resource_overrides):
    config = {"date": date.isoformat()} if date else {}
    return dg.materialize(
        [listed_companies, *CHECKS],
        resources={
            # The simulator's key is a Standard key (the Free window: test_plan_window.py).
            "jquants": make_jquants(sim, **{"plan": "standard", **resource_overrides}),
            "warehouse": WarehouseResource(database_url=url),
        },
        run_config={"ops": {"listed_companies": {"config": config}}},
        instance=instance,
        raise_on_error=False,
    )


def stored(url: str, date: dt.date) -> list[dict]:
    with get_engine(url).connect() as connection:
        rows = connection.execute(
            sa.select(table).where(table.c.date == date).order_by(table.c.code)
        )
        return [dict(r._mapping) for r in rows]


def expected(sim, date: dt.date) -> list[dict]:
    return sorted((store.to_record(r) for r in sim.dataset.master(date)), key=lambda r: r["code"])


def listing_metadata(result) -> dict:
    """The listed_companies materialization's metadata (the step may also record the calendar)."""
    (event,) = [
        m for m in result.asset_materializations_for_node("listed_companies")
        if m.asset_key == listed_companies.key
    ]  # fmt: skip
    return event.metadata


@pytest.fixture
def instance():
    with dg.instance_for_test() as instance:
        yield instance


def test_lands_exactly_the_simulators_listing(
    simulator, warehouse_url, make_jquants, instance
) -> None:
    result = run_asset(simulator, warehouse_url, make_jquants, instance)
    assert result.success
    rows = stored(warehouse_url, DAY)
    assert rows == expected(simulator, DAY)
    assert 4000 <= len(rows) <= 5000
    assert any(not r["code"].isdigit() for r in rows) or all(len(r["code"]) == 5 for r in rows)
    metadata = listing_metadata(result)
    assert metadata["dagster/row_count"].value == len(rows)
    assert metadata["snapshot_date"].value == DAY.isoformat()
    assert sum(metadata["per_market"].value.values()) == len(rows)
    checks = {e.check_name: e.passed for e in result.get_asset_check_evaluations()}
    assert checks == {
        "listed_companies_not_empty": True,
        "listed_companies_unique": True,
        "listed_companies_code_format": True,
    }


def test_rerun_is_idempotent(simulator, warehouse_url, make_jquants, instance) -> None:
    assert run_asset(simulator, warehouse_url, make_jquants, instance).success
    first = stored(warehouse_url, DAY)
    assert run_asset(simulator, warehouse_url, make_jquants, instance).success
    assert stored(warehouse_url, DAY) == first


def test_new_listings_and_delistings_versus_previous_snapshot(
    simulator, sqlite_database, make_jquants, instance
) -> None:
    earlier, later = dt.date(2025, 3, 3), DAY
    assert run_asset(simulator, sqlite_database, make_jquants, instance, earlier).success
    result = run_asset(simulator, sqlite_database, make_jquants, instance, later)
    before = {r["Code"] for r in simulator.dataset.master(earlier)}
    after = {r["Code"] for r in simulator.dataset.master(later)}
    metadata = listing_metadata(result)
    assert metadata["previous_snapshot_date"].value == earlier.isoformat()
    assert metadata["new_listings"].value == len(after - before) > 0
    assert metadata["delistings"].value == len(before - after) > 0


def test_failed_write_keeps_the_previous_snapshot(
    simulator, warehouse_url, make_jquants, instance, monkeypatch
) -> None:
    assert run_asset(simulator, warehouse_url, make_jquants, instance).success
    before = stored(warehouse_url, DAY)

    real = store.to_record
    calls = {"n": 0}

    def breaks_late(row):
        record = real(row)
        calls["n"] += 1
        if calls["n"] == 4000:
            record["company_name"] = None  # NOT NULL: the database rejects the insert
        return record

    monkeypatch.setattr(lc_assets.store, "to_record", breaks_late)
    result = run_asset(simulator, warehouse_url, make_jquants, instance)
    assert not result.success
    assert stored(warehouse_url, DAY) == before


def test_empty_answer_fails_clearly_and_keeps_data(
    simulator, sqlite_database, make_jquants, instance
) -> None:
    """J-Quants has no list for dates beyond the next business day: fail, store nothing."""
    assert run_asset(simulator, sqlite_database, make_jquants, instance).success
    before = stored(sqlite_database, DAY)
    result = run_asset(simulator, sqlite_database, make_jquants, instance, dt.date(2030, 1, 4))
    assert not result.success
    failure = next(e for e in result.all_events if e.is_step_failure)
    assert "returned no listed companies for 2030-01-04" in str(failure.step_failure_data.error)
    assert stored(sqlite_database, DAY) == before


def test_invalid_date_fails_before_calling_jquants(
    make_simulator, sqlite_database, make_jquants, instance
) -> None:
    sim = make_simulator()
    result = run_asset(sim, sqlite_database, make_jquants, instance, dt.date(2024, 2, 1))
    assert result.success
    # One master request, plus the calendar the freshness check needs (first run only).
    assert [path for _, path, _, _ in sim.stats.log].count("/v2/equities/master") == 1
    requests_before = sim.stats.requests
    result = dg.materialize(
        [listed_companies],
        resources={
            "jquants": make_jquants(sim),
            "warehouse": WarehouseResource(database_url=sqlite_database),
        },
        run_config={"ops": {"listed_companies": {"config": {"date": "2024-02-30"}}}},
        instance=instance,
        raise_on_error=False,
    )
    assert not result.success
    failure = next(e for e in result.all_events if e.is_step_failure)
    assert "'2024-02-30' is not a valid date" in str(failure.step_failure_data.error)
    assert sim.stats.requests == requests_before


def test_code_format_check_catches_bad_codes(
    simulator, sqlite_database, make_jquants, instance
) -> None:
    assert run_asset(simulator, sqlite_database, make_jquants, instance).success
    with get_engine(sqlite_database).begin() as connection:
        connection.execute(
            sa.insert(table), [{"date": DAY, "code": "7203", "company_name": "broken"}]
        )
    result = dg.materialize(
        [listed_companies, *CHECKS],
        selection=dg.AssetSelection.checks_for_assets(listed_companies),
        resources={
            "jquants": make_jquants(simulator),
            "warehouse": WarehouseResource(database_url=sqlite_database),
        },
        instance=instance,
    )
    checks = {e.check_name: e for e in result.get_asset_check_evaluations()}
    assert checks["listed_companies_code_format"].passed is False
    assert "7203" in checks["listed_companies_code_format"].metadata["bad_codes"].value


def test_key_is_not_in_run_config_tags_or_logs(
    simulator, sqlite_database, make_jquants, instance
) -> None:
    result = run_asset(simulator, sqlite_database, make_jquants, instance)
    key = make_jquants(simulator).api_key
    run = instance.get_run_by_id(result.run_id)
    assert key not in str(run.run_config) and key not in str(run.tags)
    messages = " ".join(str(e.message) for e in instance.all_logs(result.run_id))
    assert key not in messages

"""An empty answer is normal for some datasets and wrong for others: a day without earnings
announcements stores nothing and passes its checks, while a business day of a dataset that
must have rows fails its not-empty check (DatasetSpec.must_have_rows), on SQLite and
PostgreSQL."""

from __future__ import annotations

import datetime as dt

import dagster as dg
import pytest
from support.jquants_sim import DAY, KEYS, Client, config

from moo_markets.datasets.registry import find
from moo_markets.ingest.assets import build_asset
from moo_markets.ingest.store import table_of
from moo_markets.jquants_sim import JQuantsSimulator
from moo_markets.warehouse import get_engine
from moo_markets.warehouse.resource import WarehouseResource


@pytest.fixture(scope="module")
def sim():
    """TODAY's next business day has no announcements in the simulator."""
    with JQuantsSimulator(config(), port=0) as sim:
        yield sim


def materialize(spec, sim, url, make_jquants, key=None):
    with dg.instance_for_test() as instance:
        return dg.materialize(
            [build_asset(spec)],
            partition_key=key,
            resources={
                "jquants": make_jquants(sim, api_key=KEYS["premium"], plan="premium"),
                "warehouse": WarehouseResource(database_url=url),
            },
            instance=instance,
            raise_on_error=False,
        )


def stored_count(spec, url) -> int:
    with get_engine(url).connect() as connection:
        return len(connection.execute(table_of(spec).select()).all())


def checks_of(result) -> dict[str, tuple[bool, dg.AssetCheckSeverity]]:
    return {e.check_name: (e.passed, e.severity) for e in result.get_asset_check_evaluations()}


def test_a_day_without_announcements_stores_nothing_and_passes(
    sim, warehouse_url, make_jquants
) -> None:
    spec = find("earnings_calendar")
    assert not spec.must_have_rows
    assert Client(sim).rows(spec.path, "premium") == []  # the case under test
    result = materialize(spec, sim, warehouse_url, make_jquants)
    assert result.success
    (materialization,) = result.asset_materializations_for_node(spec.name)
    assert materialization.metadata["dagster/row_count"].value == 0
    assert materialization.metadata["fetched_rows"].value == 0
    assert {name: passed for name, (passed, _) in checks_of(result).items()} == {
        f"{spec.name}_unique_key": True,
        f"{spec.name}_not_empty": True,
        f"{spec.name}_types": True,
    }
    assert stored_count(spec, warehouse_url) == 0


@pytest.fixture(scope="module")
def thursday_sim():
    """A simulator whose today is the Thursday before DAY: Friday has no data yet."""
    with JQuantsSimulator(config(today=DAY - dt.timedelta(days=1)), port=0) as sim:
        yield sim


def test_an_empty_business_day_fails_the_not_empty_check(
    thursday_sim, warehouse_url, make_jquants
) -> None:
    spec, sim, day = find("valuation"), thursday_sim, DAY
    assert spec.must_have_rows
    assert Client(sim).rows(spec.path, "premium", date=day.isoformat()) == []
    result = materialize(spec, sim, warehouse_url, make_jquants, key=day.isoformat())
    passed, severity = checks_of(result)[f"{spec.name}_not_empty"]
    assert passed is False and severity is dg.AssetCheckSeverity.ERROR

"""Every declared dataset, materialized for one partition against the simulator, on SQLite
and PostgreSQL: exactly the simulator's rows, with the declared types."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import dagster as dg
import pytest
import sqlalchemy as sa
from support.jquants_sim import DAY, KEYS, STATEMENT_DAY, Client, config

from moo_markets.datasets.registry import GENERIC_SPECS as SPECS
from moo_markets.datasets.spec import DATE, DatasetSpec, Partitioning
from moo_markets.ingest.assets import build_asset
from moo_markets.ingest.store import table_of
from moo_markets.jquants_sim import JQuantsSimulator
from moo_markets.warehouse import get_engine
from moo_markets.warehouse.resource import WarehouseResource

EARLIER_TODAY = dt.date(2026, 11, 12)
"""A day before busy announcements: latest-only endpoints (next day's earnings) have rows."""


@pytest.fixture(scope="module")
def plan_sim():
    """A simulator with one key per plan, its today fixed (support.jquants_sim.TODAY)."""
    with JQuantsSimulator(config(), port=0) as sim:
        yield sim


@pytest.fixture(scope="module")
def earlier_sim():
    """The same simulator on an earlier today, for the latest-only datasets."""
    with JQuantsSimulator(config(today=EARLIER_TODAY), port=0) as sim:
        yield sim


@pytest.fixture
def sim_for(request):
    def pick(spec: DatasetSpec):
        latest = spec.partitioning is Partitioning.LATEST
        return request.getfixturevalue("earlier_sim" if latest else "plan_sim")

    return pick


def test_partition_of(spec: DatasetSpec) -> str | None:
    """A partition of ``spec`` the simulator has data for."""
    if spec.partitioning is Partitioning.LATEST:
        return None
    if spec.partitioning is Partitioning.WEEKLY:
        return spec.partition_for(dt.date(2026, 10, 1))
    day = STATEMENT_DAY if spec.path.startswith("/fins/") else DAY
    return day.isoformat()


test_partition_of.__test__ = False  # a helper, not a test


@pytest.fixture(scope="module")
def instance():
    """One in-memory Dagster instance for the module's in-process runs: each run is a
    separate run in it, and nothing here reads another run's history. A temporary
    SQLite instance per run cost about half of each case (storage set-up, and an
    fsync'd SQLite database per run for its events)."""
    with dg.DagsterInstance.ephemeral() as instance:
        yield instance


def materialize(spec, sim, url, make_jquants, instance, plan="premium", key="default"):
    key = test_partition_of(spec) if key == "default" else key
    return dg.materialize(
        [build_asset(spec)],
        partition_key=key,
        resources={
            "jquants": make_jquants(sim, api_key=KEYS[plan], plan=plan),
            "warehouse": WarehouseResource(database_url=url),
        },
        instance=instance,
        raise_on_error=False,
    )


def stored_rows(spec: DatasetSpec, url: str) -> list[dict]:
    table = table_of(spec)
    with get_engine(url).connect() as connection:
        order = [table.c[c] for c in spec.key_columns]
        return [dict(r._mapping) for r in connection.execute(sa.select(table).order_by(*order))]


def _sort_key(spec: DatasetSpec):
    return lambda record: tuple(record[c] for c in spec.key_columns)


def _exact(raw) -> Decimal:
    """The number J-Quants sent, as an exact decimal (from its JSON text)."""
    return Decimal(raw) if isinstance(raw, str) else Decimal(str(raw))


@pytest.mark.parametrize("spec", SPECS, ids=[s.name for s in SPECS])
def test_one_partition_stores_exactly_the_simulators_rows(
    spec: DatasetSpec, sim_for, warehouse_url, make_jquants, instance
) -> None:
    plan_sim = sim_for(spec)
    result = materialize(spec, plan_sim, warehouse_url, make_jquants, instance)
    assert result.success, [
        str(e.step_failure_data.error.message if e.is_step_failure else e.message)
        for e in result.all_events
        if e.is_failure
    ]

    key = test_partition_of(spec)
    query = spec.query(key)
    raw = Client(plan_sim).rows(spec.path, "premium", **query.params)
    assert raw, f"the simulator has no {spec.path} rows for {query.params}: pick another partition"
    stored = stored_rows(spec, warehouse_url)
    assert len(stored) == len(raw)
    assert stored == sorted(spec.records(raw), key=_sort_key(spec))

    # Types, checked against the raw JSON independently of the spec's own conversion.
    by_key = {tuple(r[c] for c in spec.key_columns): r for r in stored}
    for row in raw:
        record = by_key[tuple(spec.record(row)[c] for c in spec.key_columns)]
        for field in spec.columns:
            value, sent = record[field.column], field.value(row)
            if value is None:
                assert sent in (None, "", *spec.null_strings), (field.source, sent)
                continue
            assert isinstance(value, field.type.python), (field.source, value)
            if field.type.python is Decimal:
                assert value == _exact(sent), (field.source, sent, value)
            elif field.type is DATE:
                assert value == dt.date.fromisoformat(sent)

    (materialization,) = [
        m
        for m in result.asset_materializations_for_node(spec.name)
        if m.asset_key == dg.AssetKey(spec.name)  # not the calendar refreshed on the way
    ]
    metadata = materialization.metadata
    assert metadata["dagster/row_count"].value == len(raw)
    assert metadata["dagster/table_name"].value == spec.table
    schema = metadata["dagster/column_schema"].schema
    assert [c.name for c in schema.columns] == [f.column for f in spec.columns]
    assert metadata["duration_seconds"].value >= 0
    checks = {e.check_name: e.passed for e in result.get_asset_check_evaluations()}
    assert checks == {
        f"{spec.name}_unique_key": True,
        f"{spec.name}_not_empty": True,
        f"{spec.name}_types": True,
    }

    # A second run replaces the partition: the same rows, not twice as many.
    assert materialize(spec, plan_sim, warehouse_url, make_jquants, instance).success
    assert len(stored_rows(spec, warehouse_url)) == len(raw)

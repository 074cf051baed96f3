"""The master's history path (issue 14): ``start``/``end`` store the snapshot of every business
day, whole months from the master's bulk files, exactly as REST stores them; SQLite and
PostgreSQL."""

from __future__ import annotations

import datetime as dt

import dagster as dg
import pytest
import sqlalchemy as sa
from support.jquants_sim import TODAY

from moo_markets.jquants import JQuantsResource
from moo_markets.listed_companies.assets import listed_companies
from moo_markets.listed_companies.checks import CHECKS
from moo_markets.warehouse import get_engine
from moo_markets.warehouse.resource import WarehouseResource
from moo_markets.warehouse.schema import bulk_files
from moo_markets.warehouse.schema import listed_companies as table

START, END = dt.date(2026, 8, 27), dt.date(2026, 10, 1)  # September whole: from its file
FILE = "equities/master/historical/2026/equities_master_202609.csv.gz"


@pytest.fixture
def sim(make_simulator):
    return make_simulator(plan="standard", today=TODAY)


def run(sim, url, jquants: JQuantsResource, instance, **config):
    return dg.materialize(
        [listed_companies, *CHECKS],
        resources={"jquants": jquants, "warehouse": WarehouseResource(database_url=url)},
        run_config={"ops": {"listed_companies": {"config": config}}},
        instance=instance,
        raise_on_error=False,
    )


def history(sim, url, make_jquants, instance, start=START, end=END, plan="standard", **config):
    return run(
        sim,
        url,
        make_jquants(sim, plan=plan),
        instance,
        start=start.isoformat(),
        end=end.isoformat(),
        **config,
    )


def stored(url: str) -> list[dict]:
    with get_engine(url).connect() as connection:
        rows = connection.execute(sa.select(table).order_by(table.c.date, table.c.code))
        return [dict(r._mapping) for r in rows]


def gets(sim) -> list[str]:
    return [q["key"] for _, p, q, _ in sim.stats.log if p == "/v2/bulk/get"]


def master_dates(sim) -> list[str]:
    return [q["date"] for _, p, q, _ in sim.stats.log if p == "/v2/equities/master"]


def metadata(result) -> dict:
    (event,) = [
        m for m in result.asset_materializations_for_node("listed_companies")
        if m.asset_key == listed_companies.key
    ]  # fmt: skip
    return {k: v.value for k, v in event.metadata.items()}


def failure_text(result) -> str:
    return "\n".join(
        e.step_failure_data.error.to_string() for e in result.all_events if e.is_step_failure
    )


def test_history_stores_exactly_the_rest_snapshots(sim, warehouse_url, make_jquants) -> None:
    with dg.instance_for_test() as instance:
        rest = history(sim, warehouse_url, make_jquants, instance, use_bulk_files=False)
        assert rest.success, failure_text(rest)
    reference = stored(warehouse_url)
    business = sim.dataset.business_days(START, END)
    assert sorted({r["date"] for r in reference}) == business
    assert master_dates(sim) == [d.isoformat() for d in business] and not gets(sim)
    with get_engine(warehouse_url).begin() as connection:
        connection.execute(sa.delete(table))
    sim.reset_stats()

    with dg.instance_for_test() as instance:
        result = history(sim, warehouse_url, make_jquants, instance)
        assert result.success, failure_text(result)
    assert stored(warehouse_url) == reference
    assert gets(sim) == [FILE]
    assert all(not d.startswith("2026-09") for d in master_dates(sim))
    md = metadata(result)
    assert md["snapshots"] == len(business) and md["rows"] == len(reference)
    assert md["snapshot_date"] == "2026-10-01"
    assert md["months_from_bulk_files"] == 1 and md["days_by_rest"] == len(
        [d for d in business if d.month != 9]
    )
    assert "equities_master_202609.csv.gz" in md["loaded"]
    assert all(e.passed for e in result.get_asset_check_evaluations())
    with get_engine(warehouse_url).connect() as connection:
        recorded = connection.execute(sa.select(bulk_files.c.key, bulk_files.c.rows)).all()
    assert recorded == [(FILE, sum(1 for r in reference if r["date"].month == 9))]

    # Again: the unchanged file is not downloaded; a corrected one is.
    sim.reset_stats()
    with dg.instance_for_test() as instance:
        assert history(sim, warehouse_url, make_jquants, instance).success
        assert gets(sim) == []
        sim.mark_bulk_corrected("/equities/master", "2026-09")
        assert history(sim, warehouse_url, make_jquants, instance).success
        assert gets(sim) == [FILE]
    assert stored(warehouse_url) == reference


def test_a_corrupt_master_file_writes_nothing_of_its_month(sim, sqlite_database, make_jquants):
    sim.inject_download("corrupt", count=5)
    with dg.instance_for_test() as instance:
        result = history(sim, sqlite_database, make_jquants, instance)
    assert not result.success
    text = failure_text(result)
    assert f"J-Quants bulk file {FILE}" in text and "nothing of 2026-09 was written" in text
    assert not [r for r in stored(sqlite_database) if r["date"].month == 9]


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ({"start": "2026-09-01"}, "start and end go together"),
        ({"start": "2026-09-10", "end": "2026-09-01"}, "is before start"),
        ({"start": "2026-09-31", "end": "2026-10-01"}, "not a valid date"),
        ({"date": "2026-09-01", "start": "2026-09-01", "end": "2026-09-02"}, "either date"),
    ],
)
def test_bad_history_config_is_refused(config, message, sim, sqlite_database, make_jquants):
    with dg.instance_for_test() as instance:
        result = run(sim, sqlite_database, make_jquants(sim, plan="standard"), instance, **config)
    assert not result.success
    assert message in failure_text(result)
    assert master_dates(sim) == []


def test_history_outside_the_plan_window_requests_nothing(
    make_simulator, sqlite_database, make_jquants
) -> None:
    sim = make_simulator(plan="free", today=TODAY)
    with dg.instance_for_test() as instance:
        result = history(sim, sqlite_database, make_jquants, instance, plan="free")
    assert not result.success
    assert "outside the J-Quants history window" in failure_text(result)
    assert master_dates(sim) == [] and stored(sqlite_database) == []

"""Range runs of declared datasets (issue 14): whole months from bulk files, the rest by REST,
on SQLite and PostgreSQL.

Every comparison is with a REST-only run of the same range: the bulk path must not show in
the data, the partitions materialized, their metadata or the checks.
"""

from __future__ import annotations

import datetime as dt

import dagster as dg
import pytest
import sqlalchemy as sa
from support.jquants_sim import TODAY

from moo_markets.datasets.registry import find
from moo_markets.ingest.assets import build_asset
from moo_markets.ingest.store import table_of
from moo_markets.warehouse import get_engine
from moo_markets.warehouse.resource import WarehouseResource
from moo_markets.warehouse.schema import bulk_files

RANGE_TAGS = ("dagster/asset_partition_range_start", "dagster/asset_partition_range_end")
FIRST, LAST = dt.date(2026, 8, 28), dt.date(2026, 10, 1)  # August and October partly: REST
SEPTEMBER = (dt.date(2026, 9, 1), dt.date(2026, 9, 30))
VOLATILE = {"duration_seconds", "jquants_requests", "jquants_retries", "preview", "source"}
VOLATILE |= {"bulk_file", "bulk_unchanged"}


def file_of(spec) -> str:
    name = spec.path.strip("/")
    return f"{name}/historical/2026/{name.replace('/', '_')}_202609.csv.gz"


@pytest.fixture
def sim(make_simulator):
    return make_simulator(plan="standard", today=TODAY)


def run(spec, sim, url, make_jquants, instance, first=FIRST, last=LAST, **config):
    return dg.materialize(
        [build_asset(spec)],
        resources={
            "jquants": make_jquants(sim, plan="standard"),
            "warehouse": WarehouseResource(database_url=url),
        },
        instance=instance,
        tags=dict(zip(RANGE_TAGS, (first.isoformat(), last.isoformat()), strict=True)),
        run_config={"ops": {spec.name: {"config": config}}} if config else None,
        raise_on_error=False,
    )


def stored(spec, url: str) -> list[dict]:
    table = table_of(spec)
    with get_engine(url).connect() as connection:
        order = [table.c[c] for c in spec.key_columns]
        return [dict(r._mapping) for r in connection.execute(sa.select(table).order_by(*order))]


def wipe(spec, url: str) -> None:
    with get_engine(url).begin() as connection:
        connection.execute(sa.delete(table_of(spec)))
        connection.execute(sa.delete(bulk_files))


def gets(sim) -> list[str]:
    return [q["key"] for _, p, q, _ in sim.stats.log if p == "/v2/bulk/get"]


def rest_days(sim, spec) -> set[str]:
    return {
        q.get("date") or q.get("disc_date")
        for _, p, q, _ in sim.stats.log
        if p == "/v2" + spec.path
    }


def materializations(result, spec) -> dict[str, dict]:
    return {
        e.materialization.partition: {k: v.value for k, v in e.materialization.metadata.items()}
        for e in result.get_asset_materialization_events()
        if e.materialization.asset_key == dg.AssetKey(spec.name)
    }


def check_results(result) -> dict[str, tuple[bool, int | None]]:
    """Check name -> (passed, rows)."""
    return {
        e.check_name: (e.passed, e.metadata["rows"].value if "rows" in e.metadata else None)
        for e in result.get_asset_check_evaluations()
    }


def failure_text(result) -> str:
    return "\n".join(
        e.step_failure_data.error.to_string() for e in result.all_events if e.is_step_failure
    )


@pytest.mark.parametrize("name", ["short_ratio", "margin_alerts", "fins_summary"])
def test_a_range_run_stores_exactly_what_rest_stores(
    name, sim, warehouse_url, make_jquants
) -> None:
    spec = find(name)
    with dg.instance_for_test() as rest_instance:
        rest = run(spec, sim, warehouse_url, make_jquants, rest_instance, use_bulk_files=False)
        assert rest.success, failure_text(rest)
        rest_partitions = rest_instance.get_materialized_partitions(dg.AssetKey(name))
    assert not gets(sim) and "/v2/bulk/list" not in [p for _, p, _, _ in sim.stats.log]
    reference = stored(spec, warehouse_url)
    assert reference
    wipe(spec, warehouse_url)
    sim.reset_stats()

    with dg.instance_for_test() as instance:
        result = run(spec, sim, warehouse_url, make_jquants, instance)
        assert result.success, failure_text(result)
        assert instance.get_materialized_partitions(dg.AssetKey(name)) == rest_partitions
    assert stored(spec, warehouse_url) == reference
    # One file for September, REST for the partitions of August and October only.
    assert gets(sim) == [file_of(spec)]
    assert rest_days(sim, spec) == {"2026-08-28", "2026-08-31", "2026-10-01"}
    # The same partitions, metadata and checks; plus where each partition came from.
    metadata, rest_metadata = materializations(result, spec), materializations(rest, spec)
    assert set(metadata) == set(rest_metadata) == rest_partitions
    for key, md in metadata.items():
        in_file = SEPTEMBER[0].isoformat() <= key <= SEPTEMBER[1].isoformat()
        assert md["source"] == (file_of(spec) if in_file else "rest"), key
        assert md.get("bulk_unchanged") is (False if in_file else None), key
        assert rest_metadata[key]["source"] == "rest"
        assert {k: v for k, v in md.items() if k not in VOLATILE} == {
            k: v for k, v in rest_metadata[key].items() if k not in VOLATILE
        }, key
    assert check_results(result) == check_results(rest)
    assert all(passed for passed, _ in check_results(result).values())
    assert check_results(result)[f"{name}_not_empty"][1] == len(reference)
    with get_engine(warehouse_url).connect() as connection:
        recorded = connection.execute(sa.select(bulk_files.c.key, bulk_files.c.rows)).all()
    column = spec.partition_column
    assert recorded == [
        (file_of(spec), sum(1 for r in reference if SEPTEMBER[0] <= r[column] <= SEPTEMBER[1]))
    ]


def test_an_unchanged_file_is_skipped_and_a_changed_one_loaded_again(
    sim, warehouse_url, make_jquants
) -> None:
    spec = find("margin_alerts")
    with dg.instance_for_test() as instance:
        assert run(spec, sim, warehouse_url, make_jquants, instance, *SEPTEMBER).success
        first = stored(spec, warehouse_url)
        assert gets(sim) == [file_of(spec)]

        sim.reset_stats()
        again = run(spec, sim, warehouse_url, make_jquants, instance, *SEPTEMBER)
        assert again.success and gets(sim) == [] and rest_days(sim, spec) == set()
        metadata = materializations(again, spec)
        assert len(metadata) == 22
        assert all(md["bulk_unchanged"] is True for md in metadata.values())
        assert all(md["source"] == file_of(spec) for md in metadata.values())
        assert stored(spec, warehouse_url) == first

        sim.mark_bulk_corrected(spec.path, "2026-09")
        sim.reset_stats()
        changed = run(spec, sim, warehouse_url, make_jquants, instance, *SEPTEMBER)
        assert changed.success and gets(sim) == [file_of(spec)]
        assert all(md["bulk_unchanged"] is False for md in materializations(changed, spec).values())
        assert stored(spec, warehouse_url) == first
    with get_engine(warehouse_url).connect() as connection:
        (modified,) = connection.execute(sa.select(bulk_files.c.last_modified)).scalars()
    listed = [
        f
        for f in make_jquants(sim, plan="standard").client.bulk_list(
            spec.path, "2026-09", "2026-09"
        )
    ]
    assert [f.last_modified for f in listed if f.month == SEPTEMBER[0]] == [modified]


@pytest.mark.parametrize("fault", ["corrupt", "truncate"])
def test_a_broken_file_fails_its_month_cleanly(fault, sim, warehouse_url, make_jquants) -> None:
    spec = find("margin_alerts")
    with dg.instance_for_test() as instance:
        assert run(
            spec, sim, warehouse_url, make_jquants, instance, *SEPTEMBER, use_bulk_files=False
        ).success
    before = stored(spec, warehouse_url)
    assert before
    sim.inject_download(fault, count=5)
    with dg.instance_for_test() as fresh:
        result = run(spec, sim, warehouse_url, make_jquants, fresh, *SEPTEMBER)
        assert not result.success
        message = failure_text(result)
        assert f"J-Quants bulk file {file_of(spec)}" in message
        assert "nothing of 2026-09 was written" in message
        assert not fresh.get_materialized_partitions(dg.AssetKey(spec.name))
    assert stored(spec, warehouse_url) == before
    with get_engine(warehouse_url).connect() as connection:
        assert connection.execute(sa.select(sa.func.count()).select_from(bulk_files)).scalar() == 0


def test_a_single_partition_run_is_unchanged_and_says_rest(sim, sqlite_database, make_jquants):
    spec = find("margin_alerts")
    with dg.instance_for_test() as instance:
        result = dg.materialize(
            [build_asset(spec)],
            partition_key="2026-09-15",
            resources={
                "jquants": make_jquants(sim, plan="standard"),
                "warehouse": WarehouseResource(database_url=sqlite_database),
            },
            instance=instance,
        )
    assert "/v2/bulk/list" not in [p for _, p, _, _ in sim.stats.log]
    (md,) = materializations(result, spec).values()
    assert md["source"] == "rest" and md["dagster/row_count"] == len(stored(spec, sqlite_database))
    checks = {e.check_name: e.passed for e in result.get_asset_check_evaluations()}
    assert checks == dict.fromkeys(
        ("margin_alerts_unique_key", "margin_alerts_not_empty", "margin_alerts_types"), True
    )


def test_a_weekly_dataset_takes_a_range_run_by_rest(sim, sqlite_database, make_jquants) -> None:
    spec = find("investor_types")
    with dg.instance_for_test() as instance:
        result = run(
            spec, sim, sqlite_database, make_jquants, instance,
            dt.date(2026, 9, 7), dt.date(2026, 9, 14),
        )  # fmt: skip
        assert result.success, failure_text(result)
        assert instance.get_materialized_partitions(dg.AssetKey(spec.name)) == {
            "2026-09-07",
            "2026-09-14",
        }
    assert not gets(sim)
    assert all(md["source"] == "rest" for md in materializations(result, spec).values())


# -- a weekly dataset: weeks (Monday..Sunday by PubDate) inside whole months come from files
WEEKS = (dt.date(2026, 8, 24), dt.date(2026, 10, 26))
"""Ten weeks: 08-24 (August is not whole), 08-31 and 09-28 (straddling), three inside
September, three inside October, 10-26 (into November, whose file does not exist yet)."""
REST_WEEKS = {"2026-08-24", "2026-08-31", "2026-09-28", "2026-10-26"}
OCTOBER = (dt.date(2026, 10, 1), dt.date(2026, 10, 31))


def month_file(spec, month: dt.date) -> str:
    name = spec.path.strip("/")
    return f"{name}/historical/{month:%Y}/{name.replace('/', '_')}_{month:%Y%m}.csv.gz"


def rest_weeks(sim, spec) -> list[str]:
    return sorted(q["from"] for _, p, q, _ in sim.stats.log if p == "/v2" + spec.path)


def check_metadata(result) -> dict[str, dict]:
    return {
        e.check_name: {k: v.value for k, v in e.metadata.items()}
        for e in result.get_asset_check_evaluations()
    }


def test_a_weekly_range_takes_whole_months_from_files_and_stores_what_rest_stores(
    sim, warehouse_url, make_jquants
) -> None:
    spec = find("investor_types")
    with dg.instance_for_test() as rest_instance:
        rest = run(spec, sim, warehouse_url, make_jquants, rest_instance, *WEEKS,
                   use_bulk_files=False)  # fmt: skip
        assert rest.success, failure_text(rest)
        rest_partitions = rest_instance.get_materialized_partitions(dg.AssetKey(spec.name))
    assert len(rest_partitions) == 10 and not gets(sim)
    assert len(rest_weeks(sim, spec)) == 10
    reference = stored(spec, warehouse_url)
    assert {r["pub_date"].replace(day=1) for r in reference} == {
        dt.date(2026, 8, 1),
        SEPTEMBER[0],
        OCTOBER[0],
    }
    # The week of 08-31 published in September: rows its REST fetch and the file share.
    assert any(dt.date(2026, 9, 1) <= r["pub_date"] <= dt.date(2026, 9, 6) for r in reference)
    wipe(spec, warehouse_url)
    sim.reset_stats()

    with dg.instance_for_test() as instance:
        result = run(spec, sim, warehouse_url, make_jquants, instance, *WEEKS)
        assert result.success, failure_text(result)
        assert instance.get_materialized_partitions(dg.AssetKey(spec.name)) == rest_partitions
    assert stored(spec, warehouse_url) == reference
    files = [month_file(spec, SEPTEMBER[0]), month_file(spec, OCTOBER[0])]
    assert gets(sim) == files
    assert rest_weeks(sim, spec) == sorted(REST_WEEKS)
    metadata, rest_metadata = materializations(result, spec), materializations(rest, spec)
    assert set(metadata) == set(rest_metadata) == rest_partitions
    for key, md in metadata.items():
        monday = dt.date.fromisoformat(key)
        expected = "rest"
        for (first, last), file in zip((SEPTEMBER, OCTOBER), files, strict=True):
            if first <= monday and monday + dt.timedelta(days=6) <= last:
                expected = file
        assert (key in REST_WEEKS) == (expected == "rest"), key
        assert md["source"] == expected, key
        assert {k: v for k, v in md.items() if k not in VOLATILE} == {
            k: v for k, v in rest_metadata[key].items() if k not in VOLATILE
        }, key
    # The checks say the same, down to the rows compared (none counted twice).
    assert check_metadata(result) == check_metadata(rest)
    assert all(passed for passed, _ in check_results(result).values())
    with get_engine(warehouse_url).connect() as connection:
        recorded = connection.execute(
            sa.select(bulk_files.c.key, bulk_files.c.rows).order_by(bulk_files.c.key)
        ).all()
    assert recorded == [
        (file, sum(1 for r in reference if first <= r["pub_date"] <= last))
        for file, (first, last) in zip(files, (SEPTEMBER, OCTOBER), strict=True)
    ]


def test_a_weekly_month_unchanged_is_kept_and_a_changed_one_loaded_again(
    sim, warehouse_url, make_jquants
) -> None:
    spec = find("investor_types")
    weeks = (dt.date(2026, 8, 31), dt.date(2026, 9, 28))  # every day of September
    inside = {"2026-09-07", "2026-09-14", "2026-09-21"}
    with dg.instance_for_test() as instance:
        first = run(spec, sim, warehouse_url, make_jquants, instance, *weeks)
        assert first.success, failure_text(first)
        reference = stored(spec, warehouse_url)
        assert gets(sim) == [file_of(spec)]
        assert rest_weeks(sim, spec) == ["2026-08-31", "2026-09-28"]

        sim.reset_stats()
        again = run(spec, sim, warehouse_url, make_jquants, instance, *weeks)
        assert again.success and gets(sim) == []
        assert rest_weeks(sim, spec) == ["2026-08-31", "2026-09-28"]
        metadata = materializations(again, spec)
        assert {k for k, md in metadata.items() if md["source"] == file_of(spec)} == inside
        assert all(metadata[k]["bulk_unchanged"] is True for k in inside)
        assert {k: metadata[k]["dagster/row_count"] for k in inside} == {
            k: md["dagster/row_count"]
            for k, md in materializations(first, spec).items()
            if k in inside
        }
        assert stored(spec, warehouse_url) == reference

        sim.mark_bulk_corrected(spec.path, "2026-09")
        sim.reset_stats()
        changed = run(spec, sim, warehouse_url, make_jquants, instance, *weeks)
        assert changed.success and gets(sim) == [file_of(spec)]
        metadata = materializations(changed, spec)
        assert all(metadata[k]["bulk_unchanged"] is False for k in inside)
        assert stored(spec, warehouse_url) == reference


def test_a_range_outside_the_plan_window_requests_nothing(
    make_simulator, sqlite_database, make_jquants
):
    sim = make_simulator(plan="free", today=TODAY)
    spec = find("valuation")
    with dg.instance_for_test() as instance:
        result = dg.materialize(
            [build_asset(spec)],
            resources={
                "jquants": make_jquants(sim, plan="free"),
                "warehouse": WarehouseResource(database_url=sqlite_database),
            },
            instance=instance,
            tags=dict(zip(RANGE_TAGS, ("2026-08-31", "2026-10-01"), strict=True)),
            raise_on_error=False,
        )
    assert not result.success
    assert "lie outside the J-Quants history window" in failure_text(result)
    assert [p for _, p, _, _ in sim.stats.log] == []


def test_a_step_retry_skips_the_partitions_already_committed(
    sim, sqlite_database, make_jquants, monkeypatch
) -> None:
    from moo_markets.ingest import partition

    spec = find("margin_alerts")
    original = partition.fetch
    failed = []

    def flaky(spec_, jquants, plan, query):
        if query.first == LAST and not failed:
            failed.append(query.first)
            raise RuntimeError("connection reset (test)")
        return original(spec_, jquants, plan, query)

    monkeypatch.setattr(partition, "fetch", flaky)
    job = dg.define_asset_job("margin_alerts_job", op_retry_policy=dg.RetryPolicy(max_retries=1))
    defs = dg.Definitions(
        assets=[build_asset(spec)],
        jobs=[job],
        resources={
            "jquants": make_jquants(sim, plan="standard"),
            "warehouse": WarehouseResource(database_url=sqlite_database),
        },
    )
    with dg.instance_for_test() as instance:
        result = defs.resolve_job_def("margin_alerts_job").execute_in_process(
            instance=instance,
            tags=dict(zip(RANGE_TAGS, (FIRST.isoformat(), LAST.isoformat()), strict=True)),
        )
        assert result.success and failed == [LAST]
        materialized = instance.get_materialized_partitions(dg.AssetKey(spec.name))
    assert len(materialized) == 25
    # The retry neither downloaded September again nor refetched August's days.
    assert gets(sim) == [file_of(spec)]
    requested = [q.get("date") for _, p, q, _ in sim.stats.log if p == "/v2" + spec.path]
    assert sorted(requested) == ["2026-08-28", "2026-08-31", "2026-10-01"]
    checks = {e.check_name: e.passed for e in result.get_asset_check_evaluations()}
    assert checks == dict.fromkeys(
        ("margin_alerts_unique_key", "margin_alerts_not_empty", "margin_alerts_types"), True
    )

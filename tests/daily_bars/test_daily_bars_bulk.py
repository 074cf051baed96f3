"""Backfills of daily bars from J-Quants bulk files (issue 14), on SQLite and PostgreSQL.

Every test compares with what a REST backfill of the same days stores: the bulk path must be
invisible in the data (same rows, same partitions, same checks), and only faster.
"""

from __future__ import annotations

import datetime as dt
import time

import dagster as dg
import pytest
import sqlalchemy as sa

from moo_markets.daily_bars import bulk as bulk_module
from moo_markets.daily_bars import checks, store
from moo_markets.daily_bars.assets import daily_bars
from moo_markets.daily_bars.bulk import copy_plan, whole_months
from moo_markets.jquants import bulk as jquants_bulk
from moo_markets.warehouse import get_engine
from moo_markets.warehouse.resource import WarehouseResource
from moo_markets.warehouse.schema import bulk_files
from moo_markets.warehouse.schema import daily_bars as bars_table

RANGE_TAGS = ("dagster/asset_partition_range_start", "dagster/asset_partition_range_end")
FIRST, LAST = dt.date(2026, 7, 29), dt.date(2026, 10, 2)  # July and October partly: REST
AUG, SEP = "equities_bars_daily_202608.csv.gz", "equities_bars_daily_202609.csv.gz"


def in_memory_instance() -> dg.DagsterInstance:
    """A fresh in-memory instance: a temporary SQLite one stores each run's hundreds of
    partition events in an fsync'd database of its own, a large share of each test."""
    return dg.DagsterInstance.ephemeral()


@pytest.fixture
def instance():
    with in_memory_instance() as instance:
        yield instance


@pytest.fixture
def sim(make_simulator):
    return make_simulator(plan="light")


def run(sim, url, make_jquants, instance, first=FIRST, last=LAST, **config):
    return dg.materialize(
        [daily_bars],
        resources={
            "jquants": make_jquants(sim, plan="light"),
            "warehouse": WarehouseResource(database_url=url),
        },
        instance=instance,
        tags=dict(zip(RANGE_TAGS, (first.isoformat(), last.isoformat()), strict=True)),
        run_config={"ops": {"daily_bars": {"config": config}}} if config else None,
        raise_on_error=False,
    )


def stored(url: str) -> list[dict]:
    with get_engine(url).connect() as connection:
        return store.stored_rows(connection)


def wipe(url: str) -> None:
    with get_engine(url).begin() as connection:
        connection.execute(sa.delete(bars_table))
        connection.execute(sa.delete(bulk_files))


def paths(sim) -> list[str]:
    return [path for _, path, _, _ in sim.stats.log]


def gets(sim) -> list[str]:
    return [q["key"].rsplit("/", 1)[1] for _, p, q, _ in sim.stats.log if p == "/v2/bulk/get"]


def materializations(result) -> dict[str, dict]:
    return {
        e.materialization.partition: {k: v.value for k, v in e.materialization.metadata.items()}
        for e in result.get_asset_materialization_events()
        if e.materialization.asset_key == daily_bars.key
    }


def check_results(result) -> dict[str, bool]:
    return {
        e.check_name: e.passed
        for e in result.get_asset_check_evaluations()
        if e.check_name in (checks.UNIQUE, checks.ROW_COUNT, checks.OHLC)
    }


@pytest.fixture(scope="module")
def rest_references() -> dict[str, dict]:
    """``rest_reference`` per database kind, for the module's tests (same simulator settings,
    seed and days: the same reference); it took ~20 s, and 3 tests x 2 databases use it."""
    return {}


@pytest.fixture
def rest_reference(sim, warehouse_url, make_jquants, rest_references):
    """What a REST backfill of FIRST..LAST stores (then the warehouse is emptied again),
    computed by the first test on each kind of database."""
    kind = sa.engine.make_url(warehouse_url).get_backend_name()
    if kind in rest_references:
        return rest_references[kind]
    with in_memory_instance() as rest_instance:
        result = run(sim, warehouse_url, make_jquants, rest_instance, use_bulk_files=False)
        assert result.success
        reference = {
            "rows": stored(warehouse_url),
            "metadata": materializations(result),
            "checks": check_results(result),
            "partitions": rest_instance.get_materialized_partitions(daily_bars.key),
        }
    assert "/v2/bulk/list" not in paths(sim)
    wipe(warehouse_url)
    sim.reset_stats()
    rest_references[kind] = reference
    return reference


def test_whole_months_of_a_range() -> None:
    days = [FIRST + dt.timedelta(days=i) for i in range((LAST - FIRST).days + 1)]
    assert whole_months(days) == [dt.date(2026, 8, 1), dt.date(2026, 9, 1)]
    assert whole_months(days[1:40]) == [dt.date(2026, 8, 1)]
    assert whole_months([dt.date(2026, 9, 1)]) == []


def test_bars_files_take_the_copy_path_on_postgresql() -> None:
    """Whole files stream into COPY (fields the table does not keep trail and are cut off);
    only SQLite or unknown fields in between go row by row."""
    header = ["Date", "Code", "O", "Vo", "MktCap", "ExRT"]
    assert copy_plan(header, "postgresql") == (["date", "code", "open", "volume"], 2)
    assert copy_plan(header, "sqlite") is None
    assert copy_plan(["Date", "MktCap", "Code"], "postgresql") is None


def test_bulk_backfill_stores_exactly_the_rest_rows(
    sim, warehouse_url, make_jquants, instance, rest_reference
) -> None:
    result = run(sim, warehouse_url, make_jquants, instance)
    assert result.success
    assert stored(warehouse_url) == rest_reference["rows"]
    assert instance.get_materialized_partitions(daily_bars.key) == rest_reference["partitions"]
    assert (
        check_results(result)
        == rest_reference["checks"]
        == dict.fromkeys((checks.UNIQUE, checks.ROW_COUNT, checks.OHLC), True)
    )
    # Two files, one /bulk/get each; REST only for the days of July and October.
    assert sorted(gets(sim)) == [AUG, SEP]
    rest_days = {q["date"] for _, p, q, _ in sim.stats.log if p == "/v2/equities/bars/daily"}
    assert rest_days and all(d[:7] in ("2026-07", "2026-10") for d in rest_days)
    assert not any(d.had_api_key for d in sim.storage_stats.downloads)
    # Same metadata per partition, plus where the day came from.
    metadata = materializations(result)
    assert set(metadata) == set(rest_reference["metadata"])
    volatile = {"duration_seconds", "fetch_seconds", "write_seconds", "requests", "preview"}
    volatile |= {"source", "bulk_file", "bulk_unchanged", "retries", "rate_limited"}
    for key, md in metadata.items():
        rest_md = rest_reference["metadata"][key]
        assert set(md) - {"bulk_file", "bulk_unchanged"} == set(rest_md), key
        assert {k: v for k, v in md.items() if k not in volatile} == {
            k: v for k, v in rest_md.items() if k not in volatile
        }, key
        assert md["source"] == ("bulk" if key[:7] in ("2026-08", "2026-09") else "rest")
        assert rest_md["source"] == "rest"
    with get_engine(warehouse_url).connect() as connection:
        recorded = connection.execute(sa.select(bulk_files.c.key, bulk_files.c.rows)).all()
    assert sorted(k.rsplit("/", 1)[1] for k, _ in recorded) == [AUG, SEP]
    assert sum(n for _, n in recorded) == sum(
        1 for r in stored(warehouse_url) if r["date"].month in (8, 9)
    )


def test_bulk_off_and_free_plan_use_rest_only(sim, sqlite_database, make_jquants, instance):
    result = run(sim, sqlite_database, make_jquants, instance, use_bulk_files=False)
    assert result.success and not gets(sim) and "/v2/bulk/list" not in paths(sim)


def test_an_expired_url_is_requested_again(
    make_simulator, sqlite_database, make_jquants, instance, monkeypatch
) -> None:
    sim = make_simulator(plan="light", bulk_url_ttl_seconds=1)
    original = jquants_bulk.download_url
    stale = {"done": False}

    def slow_url(client, key):
        url = original(client, key)
        if not stale["done"]:  # the first URL is only used after it expired
            stale["done"] = True
            import time

            time.sleep(2.1)
        return url

    monkeypatch.setattr(jquants_bulk, "download_url", slow_url)
    first, last = dt.date(2026, 8, 1), dt.date(2026, 8, 31)
    result = run(sim, sqlite_database, make_jquants, instance, first, last)
    assert result.success
    assert gets(sim) == [AUG, AUG]
    assert [d.status for d in sim.storage_stats.downloads] == [403, 200]
    assert {r["date"].month for r in stored(sqlite_database)} == {8}


def test_a_changed_file_is_loaded_again(
    sim, warehouse_url, make_jquants, instance, rest_reference
) -> None:
    first, last = dt.date(2026, 8, 1), dt.date(2026, 9, 30)
    assert run(sim, warehouse_url, make_jquants, instance, first, last).success
    assert sorted(gets(sim)) == [AUG, SEP]
    # Unchanged files are not downloaded again...
    sim.reset_stats()
    again = run(sim, warehouse_url, make_jquants, instance, first, last)
    assert again.success and gets(sim) == []
    assert all(md["source"] == "bulk" for md in materializations(again).values())
    # ...a corrected one is.
    changed = sim.correct_closes(dt.date(2026, 9, 15), count=3)
    sim.reset_stats()
    corrected = run(sim, warehouse_url, make_jquants, instance, first, last)
    assert corrected.success and gets(sim) == [SEP]
    rows = {(r["date"], r["code"]): r for r in stored(warehouse_url)}
    day = dt.date(2026, 9, 15)
    for code in changed:
        rest = sim.rows("/equities/bars/daily", {"date": day.isoformat(), "code": code}, "light")
        assert float(rows[(day, code)]["close"]) == rest[0]["C"]
    # Everything else still equals the REST backfill of those days.
    reference = [r for r in rest_reference["rows"] if first <= r["date"] <= last]
    now = [r for r in stored(warehouse_url) if not (r["date"] == day and r["code"] in changed)]
    assert now == [r for r in reference if not (r["date"] == day and r["code"] in changed)]


@pytest.mark.parametrize("fault", ["corrupt", "truncate"])
def test_a_broken_file_fails_its_month_cleanly(
    sim, warehouse_url, make_jquants, instance, fault
) -> None:
    first, last = dt.date(2026, 8, 1), dt.date(2026, 8, 31)
    assert run(
        sim, warehouse_url, make_jquants, instance, first, last, use_bulk_files=False
    ).success
    before = stored(warehouse_url)
    sim.inject_download(fault, count=5)
    with in_memory_instance() as fresh:
        result = run(sim, warehouse_url, make_jquants, fresh, first, last)
        assert not result.success
        failure = next(
            e for e in result.all_events if e.event_type == dg.DagsterEventType.STEP_FAILURE
        )
        message = failure.step_failure_data.error.to_string()
        assert f"J-Quants bulk file equities/bars/daily/historical/2026/{AUG}" in message
        assert not fresh.get_materialized_partitions(daily_bars.key)
    assert stored(warehouse_url) == before  # the month's old rows are untouched
    with get_engine(warehouse_url).connect() as connection:
        assert connection.execute(sa.select(sa.func.count()).select_from(bulk_files)).scalar() == 0


def test_an_interrupted_bulk_backfill_resumes(
    sim, warehouse_url, make_jquants, instance, rest_reference, monkeypatch
) -> None:
    original = jquants_bulk.BulkDownloader.chunks

    def break_september(self, file, url=None):
        for n, chunk in enumerate(original(self, file, url)):
            if SEP in file.key and n == 2:  # part of the month is already in COPY
                raise jquants_bulk.BulkFileError(file.key, "download broke off (test)")
            yield chunk

    monkeypatch.setattr(jquants_bulk.BulkDownloader, "chunks", break_september)
    result = run(sim, warehouse_url, make_jquants, instance)
    assert not result.success
    done = instance.get_materialized_partitions(daily_bars.key)
    assert done and max(done) < "2026-09-01" and "2026-08-31" in done
    assert {r["date"].month for r in stored(warehouse_url)} == {7, 8}

    monkeypatch.setattr(jquants_bulk.BulkDownloader, "chunks", original)
    sim.reset_stats()
    keys = sorted(rest_reference["partitions"] - done)
    resumed = run(
        sim, warehouse_url, make_jquants, instance,
        dt.date.fromisoformat(keys[0]), dt.date.fromisoformat(keys[-1]),
    )  # fmt: skip
    assert resumed.success
    assert gets(sim) == [SEP]
    assert instance.get_materialized_partitions(daily_bars.key) == rest_reference["partitions"]
    assert stored(warehouse_url) == rest_reference["rows"]


def test_a_url_requested_ahead_that_expires_before_its_download_is_renewed(
    make_simulator, sqlite_database, make_jquants, instance, monkeypatch
) -> None:
    """URLs are requested ahead of the downloads; one that waited past its lifetime is
    requested again (one more /bulk/get), and the rows are still the REST rows."""
    sim = make_simulator(plan="light", bulk_url_ttl_seconds=1)
    original = jquants_bulk.BulkDownloader.chunks

    def slow_september(self, file, url=None):
        if SEP in file.key:  # its URL was requested while August was downloaded
            time.sleep(2.1)
        yield from original(self, file, url)

    monkeypatch.setattr(jquants_bulk.BulkDownloader, "chunks", slow_september)
    first, last = dt.date(2026, 8, 1), dt.date(2026, 9, 30)
    assert run(sim, sqlite_database, make_jquants, instance, first, last).success
    assert gets(sim) == [AUG, SEP, SEP]
    assert [d.status for d in sim.storage_stats.downloads] == [200, 403, 200]
    bulk_rows = stored(sqlite_database)
    wipe(sqlite_database)
    with dg.instance_for_test() as rest_instance:
        assert run(
            sim, sqlite_database, make_jquants, rest_instance, first, last, use_bulk_files=False
        ).success
    assert bulk_rows == stored(sqlite_database)


def test_rest_days_after_the_months_are_fetched_while_the_months_are_written(
    sim, warehouse_url, make_jquants, instance, rest_reference, monkeypatch
) -> None:
    """October's REST requests leave once the months' URLs are out, not after September's
    commit; the days are still written and logged in date order, with the REST rows."""
    original = bulk_module._write
    seen: dict[str, bool] = {}

    def write_september_after_october_was_requested(connection, target, key, items):
        if SEP in key:
            deadline = time.monotonic() + 20
            while time.monotonic() < deadline and not any(
                p == "/v2/equities/bars/daily" and q.get("date", "").startswith("2026-10")
                for _, p, q, _ in sim.stats.log
            ):
                time.sleep(0.05)
            seen["october"] = time.monotonic() < deadline
        return original(connection, target, key, items)

    monkeypatch.setattr(bulk_module, "_write", write_september_after_october_was_requested)
    result = run(sim, warehouse_url, make_jquants, instance)
    assert result.success
    assert seen == {"october": True}
    assert stored(warehouse_url) == rest_reference["rows"]
    logged = [
        e.asset_materialization.partition
        for e in instance.all_logs(result.run_id, of_type=dg.DagsterEventType.ASSET_MATERIALIZATION)
        if e.asset_materialization.asset_key == daily_bars.key
    ]
    assert logged == sorted(rest_reference["partitions"])
    metadata = materializations(result)
    assert {k for k, md in metadata.items() if md["source"] == "rest"} == {
        k for k in metadata if k[:7] in ("2026-07", "2026-10")
    }


def test_no_month_is_committed_after_a_failed_one(
    sim, warehouse_url, make_jquants, instance, monkeypatch
) -> None:
    """The next month is written while the days of the last are logged, but never past a
    month that failed: the run stops with July stored, August rolled back, September not
    written."""
    original = jquants_bulk.BulkDownloader.chunks

    def break_august(self, file, url=None):
        for n, chunk in enumerate(original(self, file, url)):
            if AUG in file.key and n == 1:
                raise jquants_bulk.BulkFileError(file.key, "download broke off (test)")
            yield chunk

    monkeypatch.setattr(jquants_bulk.BulkDownloader, "chunks", break_august)
    result = run(
        sim, warehouse_url, make_jquants, instance, dt.date(2026, 7, 1), dt.date(2026, 9, 30)
    )
    assert not result.success
    assert {r["date"].month for r in stored(warehouse_url)} == {7}
    with get_engine(warehouse_url).connect() as connection:
        keys = connection.execute(sa.select(bulk_files.c.key)).scalars().all()
    assert [k.rsplit("/", 1)[1] for k in keys] == ["equities_bars_daily_202607.csv.gz"]
    done = instance.get_materialized_partitions(daily_bars.key)
    assert done and max(done) == "2026-07-31"

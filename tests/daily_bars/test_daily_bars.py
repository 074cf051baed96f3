"""The daily_bars / trading_calendar assets, job and schedule against the simulator.

Runs hit the real HTTP simulator and a real SQLite file or PostgreSQL
database; stored values are compared with the simulator's dataset as
Decimals, so a float rounding or a lost column fails the test.
"""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

import dagster as dg
import pytest
import sqlalchemy as sa

from moo_markets.core.catalog import DAILY_BARS, JOB_TYPE_TAG
from moo_markets.core.settings import load_settings
from moo_markets.daily_bars import build_definitions, checks, store
from moo_markets.daily_bars import rows as bar_rows
from moo_markets.daily_bars.assets import daily_bars, trading_calendar
from moo_markets.daily_bars.partitions import DAILY_PARTITIONS
from moo_markets.jobs import JQUANTS_TAG
from moo_markets.jquants_pool import JQUANTS_POOL
from moo_markets.jquants_sim import Dataset
from moo_markets.jquants_sim.endpoints import rows as sim_rows
from moo_markets.maintenance import freshness
from moo_markets.warehouse import bulk, get_engine
from moo_markets.warehouse.resource import WarehouseResource
from moo_markets.warehouse.revisions import history_of
from moo_markets.warehouse.schema import BAR_COLUMNS
from moo_markets.warehouse.schema import daily_bars as bars_table

JST = ZoneInfo("Asia/Tokyo")
BARS_PATH = "/v2/equities/bars/daily"
CALENDAR_PATH = "/v2/markets/calendar"
MONDAY = dt.date(2026, 3, 2)
HOLIDAY = dt.date(2026, 1, 12)  # Coming of Age Day, a Monday
RANGE_TAGS = ("dagster/asset_partition_range_start", "dagster/asset_partition_range_end")


# ---- helpers -----------------------------------------------------------------------


@pytest.fixture
def instance():
    with dg.instance_for_test() as instance:
        yield instance


def resources(sim, url, make_jquants, **overrides) -> dict:
    return {
        "jquants": make_jquants(sim, **overrides),
        "warehouse": WarehouseResource(database_url=url),
    }


def run_bars(
    sim,
    url,
    make_jquants,
    instance,
    first: dt.date,
    last: dt.date | None = None,
    config: dict | None = None,
    **overrides,
):
    """Materialize daily_bars for one day or, in ONE run, for the range first..last."""
    last = last or first
    if first == last:
        tags = {}
        partition = first.isoformat()
    else:
        tags = dict(zip(RANGE_TAGS, (first.isoformat(), last.isoformat()), strict=True))
        partition = None
    return dg.materialize(
        [daily_bars],
        resources=resources(sim, url, make_jquants, **overrides),
        instance=instance,
        partition_key=partition,
        tags=tags,
        run_config={"ops": {"daily_bars": {"config": config}}} if config else None,
        raise_on_error=False,
    )


def stored(url: str, *, date: dt.date | None = None, code: str | None = None) -> list[dict]:
    with get_engine(url).connect() as connection:
        return store.stored_rows(connection, date=date, code=code)


def _expected_value(column: str, value):
    if value is None:
        return None
    type_ = bars_table.c[column].type
    if isinstance(type_, sa.BigInteger):
        assert float(value).is_integer()
        return int(value)
    if isinstance(type_, sa.Numeric):
        return Decimal(repr(value)).quantize(Decimal(1).scaleb(-type_.scale), ROUND_HALF_UP)
    return value


def expected(rows: list[dict]) -> list[dict]:
    """The simulator's API rows as the table rows they must become."""
    records = []
    for row in rows:
        record = {"date": dt.date.fromisoformat(row["Date"]), "code": row["Code"]}
        for field, column in BAR_COLUMNS.items():
            record[column] = _expected_value(column, row.get(field))
        records.append(record)
    return sorted(records, key=lambda r: (r["date"], r["code"]))


def business_days(sim, first: dt.date, last: dt.date) -> list[dt.date]:
    days = (first + dt.timedelta(days=i) for i in range((last - first).days + 1))
    return [d for d in days if sim.dataset.is_business_day(d)]


def bars_requests(sim) -> list[dict[str, str]]:
    return [query for _, path, query, _ in sim.stats.log if path == BARS_PATH]


def weekdays(first: dt.date, last: dt.date) -> list[str]:
    """Partition keys from first to last: every weekday, holidays included."""
    days = (first + dt.timedelta(days=i) for i in range((last - first).days + 1))
    return [d.isoformat() for d in days if d.weekday() < 5]


def materializations(result) -> dict[str, dict]:
    return {
        e.materialization.partition: {k: v.value for k, v in e.materialization.metadata.items()}
        for e in result.get_asset_materialization_events()
        if e.materialization.asset_key == daily_bars.key
    }


def check_results(result) -> dict[str, bool]:
    """Outcomes of the checks on the run's own days (freshness depends on today's date)."""
    return {
        e.check_name: e.passed
        for e in result.get_asset_check_evaluations()
        if e.check_name != freshness.DAILY_BARS_FRESH
    }


# ---- single days -------------------------------------------------------------------


def test_holiday_partition_calls_nothing(
    make_simulator, sqlite_database, make_jquants, instance
) -> None:
    sim = make_simulator()
    warehouse = WarehouseResource(database_url=sqlite_database)
    calendar = dg.materialize(
        [trading_calendar],
        resources={"jquants": make_jquants(sim), "warehouse": warehouse},
        instance=instance,
    )
    assert calendar.success
    sim.reset_stats()

    assert not DAILY_PARTITIONS.has_partition_key("2026-03-07")  # weekends are no partitions
    for day in (HOLIDAY, dt.date(2026, 3, 20)):  # Coming of Age Day, Vernal Equinox Day
        result = run_bars(sim, sqlite_database, make_jquants, instance, day)
        assert result.success
        metadata = materializations(result)[day.isoformat()]
        assert metadata["session"] == "no session"
        assert metadata["hol_div"] == "0"
        assert metadata["requests"] == 0 and "dagster/row_count" not in metadata
        assert stored(sqlite_database, date=day) == []
    assert sim.stats.requests == 0


def test_holiday_without_stored_calendar_asks_only_the_calendar(
    make_simulator, sqlite_database, make_jquants, instance
) -> None:
    sim = make_simulator()
    result = run_bars(sim, sqlite_database, make_jquants, instance, HOLIDAY)
    assert result.success
    assert sim.stats.requests >= 1  # the calendar (possibly several pages), nothing else
    assert {path for _, path, _, _ in sim.stats.log} == {CALENDAR_PATH}
    assert materializations(result)[HOLIDAY.isoformat()]["session"] == "no session"


def test_business_day_lands_exactly_the_simulators_rows(
    simulator, warehouse_url, make_jquants, instance
) -> None:
    result = run_bars(simulator, warehouse_url, make_jquants, instance, MONDAY)
    assert result.success
    api_rows = simulator.dataset.bars_on(MONDAY)
    rows = stored(warehouse_url, date=MONDAY)
    assert rows == expected(api_rows)
    assert 4000 <= len(rows) <= 5000
    assert all(isinstance(r["code"], str) and len(r["code"]) == 5 for r in rows)
    # Standard plan: no session fields in the API, NULL in the table.
    assert all(r["morning_open"] is None and r["afternoon_adj_volume"] is None for r in rows)
    # No-trade rows keep NULLs, never 0.
    no_trade = [r for r in rows if r["volume"] is None]
    assert no_trade and all(r["open"] is None and r["turnover_value"] is None for r in no_trade)
    assert not any(r["volume"] == 0 for r in rows)
    # Turnover beyond 2**31 survives as an exact integer.
    assert max(r["turnover_value"] or 0 for r in rows) > 2**31

    metadata = materializations(result)[MONDAY.isoformat()]
    assert metadata["rows"] == metadata["dagster/row_count"] == metadata["codes"] == len(rows)
    assert metadata["no_trade"] == len(no_trade)
    assert metadata["session"] == "full day"
    assert metadata["requests"] == 1
    assert "| code |" in metadata["preview"] and rows[0]["code"] in metadata["preview"]
    assert check_results(result) == {checks.UNIQUE: True, checks.ROW_COUNT: True, checks.OHLC: True}


def test_rerun_is_idempotent(simulator, warehouse_url, make_jquants, instance) -> None:
    assert run_bars(simulator, warehouse_url, make_jquants, instance, MONDAY).success
    first = stored(warehouse_url, date=MONDAY)
    assert run_bars(simulator, warehouse_url, make_jquants, instance, MONDAY).success
    assert stored(warehouse_url, date=MONDAY) == first
    with get_engine(warehouse_url).connect() as connection:
        total = connection.execute(sa.select(sa.func.count()).select_from(bars_table)).scalar_one()
    assert total == len(first)


def test_premium_session_fields_are_stored(
    make_simulator, warehouse_url, make_jquants, instance
) -> None:
    sim = make_simulator(plan="premium")
    assert run_bars(sim, warehouse_url, make_jquants, instance, MONDAY).success
    api_rows = sim.dataset.bars_on(MONDAY)
    assert "MO" in api_rows[0] and "AAdjVo" in api_rows[0]
    rows = stored(warehouse_url, date=MONDAY)
    assert rows == expected(api_rows)
    traded = [r for r in rows if r["volume"] is not None]
    assert all(r["morning_open"] is not None and r["afternoon_close"] is not None for r in traded)
    assert all(r["morning_volume"] + r["afternoon_volume"] == r["volume"] for r in traded)


def test_empty_business_day_fails_and_keeps_rows(
    make_simulator, sqlite_database, make_jquants, instance
) -> None:
    """A business day J-Quants has not published yet must not wipe what is stored."""
    sim = make_simulator(today=MONDAY)
    assert run_bars(sim, sqlite_database, make_jquants, instance, MONDAY).success
    before = stored(sqlite_database, date=MONDAY)
    sim.set_today(MONDAY - dt.timedelta(days=3))  # Friday: Monday's bars "not published"
    result = run_bars(sim, sqlite_database, make_jquants, instance, MONDAY)
    assert not result.success
    assert stored(sqlite_database, date=MONDAY) == before


# ---- splits ------------------------------------------------------------------------


def _split_case(sim) -> tuple[dt.date, str, list[dt.date]]:
    """A split in 2025 of a code that traded on the three business days before it."""
    for ex_date, code, _factor in sim.dataset.split_events():
        if ex_date.year != 2025:
            continue
        before = business_days(
            sim, ex_date - dt.timedelta(days=10), ex_date - dt.timedelta(days=1)
        )[-3:]
        history = sim.dataset.bars_for_code(code, before[0], before[-1])
        if len(history) == 3 and all(r["C"] is not None for r in history):
            return ex_date, code, before
    raise AssertionError("no usable split in the simulator's 2025")


def test_split_refetch_rewrites_history(
    make_simulator, warehouse_url, make_jquants, instance
) -> None:
    sim = make_simulator()
    ex_date, code, before = _split_case(sim)
    sim.set_today(before[-1])  # the split is still in the future
    assert run_bars(sim, warehouse_url, make_jquants, instance, before[0], before[-1]).success
    stale = stored(warehouse_url, code=code)
    others = [r for r in stored(warehouse_url, date=before[0]) if r["code"] != code]

    sim.set_today(ex_date)  # J-Quants now back-adjusts the history
    sim.reset_stats()
    result = run_bars(sim, warehouse_url, make_jquants, instance, ex_date)
    assert result.success
    metadata = materializations(result)[ex_date.isoformat()]
    assert code in metadata["split_code_list"].split(", ")
    assert code in metadata["refetched_codes"].split(", ")
    assert metadata["history_rows_rewritten"] >= len(before)
    assert {"code": code} in bars_requests(sim)  # code= alone: the whole history

    rewritten = stored(warehouse_url, code=code)
    assert rewritten == expected(sim.dataset.bars_for_code(code, before[0], ex_date))
    assert [r["adj_close"] for r in rewritten[:3]] != [r["adj_close"] for r in stale]
    assert [r["close"] for r in rewritten[:3]] == [r["close"] for r in stale]  # raw unchanged
    assert [r for r in stored(warehouse_url, date=before[0]) if r["code"] != code] == others
    # The adjusted prices the split rewrote are kept as revisions (issue 15).
    revisions = history_of(bars_table).revisions
    with get_engine(warehouse_url).connect() as connection:
        kept = connection.execute(
            sa.select(revisions.c.date, revisions.c.adj_close, revisions.c.change_kind)
            .where(revisions.c.code == code)
            .order_by(revisions.c.date)
        ).all()
    assert [(r.date, r.adj_close, r.change_kind) for r in kept] == [
        (r["date"], r["adj_close"], "updated") for r in stale
    ]


def test_split_inside_one_backfill_needs_no_refetch(
    make_simulator, sqlite_database, make_jquants, instance
) -> None:
    """Days fetched in the same run are already adjusted as of now: no extra request."""
    sim = make_simulator()
    ex_date, code, before = _split_case(sim)
    sim.set_today(ex_date)
    result = run_bars(sim, sqlite_database, make_jquants, instance, before[0], ex_date)
    assert result.success
    metadata = materializations(result)[ex_date.isoformat()]
    assert code in metadata["split_code_list"].split(", ")
    assert metadata["refetched_codes"] == ""
    assert all("code" not in q for q in bars_requests(sim))
    assert stored(sqlite_database, code=code) == expected(
        sim.dataset.bars_for_code(code, before[0], ex_date)
    )


# ---- backfills ---------------------------------------------------------------------


def test_backfill_of_a_range_in_one_run(
    make_simulator, warehouse_url, make_jquants, instance
) -> None:
    """Two weeks with a holiday (2026-02-11), through daily_bars_job, one run."""
    sim = make_simulator()
    first, last = dt.date(2026, 2, 2), dt.date(2026, 2, 13)
    defs = dg.Definitions.merge(
        build_definitions(load_settings()),
        dg.Definitions(resources=resources(sim, warehouse_url, make_jquants)),
    )
    result = defs.resolve_job_def(DAILY_BARS.job_name).execute_in_process(
        instance=instance,
        tags=dict(zip(RANGE_TAGS, (first.isoformat(), last.isoformat()), strict=True)),
        raise_on_error=False,
    )
    assert result.success
    assert len(instance.get_run_records()) == 1
    sessions = business_days(sim, first, last)
    assert dt.date(2026, 2, 11) not in sessions and len(sessions) == 9

    # Only business days were requested, in order, one request each; plus the calendar.
    # Two fetch threads by default: arrival order may swap, but each day is asked once.
    assert sorted(q["date"] for q in bars_requests(sim)) == [d.isoformat() for d in sessions]
    assert {path for _, path, _, _ in sim.stats.log} == {BARS_PATH, CALENDAR_PATH}

    metadata = materializations(result)
    assert sorted(metadata) == weekdays(first, last)  # one per partition, none for weekends
    for key, md in metadata.items():
        is_session = dt.date.fromisoformat(key) in sessions
        assert (md["session"] != "no session") == is_session
    all_rows = [row for day in sessions for row in sim.dataset.bars_on(day)]
    with get_engine(warehouse_url).connect() as connection:
        rows = store.stored_rows(connection)
    assert rows == expected(all_rows)
    assert check_results(result) == {checks.UNIQUE: True, checks.ROW_COUNT: True, checks.OHLC: True}
    calendar_events = [
        e for e in result.get_asset_materialization_events()
        if e.materialization.asset_key == trading_calendar.key
    ]  # fmt: skip
    assert len(calendar_events) == 1 and calendar_events[0].materialization.partition is None


def test_interrupted_backfill_resumes_without_duplicates(
    make_simulator, warehouse_url, make_jquants, instance
) -> None:
    first, last = dt.date(2026, 2, 2), dt.date(2026, 2, 10)
    # Calendar pages + 3 days succeed, then four 500s: with 2 attempts per request the 4th
    # day fails hard. One fetch thread keeps the requests in day order, so exactly the
    # first three days are the ones that got through (with two threads the 4th and 5th
    # day race for the third good answer).
    calendar_pages = -(
        -len(sim_rows(Dataset(seed=42), "/markets/calendar", {}, "standard")) // 5000
    )
    flaky = make_simulator(burst_500_every=calendar_pages + 3, burst_500_length=4)
    sessions = business_days(flaky, first, last)
    result = run_bars(
        flaky, warehouse_url, make_jquants, instance, first, last,
        config={"fetch_concurrency": 1}, max_attempts=2,
    )  # fmt: skip
    assert not result.success

    with get_engine(warehouse_url).connect() as connection:
        stored_days = sorted({r["date"] for r in store.stored_rows(connection)})
    done = sessions[: len(stored_days)]
    assert stored_days == done and len(done) == 3  # complete days, in order
    for day in done:
        assert stored(warehouse_url, date=day) == expected(flaky.dataset.bars_on(day))
    materialized = instance.get_materialized_partitions(daily_bars.key)
    assert {d.isoformat() for d in done} <= materialized
    assert max(materialized) < sessions[len(done)].isoformat()  # nothing after the failure

    # Resume: the partitions not materialized yet, against a healthy J-Quants.
    sim = make_simulator()
    keys = DAILY_PARTITIONS.get_partition_keys_in_range(
        dg.PartitionKeyRange(first.isoformat(), last.isoformat())
    )
    missing = sorted(set(keys) - materialized)
    assert missing[0] > done[-1].isoformat()
    resumed = run_bars(
        sim, warehouse_url, make_jquants, instance,
        dt.date.fromisoformat(missing[0]), dt.date.fromisoformat(missing[-1]),
    )  # fmt: skip
    assert resumed.success
    assert instance.get_materialized_partitions(daily_bars.key) >= set(keys)
    requests = bars_requests(sim)
    assert sorted(q["date"] for q in requests if "date" in q) == [
        d.isoformat() for d in sessions[len(done) :]
    ]
    # Split codes with rows from the first run (before this run's first day) are refetched.
    refetched = {
        code
        for md in materializations(resumed).values()
        for code in md.get("refetched_codes", "").split(", ")
        if code
    }
    assert {q["code"] for q in requests if "code" in q} == refetched
    with get_engine(warehouse_url).connect() as connection:
        rows = store.stored_rows(connection)
    assert rows == expected([row for day in sessions for row in sim.dataset.bars_on(day)])


def test_step_retry_resumes_after_the_committed_days(
    make_simulator, sqlite_database, make_jquants, instance, monkeypatch
) -> None:
    """Dagster's step retry re-runs the step for the whole range; committed days are skipped."""
    monkeypatch.setenv("MOO_MARKETS_STEP_RETRIES", "1")
    monkeypatch.setenv("MOO_MARKETS_STEP_RETRY_DELAY_SECONDS", "0")
    first, last = dt.date(2026, 2, 2), dt.date(2026, 2, 10)
    calendar_pages = -(
        -len(sim_rows(Dataset(seed=42), "/markets/calendar", {}, "standard")) // 5000
    )
    sim = make_simulator(burst_500_every=calendar_pages + 3, burst_500_length=2)
    sessions = business_days(sim, first, last)
    defs = dg.Definitions.merge(
        build_definitions(load_settings()),
        dg.Definitions(resources=resources(sim, sqlite_database, make_jquants, max_attempts=2)),
    )
    result = defs.resolve_job_def(DAILY_BARS.job_name).execute_in_process(
        instance=instance,
        tags=dict(zip(RANGE_TAGS, (first.isoformat(), last.isoformat()), strict=True)),
        # One fetch thread: nothing is in flight behind the failing day, so the assertion
        # below can demand exactly one successful request per day.
        run_config={"ops": {"daily_bars": {"config": {"fetch_concurrency": 1}}}},
        raise_on_error=False,
    )
    assert result.success
    assert any(e.event_type_value == "STEP_UP_FOR_RETRY" for e in result.all_events)
    answered = [
        q["date"] for _, path, q, status in sim.stats.log if path == BARS_PATH and status == 200
    ]
    assert answered == [d.isoformat() for d in sessions]  # each day fetched once
    partitions = [
        e.asset_materialization.partition
        for e in instance.all_logs(result.run_id, of_type=dg.DagsterEventType.ASSET_MATERIALIZATION)
        if e.asset_materialization.asset_key == daily_bars.key
    ]
    assert sorted(partitions) == weekdays(first, last)
    with get_engine(sqlite_database).connect() as connection:
        rows = store.stored_rows(connection)
    assert rows == expected([row for day in sessions for row in sim.dataset.bars_on(day)])


def test_fetch_threads_share_the_keys_pacer(
    make_simulator, sqlite_database, make_jquants, instance
):
    """Two fetch threads, each with its own HTTP session, still stay under the key's limit."""
    # 5 requests per 2 s (150/min) at the simulator; the client paces at 120/min.
    sim = make_simulator(rate_limit_per_minute=5, rate_window_seconds=2.0)
    first, last = dt.date(2026, 2, 2), dt.date(2026, 2, 10)
    result = run_bars(
        sim, sqlite_database, make_jquants, instance, first, last, requests_per_minute=120
    )
    assert result.success
    assert sim.stats.by_status == {200: sim.stats.requests}  # no 429
    assert len(bars_requests(sim)) == len(business_days(sim, first, last))


def test_half_finished_write_rolls_back(simulator, warehouse_url, make_jquants, instance) -> None:
    assert run_bars(simulator, warehouse_url, make_jquants, instance, MONDAY).success
    before = stored(warehouse_url, date=MONDAY)
    page = simulator.dataset.bars_on(MONDAY)

    dialect = get_engine(warehouse_url).dialect.name

    def batches():
        yield bar_rows.prepare(bar_rows.bar_page(page[:2000], date=MONDAY.isoformat()), dialect)
        raise RuntimeError("connection lost mid-day")

    with pytest.raises(RuntimeError), get_engine(warehouse_url).begin() as connection:
        store.replace_day(connection, MONDAY, batches())
    assert stored(warehouse_url, date=MONDAY) == before


def test_checks_catch_broken_days(simulator, sqlite_database, make_jquants, instance) -> None:
    friday = dt.date(2026, 2, 27)
    assert run_bars(simulator, sqlite_database, make_jquants, instance, friday, MONDAY).success
    engine = get_engine(sqlite_database)
    with engine.begin() as connection:
        codes = [r["code"] for r in store.stored_rows(connection, date=MONDAY)]
        connection.execute(  # a truncated day ...
            sa.delete(bars_table).where(
                bars_table.c.date == MONDAY, bars_table.c.code.in_(codes[:400])
            )
        )
        traded = next(
            r for r in store.stored_rows(connection, date=MONDAY) if r["high"] is not None
        )
        connection.execute(  # ... with a low above its high
            sa.update(bars_table)
            .where(bars_table.c.date == MONDAY, bars_table.c.code == traded["code"])
            .values(low=traded["high"] + 1)
        )
    run_checks = checks.RunChecks()
    with engine.connect() as connection:
        run_checks.add_day(connection, friday)
        run_checks.add_day(connection, MONDAY)
    results = {r.check_name: r for r in run_checks.results()}
    assert results[checks.UNIQUE].passed
    assert not results[checks.ROW_COUNT].passed
    assert results[checks.ROW_COUNT].metadata["days_outside_band"].value == 1
    assert not results[checks.OHLC].passed
    assert results[checks.OHLC].metadata["violations_sample"].value == f"{MONDAY}/{traded['code']}"


def test_fractional_volume_is_refused() -> None:
    row = {"Date": "2026-03-02", "Code": "72030", "Vo": 100.5, "Va": 1000.0}
    with pytest.raises(bar_rows.BarDataError, match="Vo"):
        list(bar_rows.bar_page([row], date="2026-03-02").values())
    page = bar_rows.bar_page([{**row, "Vo": 24318700.0, "Va": 69836512300.0}], date="2026-03-02")
    (values,) = page.values()
    assert values[page.columns.index("turnover_value")] == 69836512300
    assert type(values[page.columns.index("volume")]) is int
    with pytest.raises(bar_rows.BarDataError, match="unexpected row"):
        list(bar_rows.bar_page([row], date="2026-03-03").values())


def test_strings_are_stored_verbatim_whatever_they_hold(warehouse_url) -> None:
    """Both COPY paths (JSON-lines-as-CSV, and write_row when a string needed escaping)."""
    base = {"Date": "2026-03-02", "O": 1.5, "H": 2.25, "L": 0.1, "C": 1e-05, "Vo": 2.0**40}
    odd = '7"\\0'  # a quote and a backslash
    pages = [
        [{**base, "Code": "null", "UL": ",", "LL": "0"}],  # a quoted "null" is not NULL
        [{**base, "Code": odd, "UL": "\n", "LL": None}],  # needs escaping: write_row
    ]
    dialect = get_engine(warehouse_url).dialect.name
    with get_engine(warehouse_url).begin() as connection:
        for page in pages:
            prepared = bar_rows.prepare(bar_rows.bar_page(page, date="2026-03-02"), dialect)
            bulk.insert_rows(connection, prepared, bars_table.name)
    rows = {r["code"]: r for r in stored(warehouse_url, date=MONDAY)}
    assert rows.keys() == {"null", odd}
    assert (rows["null"]["upper_limit"], rows["null"]["lower_limit"]) == (",", "0")
    assert (rows[odd]["upper_limit"], rows[odd]["lower_limit"]) == ("\n", None)
    for row in rows.values():
        assert (row["open"], row["high"], row["low"]) == (
            Decimal("1.5"),
            Decimal("2.25"),
            Decimal("0.1"),
        )
        assert row["close"] == Decimal("0.00001") and row["volume"] == 2**40
        assert row["adj_close"] is None  # absent from the page: NULL


# ---- job and schedule --------------------------------------------------------------


def test_job_and_schedule_definitions() -> None:
    defs = definitions_with(WarehouseResource())
    job = defs.resolve_job_def(DAILY_BARS.job_name)
    assert job.partitions_def == DAILY_PARTITIONS
    assert job.tags[JOB_TYPE_TAG] == "daily_bars" and job.tags[JQUANTS_TAG] == "true"
    schedule = defs.resolve_schedule_def(DAILY_BARS.schedule_name)
    assert schedule.cron_schedule == "0 18 * * 1-5"
    assert schedule.execution_timezone == "Asia/Tokyo"
    assert schedule.default_status == dg.DefaultScheduleStatus.STOPPED
    assert daily_bars.backfill_policy == dg.BackfillPolicy.single_run()
    assert daily_bars.op.pool == trading_calendar.op.pool == JQUANTS_POOL


@pytest.fixture
def stored_calendar(simulator, sqlite_database) -> WarehouseResource:
    warehouse = WarehouseResource(database_url=sqlite_database)
    with warehouse.begin() as connection:
        store.replace_calendar(connection, simulator.dataset.calendar())
    return warehouse


def definitions_with(warehouse: WarehouseResource) -> dg.Definitions:
    """The job type's definitions with resources bound (no J-Quants call is made), on the
    simulator key's Standard plan: no delay, so a tick asks for its own day (the Free plan's
    12-week delay: test_plan_window.py)."""
    return dg.Definitions.merge(
        build_definitions(load_settings(jquants_plan="standard")),
        dg.Definitions(
            resources={"jquants": dg.ResourceDefinition.none_resource(), "warehouse": warehouse}
        ),
    )


def _tick(when: dt.datetime, warehouse: WarehouseResource):
    defs = definitions_with(warehouse)
    context = dg.build_schedule_context(
        scheduled_execution_time=when,
        resources={"warehouse": warehouse},
        repository_def=defs.get_repository_def(),
    )
    return defs.resolve_schedule_def(DAILY_BARS.schedule_name).evaluate_tick(context)


@pytest.mark.parametrize(
    "when, key",
    [
        (dt.datetime(2026, 3, 2, 18, 0, tzinfo=JST), "2026-03-02"),
        # 18:00 JST is 09:00 UTC the same day: the JST day counts.
        (dt.datetime(2026, 3, 31, 9, 0, tzinfo=dt.UTC), "2026-03-31"),  # end of month
        (dt.datetime(2026, 4, 30, 18, 0, tzinfo=JST), "2026-04-30"),
        (dt.datetime(2025, 12, 30, 18, 0, tzinfo=JST), "2025-12-30"),  # last session of the year
        # A late tick (e.g. a custom 00:30 cron) belongs to the JST day, not the UTC one.
        (dt.datetime(2026, 3, 2, 15, 30, tzinfo=dt.UTC), "2026-03-03"),
    ],
)
def test_schedule_tick_requests_the_jst_days_partition(stored_calendar, when, key) -> None:
    data = _tick(when, stored_calendar)
    assert [r.partition_key for r in data.run_requests] == [key]
    # end_offset=1: the tick's own day is already a partition at tick time.
    assert key in DAILY_PARTITIONS.get_partition_keys(current_time=when)


def test_schedule_skips_a_holiday_it_knows(stored_calendar) -> None:
    for day in (HOLIDAY, dt.date(2025, 12, 31), dt.date(2026, 5, 6)):
        data = _tick(dt.datetime.combine(day, dt.time(18), tzinfo=JST), stored_calendar)
        assert not data.run_requests
        assert (
            day.isoformat() in data.skip_message and "not a TSE business day" in data.skip_message
        )


def test_schedule_asks_anyway_without_a_calendar(sqlite_database) -> None:
    """No stored calendar: request the run; the asset records 'no session' itself."""
    warehouse = WarehouseResource(database_url=sqlite_database)
    data = _tick(dt.datetime.combine(HOLIDAY, dt.time(18), tzinfo=JST), warehouse)
    assert [r.partition_key for r in data.run_requests] == [HOLIDAY.isoformat()]


def test_codes_stored_before_is_one_query(warehouse_url) -> None:
    engine = get_engine(warehouse_url)
    rows = [
        {"date": dt.date(2026, 3, 2), "code": "72030"},
        {"date": dt.date(2026, 3, 3), "code": "72030"},
        {"date": dt.date(2026, 3, 3), "code": "130A0"},
        {"date": dt.date(2026, 3, 4), "code": "99840"},
    ]
    statements: list[str] = []

    def count(_conn, _cursor, statement, *_args) -> None:
        statements.append(statement)

    with engine.begin() as connection:
        connection.execute(sa.insert(bars_table), rows)
        sa.event.listen(engine, "before_cursor_execute", count)
        try:
            found = store.codes_stored_before(
                connection, ["72030", "130A0", "99840", "13010"], dt.date(2026, 3, 4)
            )
        finally:
            sa.event.remove(engine, "before_cursor_execute", count)
    assert found == {"72030", "130A0"}
    assert len(statements) == 1

"""Revisions and point-in-time reads (warehouse/replace.py, warehouse/revisions.py), on SQLite
and PostgreSQL: SQL through ``as_of_select`` answers what the warehouse held at a moment."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import sqlalchemy as sa

from moo_markets.core.time import now_jst
from moo_markets.daily_bars import store as bars_store
from moo_markets.datasets.registry import find
from moo_markets.ingest import store as dataset_store
from moo_markets.warehouse import bulk
from moo_markets.warehouse.engine import get_engine
from moo_markets.warehouse.replace import replacing, revising
from moo_markets.warehouse.revisions import as_of_select, history_of
from moo_markets.warehouse.schema import daily_bars, metadata

DAY = dt.date(2026, 3, 2)
COLUMNS = ("date", "code", "close", "adj_close", "volume")


def bars(**closes: float) -> list[list]:
    return [[DAY.isoformat(), code, close, close, 100] for code, close in closes.items()]


def write_day(engine: sa.Engine, rows: list[list]) -> None:
    with engine.begin() as connection:
        prepared = bulk.prepare(COLUMNS, rows, connection.dialect.name)
        bars_store.replace_day(connection, DAY, [prepared])


def closes(engine: sa.Engine, select: sa.Select) -> dict[str, Decimal]:
    held = select.subquery()
    with engine.connect() as connection:
        return dict(
            connection.execute(sa.select(held.c.code, held.c.close).where(held.c.date == DAY)).all()
        )


def revision_rows(engine: sa.Engine, table: sa.Table) -> list[dict]:
    revisions = history_of(table).revisions
    with engine.connect() as connection:
        return [dict(r._mapping) for r in connection.execute(sa.select(revisions))]


def moment(engine: sa.Engine) -> dt.datetime:
    with engine.connect():
        return now_jst()


@pytest.fixture
def engine(warehouse_url: str) -> sa.Engine:
    return get_engine(warehouse_url)


def test_every_market_table_has_companions_declared_in_the_metadata() -> None:
    for name in ("daily_bars", "listed_companies", "fins_summary", "trading_calendar", "futures"):
        history = history_of(metadata.tables[name])
        assert history.revisions.name in metadata.tables and history.loads.name in metadata.tables
        table = metadata.tables[name]
        assert [c.name for c in history.revisions.columns][: len(table.columns)] == list(
            table.columns.keys()
        )
    assert history_of(metadata.tables["futures"]).lead == "date"  # the partition, not `code`


def test_first_load_and_unchanged_refetch_keep_no_revision(engine: sa.Engine) -> None:
    before = moment(engine)
    write_day(engine, bars(A=100.0, B=200.5))
    after_first = moment(engine)
    write_day(engine, bars(A=100.0, B=200.5))  # a refetch that changes nothing
    assert revision_rows(engine, daily_bars) == []
    history = history_of(daily_bars)
    with engine.connect() as connection:
        (loaded,) = connection.execute(sa.select(history.loads)).all()
    assert loaded.date == DAY and before <= loaded.loaded_at <= after_first
    assert closes(engine, as_of_select(daily_bars, before)) == {}
    assert closes(engine, as_of_select(daily_bars, after_first)) == {
        "A": Decimal("100"),
        "B": Decimal("200.5"),
    }


def test_refetch_keeps_changed_deleted_and_inserted_rows(engine: sa.Engine) -> None:
    write_day(engine, bars(A=100.0, B=200.5, C=300.0))
    first = moment(engine)
    write_day(engine, bars(A=101.0, B=200.5, D=400.0))  # A corrected, C gone, D new
    second = moment(engine)
    write_day(engine, bars(A=102.0, B=200.5, D=400.0))  # A corrected again
    third = moment(engine)

    kinds = sorted((r["code"], r["change_kind"]) for r in revision_rows(engine, daily_bars))
    assert kinds == [("A", "updated"), ("A", "updated"), ("C", "deleted"), ("D", "inserted")]
    assert closes(engine, sa.select(daily_bars)) == {
        "A": Decimal("102"),
        "B": Decimal("200.5"),
        "D": Decimal("400"),
    }
    assert closes(engine, as_of_select(daily_bars, first)) == {
        "A": Decimal("100"),
        "B": Decimal("200.5"),
        "C": Decimal("300"),
    }
    assert closes(engine, as_of_select(daily_bars, second)) == {
        "A": Decimal("101"),
        "B": Decimal("200.5"),
        "D": Decimal("400"),
    }
    assert closes(engine, as_of_select(daily_bars, third)) == closes(engine, sa.select(daily_bars))
    a_versions = sorted(
        (r["fetched_at"], r["superseded_at"], r["close"])
        for r in revision_rows(engine, daily_bars)
        if r["code"] == "A"
    )
    assert a_versions[0][1] == a_versions[1][0]  # contiguous: fetched when the first ended
    assert a_versions[0][2] == Decimal("100") and a_versions[1][2] == Decimal("101")


def test_as_of_select_has_the_table_columns_and_works_as_a_subquery(engine: sa.Engine) -> None:
    write_day(engine, bars(A=100.0, B=200.5))
    select = as_of_select(daily_bars, moment(engine))
    assert [c.name for c in select.selected_columns] == list(daily_bars.columns.keys())
    held = select.subquery()
    with engine.connect() as connection:
        rows = connection.execute(
            sa.select(held).where(held.c.code == "B").order_by(held.c.date)
        ).all()
    assert [(r.code, r.close, r.volume) for r in rows] == [("B", Decimal("200.5"), 100)]
    with pytest.raises(ValueError, match="aware"):
        as_of_select(daily_bars, dt.datetime(2026, 3, 2, 12, 0))


def test_a_failed_refetch_changes_nothing(engine: sa.Engine) -> None:
    write_day(engine, bars(A=100.0))
    with pytest.raises(RuntimeError), engine.begin() as connection:
        with replacing(connection, daily_bars, daily_bars.c.date == DAY) as name:
            bulk.insert_rows(
                connection, bulk.prepare(COLUMNS, bars(A=1.0), connection.dialect.name), name
            )
            raise RuntimeError("fetch failed half-way")
    assert closes(engine, sa.select(daily_bars)) == {"A": Decimal("100")}
    assert revision_rows(engine, daily_bars) == []
    write_day(engine, bars(A=99.0))  # the same connection pool still works afterwards
    assert [r["close"] for r in revision_rows(engine, daily_bars)] == [Decimal("100")]


def test_history_rewrite_keeps_adjusted_prices_and_unwritten_columns(engine: sa.Engine) -> None:
    write_day(engine, bars(A=100.0, B=200.0))
    history = [[DAY.isoformat(), "A", 100.0, 50.0], [DAY.isoformat(), "Z", 1.0, 1.0]]
    with engine.begin() as connection:
        page = bulk.prepare(
            ("date", "code", "close", "adj_close"), history, connection.dialect.name
        )
        updated = bars_store.rewrite_history(connection, [page])
    assert updated == 1  # Z is not stored: not inserted; B untouched
    stored = {r["code"]: r for r in bars_store.stored_rows(engine.connect(), date=DAY)}
    assert set(stored) == {"A", "B"}
    assert stored["A"]["adj_close"] == Decimal("50") and stored["A"]["volume"] == 100
    (old,) = revision_rows(engine, daily_bars)
    assert (old["code"], old["adj_close"], old["change_kind"]) == ("A", Decimal("100"), "updated")


def test_dataset_partitions_and_upserts_keep_revisions(engine: sa.Engine) -> None:
    spec = find("fins_summary")
    table = dataset_store.table_of(spec)
    day = dt.date(2026, 3, 3)

    def statement(no: str, np: str) -> dict:
        return spec.record({"DiscDate": day.isoformat(), "DiscNo": no, "Code": "72030", "NP": np})

    with engine.begin() as connection:
        dataset_store.replace_partition(connection, spec, day, day, [statement("1", "10")])
    before = moment(engine)
    with engine.begin() as connection:
        dataset_store.replace_partition(connection, spec, day, day, [statement("1", "12")])
    held = as_of_select(table, before).subquery()
    with engine.connect() as connection:
        assert connection.execute(sa.select(held.c.np)).scalars().all() == [Decimal("10")]
        assert connection.execute(sa.select(table.c.np)).scalars().all() == [Decimal("12")]

    snapshot = find("earnings_calendar")
    calendar = dataset_store.table_of(snapshot)
    row = {"Date": day.isoformat(), "Code": "72030", "CoName": "A"}
    with engine.begin() as connection:
        dataset_store.upsert(connection, snapshot, [snapshot.record(row)])
        dataset_store.upsert(connection, snapshot, [snapshot.record({**row, "Code": "99840"})])
        dataset_store.upsert(connection, snapshot, [snapshot.record({**row, "CoName": "B"})])
    with engine.connect() as connection:
        assert connection.execute(sa.select(sa.func.count()).select_from(calendar)).scalar() == 2
    kinds = sorted((r["code"], r["change_kind"]) for r in revision_rows(engine, calendar))
    assert kinds == [("72030", "updated"), ("99840", "inserted")]


def test_revising_reports_changes(engine: sa.Engine) -> None:
    write_day(engine, bars(A=100.0, B=200.0))
    with engine.begin() as connection:
        with revising(connection, daily_bars, daily_bars.c.date == DAY) as target:
            rows = bulk.prepare(COLUMNS, bars(A=100.0, C=1.0), connection.dialect.name)
            bulk.insert_rows(connection, rows, target.name)
    assert not target.changes.direct
    assert (target.changes.inserted, target.changes.updated, target.changes.deleted) == (1, 0, 1)


def test_migration_records_rows_stored_before_it_as_loaded(tmp_path) -> None:
    from alembic import command

    from moo_markets.warehouse.migrate import _config

    engine = get_engine(f"sqlite:///{tmp_path / 'old.db'}")
    with engine.begin() as connection:
        command.upgrade(_config(connection), "0004")
        connection.execute(
            sa.insert(daily_bars), [{"date": DAY, "code": "A", "close": Decimal("100")}]
        )
    migrated_at = now_jst()
    with engine.begin() as connection:
        command.upgrade(_config(connection), "head")
    with engine.connect() as connection:
        (loaded,) = connection.execute(sa.select(history_of(daily_bars).loads)).all()
    assert loaded.date == DAY and loaded.loaded_at >= migrated_at
    assert closes(engine, as_of_select(daily_bars, now_jst())) == {"A": Decimal("100")}
    assert closes(engine, as_of_select(daily_bars, migrated_at)) == {}
    write_day(engine, bars(A=101.0))  # a refetch of a day stored before revisions existed
    (old,) = revision_rows(engine, daily_bars)
    assert old["close"] == Decimal("100") and old["fetched_at"] == loaded.loaded_at

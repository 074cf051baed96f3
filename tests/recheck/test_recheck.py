"""Done when (issue 15): a correction made in the simulator after publication is found by the
recheck job, kept as a revision, and ``as_of_select`` before it returns the old value while the
plain table returns the new one, in SQL and through the read API (``moo_markets.data``); on
SQLite and PostgreSQL, for daily bars and statements."""

from __future__ import annotations

import datetime as dt

import dagster as dg
import pytest
import sqlalchemy as sa
from support.jquants_sim import DAY, STATEMENT_DAY, TODAY

from moo_markets import data
from moo_markets.core.catalog import JOBS, RECHECK, find
from moo_markets.core.time import now_jst
from moo_markets.daily_bars import ingest
from moo_markets.daily_bars import store as bars_store
from moo_markets.datasets.registry import find as find_spec
from moo_markets.ingest import store as dataset_store
from moo_markets.recheck.assets import build_asset
from moo_markets.warehouse.engine import get_engine
from moo_markets.warehouse.resource import WarehouseResource
from moo_markets.warehouse.revisions import as_of_select, history_of
from moo_markets.warehouse.schema import daily_bars

SUMMARY = find_spec("fins_summary")
DAYS_BACK = 10  # DAY (2026-11-27) back to STATEMENT_DAY (2026-11-13), 11-23 a holiday


def load(sim, jquants, url: str) -> None:
    """A first load of DAY's bars and STATEMENT_DAY's statements, as the fetch jobs do."""
    engine = get_engine(url)
    with engine.begin() as connection:
        bars_store.replace_calendar(connection, sim.dataset.calendar())
        hol_divs = bars_store.hol_divs(connection, DAY, DAY)
    list(ingest.ingest_days([DAY], hol_divs, jquants=jquants, engine=engine))
    query = SUMMARY.query(STATEMENT_DAY.isoformat())
    records = SUMMARY.records(sim.rows(SUMMARY.path, query.params))
    assert records
    with engine.begin() as connection:
        dataset_store.replace_partition(connection, SUMMARY, query.first, query.last, records)


def recheck(jquants, url: str) -> dg.MaterializeResult:
    # In memory: a temporary SQLite instance per run cost more than the run's own work.
    with dg.DagsterInstance.ephemeral() as instance:
        result = dg.materialize(
            [build_asset(5)],
            resources={"jquants": jquants, "warehouse": WarehouseResource(database_url=url)},
            run_config={
                "ops": {"recheck": {"config": {"until": DAY.isoformat(), "days": DAYS_BACK}}}
            },
            instance=instance,
        )
        (materialization,) = result.asset_materializations_for_node("recheck")
        return {k: v.value for k, v in materialization.metadata.items()}


@pytest.fixture
def world(make_simulator, make_jquants, warehouse_url):
    sim = make_simulator(today=TODAY, plan="premium")
    jquants = make_jquants(sim, plan="premium")
    load(sim, jquants, warehouse_url)
    return sim, jquants, warehouse_url


def test_recheck_keeps_corrected_bars_and_statements(world) -> None:
    sim, jquants, url = world
    engine = get_engine(url)
    unchanged = recheck(jquants, url)
    assert unchanged["changed_rows"] == 0  # a refetch of unchanged data keeps nothing

    with engine.connect() as connection:
        before_bars = {
            r.code: r.close
            for r in connection.execute(sa.select(daily_bars).where(daily_bars.c.date == DAY))
        }
        statements = dataset_store.table_of(SUMMARY)
        (statement,) = connection.execute(
            sa.select(statements).where(statements.c.np.is_not(None)).limit(1)
        ).all()
    before = now_jst()
    codes = sim.correct_closes(DAY, count=3)
    sim.restate_statement(statement.code, statement.disc_no, in_place=True)

    metadata = recheck(jquants, url)
    assert metadata["changed_rows_by_dataset"] == {"daily_bars": 3, "fins_summary": 1}
    assert metadata["changed_rows_by_day"] == {DAY.isoformat(): 3, STATEMENT_DAY.isoformat(): 1}
    assert metadata["changes"]["daily_bars"] == {DAY.isoformat(): {"updated": 3}}

    with engine.connect() as connection:
        kept = connection.execute(sa.select(history_of(daily_bars).revisions)).all()
        assert sorted(r.code for r in kept) == sorted(codes)
        assert {r.code: r.close for r in kept} == {c: before_bars[c] for c in codes}
        now_closes = dict(
            connection.execute(
                sa.select(daily_bars.c.code, daily_bars.c.close).where(
                    daily_bars.c.date == DAY, daily_bars.c.code.in_(codes)
                )
            ).all()
        )
        source = {
            r["Code"]: r["C"] for r in sim.rows("/equities/bars/daily", {"date": DAY.isoformat()})
        }
        for code in codes:
            assert now_closes[code] != before_bars[code]
            assert float(now_closes[code]) == pytest.approx(source[code])
        held = as_of_select(daily_bars, before).subquery()
        old_closes = dict(
            connection.execute(
                sa.select(held.c.code, held.c.close).where(
                    held.c.date == DAY, held.c.code.in_(codes)
                )
            ).all()
        )
        assert old_closes == {c: before_bars[c] for c in codes}

        held = as_of_select(statements, before).subquery()
        key = (statements.c.disc_date == STATEMENT_DAY, statements.c.disc_no == statement.disc_no)
        old_np = connection.execute(
            sa.select(held.c.np).where(
                held.c.disc_date == STATEMENT_DAY, held.c.disc_no == statement.disc_no
            )
        ).scalar_one()
        new_np = connection.execute(sa.select(statements.c.np).where(*key)).scalar_one()
        assert old_np == statement.np and new_np != statement.np
        (kept_statement,) = connection.execute(sa.select(history_of(statements).revisions)).all()
        assert kept_statement.np == statement.np and kept_statement.change_kind == "updated"

    # The read API answers the same: as of before the correction, the old values.
    old_bars = data.bars(codes, DAY, DAY, adjusted=False, as_of=before, exact=True, url=url)
    new_bars = data.bars(codes, DAY, DAY, adjusted=False, exact=True, url=url)
    assert dict(zip(old_bars["code"], old_bars["close"], strict=True)) == {
        c: before_bars[c] for c in codes
    }
    assert dict(zip(new_bars["code"], new_bars["close"], strict=True)) == now_closes
    old_statements = data.statements([statement.code], as_of=before, exact=True, url=url)
    new_statements = data.statements([statement.code], exact=True, url=url)
    mine = old_statements["disc_no"] == statement.disc_no
    assert old_statements.loc[mine, "np"].tolist() == [statement.np]
    assert new_statements.loc[new_statements["disc_no"] == statement.disc_no, "np"].tolist() == [
        new_np
    ]

    assert recheck(jquants, url)["changed_rows"] == 0  # corrections are kept once


def test_recheck_is_a_catalog_job() -> None:
    assert find(21) is RECHECK and RECHECK in JOBS
    assert RECHECK.default_cron == "30 20 * * 1-5" and not RECHECK.partitioned
    assert RECHECK.job_name == "recheck_job" and RECHECK.schedule_name == "recheck_schedule"
    assert len({job.id for job in JOBS}) == len(JOBS)
    assert dt.date.fromisoformat(DAY.isoformat()) < TODAY


def test_recheck_keeps_history_a_late_split_rewrote(make_simulator, make_jquants, sqlite_database):
    """A split J-Quants reports after the ex-date: the recheck of that day refetches the code's
    history, and the adjusted prices it rewrites on earlier days are kept as revisions."""
    sim = make_simulator(today=TODAY, plan="premium")
    jquants = make_jquants(sim, plan="premium")
    url = sqlite_database
    engine = get_engine(url)
    days = [dt.date(2026, 11, 25), dt.date(2026, 11, 26), DAY]
    with engine.begin() as connection:
        bars_store.replace_calendar(connection, sim.dataset.calendar())
        hol_divs = bars_store.hol_divs(connection, days[0], days[-1])
    list(ingest.ingest_days(days, hol_divs, jquants=jquants, engine=engine))
    with engine.connect() as connection:
        code = connection.execute(
            sa.select(daily_bars.c.code)
            .where(daily_bars.c.date == days[0], daily_bars.c.close.is_not(None))
            .order_by(daily_bars.c.code)
            .limit(1)
        ).scalar_one()
        stale = dict(
            connection.execute(
                sa.select(daily_bars.c.date, daily_bars.c.adj_close).where(
                    daily_bars.c.code == code
                )
            ).all()
        )
    before = now_jst()
    sim.announce_split(code, DAY, 0.5)

    metadata = recheck(jquants, url)
    by_day = metadata["changes"]["daily_bars"]
    assert by_day[days[0].isoformat()] == {"updated": 1}  # the adjusted history of the code
    assert by_day[days[1].isoformat()] == {"updated": 1}
    revisions = history_of(daily_bars).revisions
    with engine.connect() as connection:
        kept = dict(
            connection.execute(
                sa.select(revisions.c.date, revisions.c.adj_close).where(
                    revisions.c.code == code, revisions.c.date < DAY
                )
            ).all()
        )
        now = dict(
            connection.execute(
                sa.select(daily_bars.c.date, daily_bars.c.adj_close).where(
                    daily_bars.c.code == code, daily_bars.c.date < DAY
                )
            ).all()
        )
        held = as_of_select(daily_bars, before).subquery()
        then = dict(
            connection.execute(
                sa.select(held.c.date, held.c.adj_close).where(
                    held.c.code == code, held.c.date < DAY
                )
            ).all()
        )
    assert kept == then == {d: stale[d] for d in days[:2]}
    assert all(now[d] != stale[d] for d in days[:2])

"""Freshness checks that know the trading calendar.

A plain "materialized in the last N hours" rule cries wolf on every holiday
and misses a job that runs but stores an old date. These checks compare the
newest stored date with the newest date J-Quants should have published by
now, per the stored trading calendar and the configured plan: on the Free plan
J-Quants serves a day 12 weeks late, so the newest day due is the end of the
plan's history window (``core/plans.py``), not yesterday. A table with nothing
stored yet is not late: a job nobody has run owes no data.

Where they are evaluated:

- ``listed_companies_fresh`` is an ``@asset_check``: it runs after every
  ``listed_companies`` materialization (the asset stores the calendar it
  needs first) and on its own from the UI.
- ``daily_bars_fresh`` is a check *spec* of ``daily_bars``, evaluated by the
  asset at the end of each of its runs. A separate check step would always be
  skipped there, because ``daily_bars`` yields no output (see its module).
- ``freshness_checks_job`` (hourly on weekdays) evaluates both with
  :func:`evaluations`, so data that stop arriving are noticed even when no
  run is started.
"""

import datetime as dt

import dagster as dg
import sqlalchemy as sa

from moo_markets.core import plans
from moo_markets.core.settings import load_settings
from moo_markets.core.time import JST, now_jst
from moo_markets.warehouse.resource import WarehouseResource
from moo_markets.warehouse.schema import daily_bars, listed_companies, trading_calendar

BUSINESS_DAYS = ("1", "2")
BARS_DUE = dt.time(19, 0)
"""Bars of day D are published about 16:30 JST and fetched at 18:00: expect them by 19:00."""
LISTING_DUE = dt.time(9, 0)
"""The master of day D is fetched at 08:15 JST: expect it by 09:00."""

LISTED_COMPANIES_FRESH = "listed_companies_fresh"
DAILY_BARS_FRESH = "daily_bars_fresh"
DAILY_BARS_FRESH_DESCRIPTION = (
    "Bars are stored up to the latest business day due (19:00 JST; on the Free plan, "
    "the one 12 weeks earlier)."
)

DAILY_BARS_FRESH_SPEC = dg.AssetCheckSpec(
    DAILY_BARS_FRESH, asset="daily_bars", description=DAILY_BARS_FRESH_DESCRIPTION
)


def expected_date(
    connection: sa.Connection, now: dt.datetime, due: dt.time, plan: str
) -> dt.date | None:
    """The newest business day whose data ``plan`` can have by ``now`` (None without a
    stored calendar).

    The day due by the clock, moved to the end of the plan's history window on the day it
    fell due: on Free, the day J-Quants releases 12 weeks late, which is also the day the
    Free schedules fetch (``JobType.default_partition``, the master's default date).
    """
    local = now.astimezone(JST)
    latest = local.date() if local.time() >= due else local.date() - dt.timedelta(days=1)
    latest = plans.history_window(plan, latest).last or latest
    return connection.execute(
        sa.select(sa.func.max(trading_calendar.c.date)).where(
            trading_calendar.c.date <= latest, trading_calendar.c.hol_div.in_(BUSINESS_DAYS)
        )
    ).scalar_one_or_none()


def _business_days_between(connection: sa.Connection, after: dt.date, until: dt.date) -> int:
    return connection.execute(
        sa.select(sa.func.count()).where(
            trading_calendar.c.date > after,
            trading_calendar.c.date <= until,
            trading_calendar.c.hol_div.in_(BUSINESS_DAYS),
        )
    ).scalar_one()


def evaluate(
    connection: sa.Connection,
    table: sa.Table,
    now: dt.datetime,
    due: dt.time,
    check_name: str | None = None,
    *,
    plan: str,
) -> dg.AssetCheckResult:
    latest = connection.execute(sa.select(sa.func.max(table.c.date))).scalar_one_or_none()
    if latest is None:
        return dg.AssetCheckResult(
            check_name=check_name,
            passed=True,
            description=f"Nothing stored in {table.name} yet: no data can be late.",
            metadata={"latest_stored": "None"},
        )
    expected = expected_date(connection, now, due, plan)
    if expected is None:
        return dg.AssetCheckResult(
            check_name=check_name,
            passed=False,
            severity=dg.AssetCheckSeverity.WARN,
            description="No trading calendar stored yet: materialize trading_calendar.",
        )
    return dg.AssetCheckResult(
        check_name=check_name,
        passed=latest >= expected,
        severity=dg.AssetCheckSeverity.WARN,
        metadata={
            "latest_stored": str(latest),
            "expected_at_least": str(expected),
            "business_days_behind": _business_days_between(connection, latest, expected),
            "plan": plan,
        },
    )


def daily_bars_fresh_result(
    connection: sa.Connection, plan: str, now: dt.datetime | None = None
) -> dg.AssetCheckResult:
    """The ``daily_bars_fresh`` result, yielded by the ``daily_bars`` asset after its days."""
    return evaluate(connection, daily_bars, now or now_jst(), BARS_DUE, DAILY_BARS_FRESH, plan=plan)


@dg.asset_check(
    asset=dg.AssetKey("listed_companies"),
    name=LISTED_COMPANIES_FRESH,
    description="The newest snapshot is from the latest business day due (09:00 JST).",
)
def listed_companies_fresh(warehouse: WarehouseResource) -> dg.AssetCheckResult:
    with warehouse.begin() as connection:
        return evaluate(
            connection, listed_companies, now_jst(), LISTING_DUE,
            plan=load_settings().jquants_plan,
        )  # fmt: skip


def evaluations(
    connection: sa.Connection, plan: str, now: dt.datetime | None = None
) -> list[dg.AssetCheckEvaluation]:
    """Both freshness checks, as events the hourly job logs."""
    now = now or now_jst()
    results = [
        ("listed_companies", evaluate(connection, listed_companies, now, LISTING_DUE,
                                      LISTED_COMPANIES_FRESH, plan=plan)),
        ("daily_bars", daily_bars_fresh_result(connection, plan, now)),
    ]  # fmt: skip
    return [
        dg.AssetCheckEvaluation(
            asset_key=dg.AssetKey(asset),
            check_name=result.check_name,
            passed=result.passed,
            metadata=result.metadata,
            severity=result.severity,
            description=result.description,
        )
        for asset, result in results
    ]

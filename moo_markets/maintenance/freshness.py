"""Freshness checks that know the trading calendar.

A plain "materialized in the last N hours" rule cries wolf on every holiday
and misses a job that runs but stores an old date. These checks compare the
newest stored date with the newest date J-Quants should have published by
now, per the stored trading calendar, and are evaluated hourly by a schedule
as well as on demand from the UI.
"""

import datetime as dt

import dagster as dg
import sqlalchemy as sa

from moo_markets.core.time import JST, now_jst
from moo_markets.warehouse.resource import WarehouseResource
from moo_markets.warehouse.schema import daily_bars, listed_companies, trading_calendar

BUSINESS_DAYS = ("1", "2")
BARS_DUE = dt.time(19, 0)
"""Bars of day D are published about 16:30 JST and fetched at 18:00: expect them by 19:00."""
LISTING_DUE = dt.time(9, 0)
"""The master of day D is fetched at 08:15 JST: expect it by 09:00."""


def expected_date(connection: sa.Connection, now: dt.datetime, due: dt.time) -> dt.date | None:
    """The newest business day whose data is due by ``now`` (None without a stored calendar)."""
    local = now.astimezone(JST)
    latest = local.date() if local.time() >= due else local.date() - dt.timedelta(days=1)
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
    connection: sa.Connection, table: sa.Table, now: dt.datetime, due: dt.time
) -> dg.AssetCheckResult:
    latest = connection.execute(sa.select(sa.func.max(table.c.date))).scalar_one_or_none()
    expected = expected_date(connection, now, due)
    if expected is None:
        return dg.AssetCheckResult(
            passed=False,
            severity=dg.AssetCheckSeverity.WARN,
            description="No trading calendar stored yet: materialize trading_calendar.",
        )
    behind = _business_days_between(connection, latest, expected) if latest else None
    return dg.AssetCheckResult(
        passed=latest is not None and latest >= expected,
        severity=dg.AssetCheckSeverity.WARN,
        metadata={
            "latest_stored": str(latest),
            "expected_at_least": str(expected),
            "business_days_behind": behind if behind is not None else -1,
        },
    )


@dg.asset_check(
    asset=dg.AssetKey("listed_companies"),
    description="The newest snapshot is from the latest business day due (09:00 JST).",
)
def listed_companies_fresh(warehouse: WarehouseResource) -> dg.AssetCheckResult:
    with warehouse.begin() as connection:
        return evaluate(connection, listed_companies, now_jst(), LISTING_DUE)


@dg.asset_check(
    asset=dg.AssetKey("daily_bars"),
    description="Bars are stored up to the latest business day due (19:00 JST).",
)
def daily_bars_fresh(warehouse: WarehouseResource) -> dg.AssetCheckResult:
    with warehouse.begin() as connection:
        return evaluate(connection, daily_bars, now_jst(), BARS_DUE)


FRESHNESS_CHECKS = [listed_companies_fresh, daily_bars_fresh]

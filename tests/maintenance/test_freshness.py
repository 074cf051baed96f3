"""Calendar-aware freshness: holidays are not staleness, a missed business day is."""

from __future__ import annotations

import datetime as dt

import dagster as dg
import sqlalchemy as sa

from moo_markets.core.time import JST
from moo_markets.maintenance.freshness import (
    BARS_DUE,
    DAILY_BARS_FRESH,
    daily_bars_fresh_result,
    evaluate,
    evaluations,
)
from moo_markets.warehouse import get_engine
from moo_markets.warehouse.schema import daily_bars, trading_calendar


def setup_db(url: str, bars_until: dt.date | None) -> sa.Engine:
    engine = get_engine(url)
    days = [dt.date(2026, 1, 1) + dt.timedelta(days=i) for i in range(20)]
    # 2026-01-12 (Mon) is Coming-of-Age Day; weekends closed; Jan 1-3 exchange holidays.
    closed = {dt.date(2026, 1, 12), dt.date(2026, 1, 1), dt.date(2026, 1, 2)}
    with engine.begin() as connection:
        connection.execute(
            sa.insert(trading_calendar),
            [{"date": d, "hol_div": "0" if d.weekday() >= 5 or d in closed else "1"} for d in days],
        )
        if bars_until:
            connection.execute(sa.insert(daily_bars), [{"date": bars_until, "code": "72030"}])
    return engine


def at(day: int, hour: int) -> dt.datetime:
    return dt.datetime(2026, 1, day, hour, 0, tzinfo=JST)


def test_holiday_monday_is_not_stale(sqlite_database) -> None:
    engine = setup_db(sqlite_database, bars_until=dt.date(2026, 1, 9))  # Friday
    with engine.connect() as connection:
        # Monday holiday, evening
        result = evaluate(connection, daily_bars, at(12, 22), BARS_DUE, plan="premium")
        assert result.passed
        # Tuesday before 19:00: Friday is still the newest due day.
        assert evaluate(connection, daily_bars, at(13, 12), BARS_DUE, plan="premium").passed
        # Tuesday evening: Tuesday's bars are due and missing.
        late = evaluate(connection, daily_bars, at(13, 20), BARS_DUE, plan="premium")
    assert not late.passed
    assert late.metadata["expected_at_least"].value == "2026-01-13"
    assert late.metadata["business_days_behind"].value == 1


def test_nothing_stored_is_not_late(sqlite_database) -> None:
    """A job nobody has run yet owes no data: no warning, with or without a calendar."""
    engine = get_engine(sqlite_database)
    with engine.connect() as connection:
        assert evaluate(connection, daily_bars, at(13, 20), BARS_DUE, plan="premium").passed
    engine = setup_db(sqlite_database, bars_until=None)
    with engine.connect() as connection:
        result = evaluate(connection, daily_bars, at(13, 20), BARS_DUE, plan="premium")
    assert result.passed and result.metadata["latest_stored"].value == "None"
    assert "Nothing stored" in result.description


def test_data_without_calendar_warns(sqlite_database) -> None:
    engine = get_engine(sqlite_database)
    with engine.begin() as connection:
        connection.execute(sa.insert(daily_bars), [{"date": dt.date(2026, 1, 9), "code": "72030"}])
        result = evaluate(connection, daily_bars, at(13, 20), BARS_DUE, plan="premium")
    assert not result.passed and result.severity == dg.AssetCheckSeverity.WARN
    assert "No trading calendar stored yet" in result.description


def bars_with_calendar(url: str, bars_until: dt.date) -> sa.Engine:
    """A trading calendar for 2026-01-01 .. 2026-04-30 (weekends and the given holidays
    closed) and bars stored up to ``bars_until``."""
    engine = get_engine(url)
    closed = {dt.date(2026, 1, 1), dt.date(2026, 1, 2), dt.date(2026, 1, 12),
              dt.date(2026, 2, 11), dt.date(2026, 2, 23), dt.date(2026, 3, 20)}  # fmt: skip
    days = [dt.date(2026, 1, 1) + dt.timedelta(days=i) for i in range(120)]
    with engine.begin() as connection:
        connection.execute(
            sa.insert(trading_calendar),
            [{"date": d, "hol_div": "0" if d.weekday() >= 5 or d in closed else "1"} for d in days],
        )
        connection.execute(sa.insert(daily_bars), [{"date": bars_until, "code": "72030"}])
    return engine


def test_free_plan_expects_the_day_twelve_weeks_back(sqlite_database) -> None:
    """On Free, J-Quants serves a day 12 weeks late: a setup that stores each day as soon
    as Free may see it is fresh, and one that misses such a day is still late."""
    tuesday_evening = dt.datetime(2026, 4, 7, 20, 0, tzinfo=JST)  # 84 days after 2026-01-13
    engine = bars_with_calendar(sqlite_database, bars_until=dt.date(2026, 1, 13))
    with engine.connect() as connection:
        fresh = evaluate(connection, daily_bars, tuesday_evening, BARS_DUE, plan="free")
        [_, bars] = evaluations(connection, "free", tuesday_evening)
    assert fresh.passed, fresh.metadata
    assert fresh.metadata["expected_at_least"].value == "2026-01-13"
    assert fresh.metadata["plan"].value == "free"
    assert bars.check_name == DAILY_BARS_FRESH and bars.passed

    with engine.begin() as connection:  # one day behind instead
        connection.execute(sa.delete(daily_bars))
        connection.execute(sa.insert(daily_bars), [{"date": dt.date(2026, 1, 9), "code": "72030"}])
    with engine.connect() as connection:
        # Before 19:00 the newest day due is Monday 04-06, i.e. 01-12 on Free: a holiday,
        # so Friday 01-09 is enough ...
        morning = tuesday_evening.replace(hour=12)
        assert evaluate(connection, daily_bars, morning, BARS_DUE, plan="free").passed
        # ... and in the evening 01-13 is due and missing.
        late = evaluate(connection, daily_bars, tuesday_evening, BARS_DUE, plan="free")
    assert not late.passed and late.severity == dg.AssetCheckSeverity.WARN
    assert late.metadata["expected_at_least"].value == "2026-01-13"
    assert late.metadata["business_days_behind"].value == 1


def test_light_plan_expects_the_latest_business_day(sqlite_database) -> None:
    """Light has no delay: the same store, 12 weeks behind, is late by every business day
    since."""
    tuesday_evening = dt.datetime(2026, 4, 7, 20, 0, tzinfo=JST)
    engine = bars_with_calendar(sqlite_database, bars_until=dt.date(2026, 1, 13))
    with engine.connect() as connection:
        late = daily_bars_fresh_result(connection, "light", tuesday_evening)
        recent = evaluate(connection, daily_bars, tuesday_evening, BARS_DUE, plan="light")
    assert not late.passed and late.check_name == DAILY_BARS_FRESH
    assert late.metadata["expected_at_least"].value == "2026-04-07"
    assert (
        recent.metadata["business_days_behind"].value
        == late.metadata["business_days_behind"].value
        == business_days(dt.date(2026, 1, 14), dt.date(2026, 4, 7))
    )


def business_days(first: dt.date, last: dt.date) -> int:
    closed = {dt.date(2026, 2, 11), dt.date(2026, 2, 23), dt.date(2026, 3, 20)}
    span = (first + dt.timedelta(days=i) for i in range((last - first).days + 1))
    return sum(1 for d in span if d.weekday() < 5 and d not in closed)

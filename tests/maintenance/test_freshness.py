"""Calendar-aware freshness: holidays are not staleness, a missed business day is."""

from __future__ import annotations

import datetime as dt

import dagster as dg
import sqlalchemy as sa

from moo_markets.core.time import JST
from moo_markets.maintenance.freshness import BARS_DUE, evaluate
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
        result = evaluate(connection, daily_bars, at(12, 22), BARS_DUE)  # Monday holiday, evening
        assert result.passed
        # Tuesday before 19:00: Friday is still the newest due day.
        assert evaluate(connection, daily_bars, at(13, 12), BARS_DUE).passed
        # Tuesday evening: Tuesday's bars are due and missing.
        late = evaluate(connection, daily_bars, at(13, 20), BARS_DUE)
    assert not late.passed
    assert late.metadata["expected_at_least"].value == "2026-01-13"
    assert late.metadata["business_days_behind"].value == 1


def test_nothing_stored_is_not_late(sqlite_database) -> None:
    """A job nobody has run yet owes no data: no warning, with or without a calendar."""
    engine = get_engine(sqlite_database)
    with engine.connect() as connection:
        assert evaluate(connection, daily_bars, at(13, 20), BARS_DUE).passed
    engine = setup_db(sqlite_database, bars_until=None)
    with engine.connect() as connection:
        result = evaluate(connection, daily_bars, at(13, 20), BARS_DUE)
    assert result.passed and result.metadata["latest_stored"].value == "None"
    assert "Nothing stored" in result.description


def test_data_without_calendar_warns(sqlite_database) -> None:
    engine = get_engine(sqlite_database)
    with engine.begin() as connection:
        connection.execute(sa.insert(daily_bars), [{"date": dt.date(2026, 1, 9), "code": "72030"}])
        result = evaluate(connection, daily_bars, at(13, 20), BARS_DUE)
    assert not result.passed and result.severity == dg.AssetCheckSeverity.WARN
    assert "No trading calendar stored yet" in result.description

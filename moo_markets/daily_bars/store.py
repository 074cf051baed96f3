"""Daily bars and the trading calendar in the warehouse: the SQL.

A day is replaced in one transaction through ``warehouse/replace.py``: a day
never stored before gets the day's prepared rows (``rows.prepare``) straight
from the bulk writer (``warehouse/bulk.py``: COPY on PostgreSQL, executemany
on SQLite); a refetched day goes through a staging table, and the rows it
changes keep their earlier versions in ``daily_bars_revisions``. If anything
fails before the commit, the day's previous rows are untouched.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import sqlalchemy as sa

from moo_markets.warehouse import bulk
from moo_markets.warehouse.bulk import Rows
from moo_markets.warehouse.replace import replacing, revising
from moo_markets.warehouse.schema import daily_bars, trading_calendar

Row = Mapping[str, Any]

BUSINESS_HOL_DIVS = frozenset({"1", "2"})
"""HolDiv values of days with a TSE session (full or half day): only these have bars."""


# ---- trading calendar -------------------------------------------------------------


def replace_calendar(connection: sa.Connection, rows: Sequence[Row]) -> int:
    """Store J-Quants calendar rows, replacing the stored days in their date range."""
    records = [
        {"date": dt.date.fromisoformat(str(r["Date"])), "hol_div": str(r["HolDiv"])} for r in rows
    ]
    if not records:
        return 0
    first = min(r["date"] for r in records)
    last = max(r["date"] for r in records)
    with revising(connection, trading_calendar, trading_calendar.c.date.between(first, last)) as t:
        connection.execute(sa.insert(t.table), records)
    return len(records)


def hol_divs(connection: sa.Connection, first: dt.date, last: dt.date) -> dict[dt.date, str]:
    """Stored HolDiv of each day in ``[first, last]`` (days not stored are absent)."""
    result = connection.execute(
        sa.select(trading_calendar.c.date, trading_calendar.c.hol_div).where(
            trading_calendar.c.date.between(first, last)
        )
    )
    return {day: hol_div for day, hol_div in result}


def calendar_bounds(connection: sa.Connection) -> tuple[dt.date | None, dt.date | None]:
    first, last = connection.execute(
        sa.select(sa.func.min(trading_calendar.c.date), sa.func.max(trading_calendar.c.date))
    ).one()
    return first, last


def is_business_day(hol_div: str | None) -> bool:
    return hol_div in BUSINESS_HOL_DIVS


# ---- daily bars -------------------------------------------------------------------


def replace_day(connection: sa.Connection, day: dt.date, pages: Iterable[Rows]) -> int:
    """Make ``day``'s stored bars exactly ``pages`` (caller's transaction), keeping the
    versions a refetch changes (``warehouse/replace.py``); returns the rows written."""
    with replacing(connection, daily_bars, daily_bars.c.date == day) as name:
        return sum(bulk.insert_rows(connection, rows, name) for rows in pages)


def codes_stored_before(
    connection: sa.Connection, codes: Iterable[str], before: dt.date
) -> set[str]:
    """The subset of ``codes`` with at least one stored bar dated before ``before`` (one query;
    the primary key (date, code) bounds the scan to the earlier dates)."""
    wanted = sorted(set(codes))
    if not wanted:
        return set()
    return set(
        connection.execute(
            sa.select(daily_bars.c.code)
            .where(daily_bars.c.code.in_(wanted), daily_bars.c.date < before)
            .distinct()
        ).scalars()
    )


def latest_date_before(connection: sa.Connection, before: dt.date) -> dt.date | None:
    return connection.execute(
        sa.select(sa.func.max(daily_bars.c.date)).where(daily_bars.c.date < before)
    ).scalar_one_or_none()


def rewrite_history(connection: sa.Connection, pages: Sequence[Rows]) -> int:
    """Overwrite stored rows with refetched ones, matched on (date, code); returns the rows
    whose values changed (their earlier versions are kept in ``daily_bars_revisions``).

    Only rows already stored are updated: a code's history covers dates this
    warehouse may not hold for any code, and inserting them would create
    partial days. Every column the refetch carries is rewritten, so the
    adjusted prices end up equal to J-Quants' current ones; columns a page
    lacks (Premium session fields on other plans) keep their stored values.
    """
    updated = 0
    by_columns: dict[tuple[str, ...], list[Rows]] = {}
    for page in pages:
        if page.count:
            by_columns.setdefault(page.columns, []).append(page)
    for columns, group in by_columns.items():
        with revising(
            connection,
            daily_bars,
            sa.true(),
            delete_missing=False,
            insert_new=False,
            columns=columns,
        ) as target:
            for page in group:
                bulk.insert_rows(connection, page, target.name)
        updated += target.changes.updated
    return updated


def stored_rows(
    connection: sa.Connection, *, date: dt.date | None = None, code: str | None = None
) -> list[dict[str, Any]]:
    """Stored bars of a date and/or code, ordered by (date, code), as column dicts."""
    query = sa.select(daily_bars).order_by(daily_bars.c.date, daily_bars.c.code)
    if date is not None:
        query = query.where(daily_bars.c.date == date)
    if code is not None:
        query = query.where(daily_bars.c.code == code)
    return [dict(r._mapping) for r in connection.execute(query)]

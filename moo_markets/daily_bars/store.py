"""Daily bars and the trading calendar in the warehouse: the SQL.

A day is replaced in one transaction: ``DELETE`` the date, then the day's
prepared rows (``rows.prepare``) go in through the bulk writer
(``warehouse/bulk.py``: COPY on PostgreSQL, executemany on SQLite). If
anything fails before the commit, the day's previous rows are untouched.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import sqlalchemy as sa

from moo_markets.daily_bars.rows import KEY_COLUMNS
from moo_markets.warehouse import bulk
from moo_markets.warehouse.bulk import Rows
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
    connection.execute(
        sa.delete(trading_calendar).where(trading_calendar.c.date.between(first, last))
    )
    connection.execute(sa.insert(trading_calendar), records)
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
    """Delete ``day``'s rows and bulk-insert ``pages`` (caller's transaction)."""
    connection.execute(sa.delete(daily_bars).where(daily_bars.c.date == day))
    return sum(bulk.insert_rows(connection, rows, daily_bars.name) for rows in pages)


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
    """Overwrite stored rows with refetched ones, matched on (date, code); returns rows updated.

    Only rows already stored are updated: a code's history covers dates this
    warehouse may not hold for any code, and inserting them would create
    partial days. Every column the refetch carries is rewritten, so the
    adjusted prices end up equal to J-Quants' current ones.
    """
    by_columns: dict[tuple[str, ...], list[Rows]] = {}
    for page in pages:
        if page.count:
            by_columns.setdefault(page.columns, []).append(page)
    updated = 0
    for group in by_columns.values():
        if connection.dialect.name == "postgresql":
            updated += _rewrite_postgres(connection, group)
        else:
            updated += sum(_rewrite_executemany(connection, page) for page in group)
    return updated


def _value_columns(page: Rows) -> list[str]:
    return [c for c in page.columns if c not in KEY_COLUMNS]


def _rewrite_postgres(connection: sa.Connection, pages: Sequence[Rows]) -> int:
    """COPY the refetched rows into a temporary table, then one ``UPDATE ... FROM`` it.

    The temporary table lives inside the day's transaction: a failure rolls
    its creation back with everything else.
    """
    columns = pages[0].columns
    staging = sa.Table(
        "daily_bars_refetch",
        sa.MetaData(),
        *(sa.Column(c, daily_bars.c[c].type) for c in columns),
        prefixes=["TEMPORARY"],
        postgresql_on_commit="DROP",
    )
    staging.create(connection)
    for page in pages:
        bulk.copy_rows(connection, staging.name, page)
    result = connection.execute(
        sa.update(daily_bars)
        .values({c: staging.c[c] for c in _value_columns(pages[0])})
        .where(daily_bars.c.date == staging.c.date, daily_bars.c.code == staging.c.code)
    )
    staging.drop(connection)
    return result.rowcount


def _rewrite_executemany(connection: sa.Connection, page: Rows) -> int:
    value_columns = _value_columns(page)
    statement = (
        sa.update(daily_bars)
        .where(
            daily_bars.c.date == sa.bindparam("k_date"),
            daily_bars.c.code == sa.bindparam("k_code"),
        )
        .values({c: sa.bindparam(f"v_{c}") for c in value_columns})
        .compile(dialect=connection.dialect)
    )
    position = {name: i for i, name in enumerate(page.columns)}
    position.update({f"v_{c}": position[c] for c in value_columns})
    position.update({"k_date": position["date"], "k_code": position["code"]})
    order = [position[name] for name in statement.positiontup or []]
    params = [tuple(values[i] for i in order) for values in page.values or ()]
    cursor = connection.connection.cursor()
    try:
        cursor.executemany(str(statement), params)
        return cursor.rowcount
    finally:
        cursor.close()


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

"""Daily bars and the trading calendar in the warehouse: row conversion and bulk writes.

Types (see ``warehouse/schema.py``). J-Quants sends every number as a JSON
number, which the client decodes (orjson, correctly rounded like ``json``) to
a Python float:

* Prices, ``AdjFactor`` and ``AdjVo`` go to ``NUMERIC`` columns. The float is
  handed to the database as its shortest round-tripping decimal text
  (``repr``), which reproduces the digits J-Quants wrote (JSON encoders write
  that same shortest form), and PostgreSQL parses that text into an exact
  decimal: no binary-float rounding is stored. (SQLite has no exact
  decimal type; it keeps NUMERIC as INTEGER or 8-byte REAL, which holds
  J-Quants' prices - ticks of 0.1 yen, adjusted prices with 6 decimals - to
  15 significant digits, and SQLAlchemy reads them back as ``Decimal``
  rounded to the column's scale.)
* ``Vo``/``Va`` (and the session ``MVo``...``AVa``) go to ``BIGINT``:
  turnover exceeds 2**31 (but stays far below 2**53, where floats stop being
  exact integers). A float that is not a whole number is refused, never
  rounded.
* Codes and the limit flags ``UL``/``LL`` stay strings; a no-trade day keeps
  NULL prices and volumes (never 0); Premium session fields are NULL when the
  plan does not send them.

Writes. A day is replaced in one transaction: ``DELETE`` the date, then the
rows go straight in - PostgreSQL through psycopg 3 ``COPY ... FROM STDIN``
on the transaction's own connection, SQLite through one ``executemany``. If
anything fails before the commit, the day's previous rows are untouched.
The rows are converted, validated and serialised beforehand, off the
writer's thread (:func:`prepare`), so the writer mostly waits on the
database while the next day is prepared.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from operator import itemgetter
from typing import Any

import orjson
import sqlalchemy as sa
from psycopg import sql as pgsql

from moo_markets.warehouse.schema import BAR_COLUMNS, daily_bars, trading_calendar

Row = Mapping[str, Any]

BAR_FIELDS: tuple[str, ...] = tuple(BAR_COLUMNS)
"""J-Quants daily-bar fields in table column order (after Date and Code)."""

INTEGER_FIELDS = frozenset({"Vo", "Va", "MVo", "MVa", "AVo", "AVa"})
"""Volumes and turnover: whole numbers sent as JSON floats, stored as BIGINT."""

BUSINESS_HOL_DIVS = frozenset({"1", "2"})
"""HolDiv values of days with a TSE session (full or half day): only these have bars."""

KEY_COLUMNS = ("date", "code")


class BarDataError(ValueError):
    """A bar from J-Quants cannot be stored as it is (wrong date, fractional volume...)."""


@dataclass(frozen=True)
class BarPage:
    """One page of J-Quants bars as received; :meth:`values` converts and validates its rows.

    ``columns`` are the warehouse columns of the fields present in the page, so a
    Standard-plan page writes 16 columns and leaves the Premium session columns
    NULL, while a Premium page fills them. ``date``/``code``, when given, are
    asserted on every row: a day is replaced wholesale, so a stray row must not
    slip in. Dates stay ISO strings (``YYYY-MM-DD``), which PostgreSQL parses in
    COPY and which is exactly how SQLAlchemy stores a ``Date`` in SQLite.
    """

    rows: Sequence[Row]
    fields: tuple[str, ...]
    columns: tuple[str, ...]
    date: str | None = None
    code: str | None = None

    def __len__(self) -> int:
        return len(self.rows)

    def values(self) -> Iterator[list[Any]]:
        """Each row's values in ``columns`` order (the hot loop of every ingest)."""
        fields, date, code = self.fields, self.date, self.code
        integer_positions = [i for i, f in enumerate(fields) if f in INTEGER_FIELDS]
        getter = itemgetter(*fields)  # C-speed lookup of all fields of a row at once
        for row in self.rows:
            try:
                values = list(getter(row))
            except KeyError:  # a row without some field: NULL there
                values = [row.get(f) for f in fields]
            if values[1].__class__ is not str:
                values[1] = None if values[1] is None else str(values[1])
            if (date is not None and values[0] != date) or (code is not None and values[1] != code):
                raise BarDataError(
                    f"unexpected row Date={values[0]!r} Code={values[1]!r} "
                    f"in a response for {'date ' + date if date else 'code ' + str(code)}"
                )
            if values[0] is None or not values[1]:
                raise BarDataError(f"row without Date or Code: {dict(row)!r}")
            for i in integer_positions:
                value = values[i]
                if value.__class__ is float and value.is_integer():
                    values[i] = int(value)
                elif value is not None and value.__class__ is not int:
                    values[i] = exact_int(value, f"{fields[i]} of {values[1]} on {values[0]}")
            yield values


def exact_int(value: Any, name: str = "value") -> int | None:
    """A JSON number that must be whole (24318700.0 -> 24318700); refuses 1.5 instead of rounding."""
    if value is None or type(value) is int:
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value)
    raise BarDataError(f"{name}={value!r} is not a whole number")


def bar_page(page: Sequence[Row], *, date: str | None = None, code: str | None = None) -> BarPage:
    """A :class:`BarPage` of API rows; cheap (:func:`prepare` converts them)."""
    if not page:
        return BarPage(page, (), KEY_COLUMNS, date, code)
    width = len(page[0])
    if all(len(row) == width for row in page):
        present: Iterable[str] = page[0].keys()
    else:  # rows disagree on their fields: take every field any row has
        present = set().union(*page)
    fields = ("Date", "Code", *(f for f in BAR_FIELDS if f in present))
    columns = ("date", "code", *(BAR_COLUMNS[f] for f in fields[2:]))
    return BarPage(page, fields, columns, date, code)


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


@dataclass(frozen=True)
class Rows:
    """A page's rows in the form its database takes them: the write needs no more Python work.

    Preparing happens on the fetch threads, so the writer only streams bytes to
    the database and waits; PostgreSQL parses day k while Python decodes and
    prepares day k+1. On PostgreSQL the rows are COPY CSV text (``csv``), else
    value lists (``values``; SQLite, or a PostgreSQL page whose strings need
    escaping, see :func:`prepare`).
    """

    columns: tuple[str, ...]
    count: int
    csv: bytes | None = None
    values: list[list[Any]] | None = None


def prepare(page: BarPage, dialect: str) -> Rows:
    """Convert and validate ``page`` for a ``dialect`` database (raises :class:`BarDataError`).

    For PostgreSQL the rows are serialised by orjson, several times faster than
    psycopg's ``write_row``: the JSON text of ``["2026-03-02","72030",2047.5,
    ...,null]`` without its brackets is a CSV line (strings quoted, floats as
    their shortest round-tripping decimal, ``null`` for NULL, see
    :data:`JSON_LINES_AS_CSV`). That holds only while no string needed a JSON
    escape, which always shows as a backslash; a page with one (J-Quants'
    codes, dates and flags never need one) keeps its value lists for
    ``write_row`` instead.
    """
    if dialect == "postgresql":
        dumps = orjson.dumps
        csv = b"\n".join([dumps(values)[1:-1] for values in page.values()])
        if b"\\" not in csv:
            return Rows(page.columns, len(page), csv=csv)
    return Rows(page.columns, len(page), values=list(page.values()))


def replace_day(connection: sa.Connection, day: dt.date, pages: Iterable[Rows]) -> int:
    """Delete ``day``'s rows and bulk-insert ``pages`` (caller's transaction)."""
    connection.execute(sa.delete(daily_bars).where(daily_bars.c.date == day))
    return sum(insert_rows(connection, rows) for rows in pages)


def insert_rows(connection: sa.Connection, rows: Rows, table: str = daily_bars.name) -> int:
    """Bulk-insert prepared rows: COPY on PostgreSQL, executemany on SQLite."""
    if not rows.count:
        return 0
    if connection.dialect.name == "postgresql":
        return _copy_rows(connection, table, rows)
    if rows.values is None:
        raise ValueError("rows prepared for PostgreSQL cannot be written to another database")
    statement = _insert_statement(connection.dialect, rows.columns, table)
    cursor = connection.connection.cursor()
    try:
        cursor.executemany(statement, rows.values)
    finally:
        cursor.close()
    return rows.count


def _copy_rows(connection: sa.Connection, table: str, rows: Rows) -> int:
    """psycopg 3 ``COPY FROM STDIN`` on the SQLAlchemy transaction's own connection.

    Identifiers come from our schema constants, quoted by ``psycopg.sql``.
    """
    raw = connection.connection.driver_connection
    with raw.cursor() as cursor:
        if rows.csv is not None:
            with cursor.copy(copy_statement(table, rows.columns, JSON_LINES_AS_CSV)) as copy:
                copy.write(rows.csv)
        else:
            with cursor.copy(copy_statement(table, rows.columns)) as copy:
                for values in rows.values or ():
                    copy.write_row(values)
    return rows.count


JSON_LINES_AS_CSV = pgsql.SQL("(FORMAT csv, NULL 'null')")
"""COPY options that read a JSON array's inside as a CSV line (a quoted "null" stays text)."""

TEXT_FORMAT = pgsql.SQL("")
"""COPY's default text format, which ``write_row`` writes."""


def copy_statement(
    table: str, columns: Sequence[str], options: pgsql.Composable = TEXT_FORMAT
) -> pgsql.Composed:
    """``COPY table (columns) FROM STDIN options`` with quoted identifiers (also the benchmarks')."""
    return pgsql.SQL("COPY {table} ({columns}) FROM STDIN {options}").format(
        table=pgsql.Identifier(table),
        columns=pgsql.SQL(", ").join(map(pgsql.Identifier, columns)),
        options=options,
    )


_insert_cache: dict[tuple[str, tuple[str, ...], str], str] = {}


def _insert_statement(dialect: sa.Dialect, columns: tuple[str, ...], table: str) -> str:
    """``INSERT INTO table (columns) VALUES (?, ...)`` compiled by SQLAlchemy for the dialect."""
    key = (dialect.name, columns, table)
    if key not in _insert_cache:
        target = (
            daily_bars if table == daily_bars.name else sa.table(table, *map(sa.column, columns))
        )
        compiled = (
            sa.insert(target).values({c: sa.bindparam(c) for c in columns}).compile(dialect=dialect)
        )
        order = list(compiled.positiontup or [])
        if order != list(columns):  # positional binds must follow our value order
            raise AssertionError(f"compiled insert binds {order}, expected {list(columns)}")
        _insert_cache[key] = str(compiled)
    return _insert_cache[key]


def codes_stored_before(
    connection: sa.Connection, codes: Iterable[str], before: dt.date
) -> set[str]:
    """The subset of ``codes`` with at least one stored bar dated before ``before``."""
    found = set()
    for code in sorted(set(codes)):
        hit = connection.execute(
            sa.select(sa.literal(1))
            .where(daily_bars.c.code == code, daily_bars.c.date < before)
            .limit(1)
        ).first()
        if hit:
            found.add(code)
    return found


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
        _copy_rows(connection, staging.name, page)
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

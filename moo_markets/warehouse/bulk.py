"""Bulk writes into any warehouse table: COPY on PostgreSQL, one executemany on SQLite.

Table-agnostic, so every dataset reuses it: a caller turns its rows into
:class:`Rows` (off the writer's thread: :func:`prepare`), then
:func:`insert_rows` streams them into a table inside the caller's
transaction. PostgreSQL gets psycopg 3 ``COPY ... FROM STDIN`` on the
transaction's own connection; SQLite one ``executemany`` of a statement
compiled by SQLAlchemy. Identifiers come from schema constants and are quoted
(``psycopg.sql``, SQLAlchemy), never formatted into SQL text.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import orjson
import sqlalchemy as sa
from psycopg import sql as pgsql
from sqlalchemy.dialects import postgresql, sqlite


@dataclass(frozen=True)
class Rows:
    """Rows in the form their database takes them: the write needs no more Python work.

    Preparing happens on the fetch threads, so the writer only streams bytes to
    the database and waits; PostgreSQL parses day k while Python decodes and
    prepares day k+1. On PostgreSQL the rows are COPY CSV text (``csv``), else
    value lists (``values``; SQLite, or a PostgreSQL page whose strings need
    escaping, see :func:`prepare`).
    """

    columns: tuple[str, ...]
    count: int
    csv: bytes | None = None
    values: list[Sequence[Any]] | None = None


def prepare(columns: tuple[str, ...], values: Iterable[Sequence[Any]], dialect: str) -> Rows:
    """Rows of ``values`` (one sequence per row, in ``columns`` order) for a ``dialect`` database.

    For PostgreSQL the rows are serialised by orjson, several times faster than
    psycopg's ``write_row``: the JSON text of ``["2026-03-02","72030",2047.5,
    ...,null]`` without its brackets is a CSV line (strings quoted, floats as
    their shortest round-tripping decimal, ``null`` for NULL, see
    :data:`JSON_LINES_AS_CSV`). That holds only while no string needed a JSON
    escape, which always shows as a backslash; rows with one keep their value
    lists for ``write_row`` instead. Values must be JSON types (str, int,
    float, None): dates as ISO strings.
    """
    listed = values if isinstance(values, list) else list(values)
    if dialect == "postgresql":
        dumps = orjson.dumps
        csv = b"\n".join([dumps(row)[1:-1] for row in listed])
        if b"\\" not in csv:
            return Rows(columns, len(listed), csv=csv)
    return Rows(columns, len(listed), values=listed)


def insert_rows(connection: sa.Connection, rows: Rows, table: str) -> int:
    """Bulk-insert prepared rows: COPY on PostgreSQL, executemany on SQLite."""
    if not rows.count:
        return 0
    if connection.dialect.name == "postgresql":
        return copy_rows(connection, table, rows)
    if rows.values is None:
        raise ValueError("rows prepared for PostgreSQL cannot be written to another database")
    statement = _insert_statement(connection.dialect, rows.columns, table)
    cursor = connection.connection.cursor()
    try:
        cursor.executemany(statement, rows.values)
    finally:
        cursor.close()
    return rows.count


def copy_rows(connection: sa.Connection, table: str, rows: Rows) -> int:
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
    table: str,
    columns: Sequence[str],
    options: pgsql.Composable = TEXT_FORMAT,
    schema: str | None = None,
) -> pgsql.Composed:
    """``COPY table (columns) FROM STDIN options`` with quoted identifiers (also the benchmarks').
    ``schema``: qualify the table (``pg_temp``: a temporary table, never a namesake)."""
    return pgsql.SQL("COPY {table} ({columns}) FROM STDIN {options}").format(
        table=pgsql.Identifier(*(schema, table) if schema else (table,)),
        columns=pgsql.SQL(", ").join(map(pgsql.Identifier, columns)),
        options=options,
    )


_insert_cache: dict[tuple[str, tuple[str, ...], str], str] = {}


def _insert_statement(dialect: sa.Dialect, columns: tuple[str, ...], table: str) -> str:
    """``INSERT INTO table (columns) VALUES (?, ...)`` compiled by SQLAlchemy for the dialect."""
    key = (dialect.name, columns, table)
    if key not in _insert_cache:
        target = sa.table(table, *map(sa.column, columns))
        compiled = (
            sa.insert(target).values({c: sa.bindparam(c) for c in columns}).compile(dialect=dialect)
        )
        order = list(compiled.positiontup or [])
        if order != list(columns):  # positional binds must follow our value order
            raise AssertionError(f"compiled insert binds {order}, expected {list(columns)}")
        _insert_cache[key] = str(compiled)
    return _insert_cache[key]


def insert_ignoring(
    connection: sa.Connection, table: sa.Table, conflict_columns: list[str], rows: list[dict]
) -> int:
    """INSERT rows, skipping any a concurrent writer already wrote; returns how many were new.

    Both PostgreSQL and SQLite (>= 3.24) support ``ON CONFLICT (...) DO NOTHING``;
    RETURNING (SQLite >= 3.35) tells which rows were really inserted.
    """
    if not rows:
        return 0
    dialect_insert = postgresql.insert if connection.dialect.name == "postgresql" else sqlite.insert
    statement = (
        dialect_insert(table)
        .on_conflict_do_nothing(index_elements=conflict_columns)
        .returning(table.c[conflict_columns[0]])
    )
    return len(connection.execute(statement, rows).all())

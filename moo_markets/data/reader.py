"""The one place a warehouse table is read into Arrow: :func:`read_table`.

Every read of the Python API and of ``moo-markets export`` goes through it,
so there is one answer to "which rows" (``as_of``: what the warehouse held at
that moment, from :func:`moo_markets.warehouse.revisions.as_of_select`) and
one answer to "which types" (:mod:`moo_markets.data.schema`).

Why two paths:

* PostgreSQL is read with the ADBC PostgreSQL driver, which streams the
  result in PostgreSQL's binary COPY format straight into Arrow columns; a
  row-by-row DB-API cursor builds one Python object per value (a
  ``Decimal`` per price) and is several times slower on a year of bars.
* SQLite is read through SQLAlchemy (it runs in-process; there is no wire to
  save). SQLite keeps ``NUMERIC`` values with numeric affinity, so a whole
  number comes back as an INTEGER and 2585.5 as a REAL: that is what makes
  readers that infer types from the first rows truncate. Here every numeric
  column is CAST explicitly (``DOUBLE``, or ``TEXT`` parsed to an exact
  decimal), so the type never depends on the values.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor

import pyarrow as pa
import pyarrow.compute as pc
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.dialects.postgresql.base import PGCompiler
from sqlalchemy.engine import make_url

from moo_markets.data.schema import arrow_type, is_decimal
from moo_markets.warehouse.engine import (
    WarehouseConfigError,
    get_engine,
    redact,
    resolve_database_url,
)

Where = Callable[[sa.FromClause], Iterable[sa.ColumnElement[bool]]]
"""Filters of a read, built on the selectable actually read (the table, or its ``as_of``
subquery): ``lambda t: [t.c.date >= start]``."""

ColumnChoice = str | tuple[str, str]
"""A column to read: its name, or ``(output name, table column)`` to rename it."""


def read_table(
    table: sa.Table,
    *,
    columns: Sequence[ColumnChoice] | None = None,
    where: Where | None = None,
    order_by: Sequence[str] = (),
    as_of: dt.datetime | None = None,
    exact: bool = False,
    url: str | None = None,
    chunks: Sequence[Where] = (),
) -> pa.Table:
    """Rows of ``table`` as an Arrow table typed by :func:`moo_markets.data.schema.arrow_type`.

    ``as_of`` (an aware datetime) reads what the warehouse held at that moment:
    the rows come from ``revisions.as_of_select(table, as_of)`` instead of the
    table itself, and ``where``/``order_by`` apply to that. ``url`` overrides the
    configured warehouse (``MOO_MARKETS_DATABASE_URL``). ``exact`` reads
    ``NUMERIC`` columns as ``decimal128(p, s)`` instead of ``float64``.
    """
    if as_of is not None:
        if as_of.tzinfo is None or as_of.utcoffset() is None:
            raise ValueError(f"as_of must be an aware datetime (e.g. Asia/Tokyo), got {as_of!r}")
        # Imported here: the revisions module owns point-in-time reads (CONTRACT.md).
        from moo_markets.warehouse.revisions import as_of_select

        source: sa.FromClause = as_of_select(table, as_of).subquery(table.name)
    else:
        source = table
    chosen = [(c, c) if isinstance(c, str) else c for c in (columns or table.c.keys())]
    unknown = [name for _, name in chosen if name not in table.c]
    if unknown:
        raise KeyError(f"{table.name} has no column(s) {', '.join(unknown)}")
    types = {out: table.c[name].type for out, name in chosen}
    schema = pa.schema(pa.field(out, arrow_type(types[out], exact=exact)) for out, _ in chosen)

    engine = get_engine(url)
    backend = engine.dialect.name
    selected = [_expression(source.c[name], backend, exact).label(out) for out, name in chosen]
    statement = sa.select(*selected)
    if where is not None:
        statement = statement.where(*where(source))
    if order_by:
        # NULLs last on both databases (SQLite puts them first by default).
        statement = statement.order_by(*(source.c[name].asc().nulls_last() for name in order_by))

    parts = [statement.where(*chunk(source)) for chunk in chunks] or [statement]
    if backend == "postgresql":
        resolved = resolve_database_url(url)
        if len(parts) == 1:
            return _conform(_read_postgresql(parts[0], resolved), schema)
        with ThreadPoolExecutor(len(parts), thread_name_prefix="moo-read") as pool:
            tables = list(pool.map(lambda part: _read_postgresql(part, resolved), parts))
        return pa.concat_tables([_conform(table, schema) for table in tables])
    return pa.concat_tables([_conform(_read_sqlalchemy(engine, p, schema), schema) for p in parts])


def _expression(column: sa.ColumnElement, backend: str, exact: bool) -> sa.ColumnElement:
    """What to SELECT for ``column`` so its type never depends on its values."""
    if is_decimal(column.type):
        # TEXT keeps every digit; Arrow parses it to decimal128 or (correctly rounded) float64.
        # PostgreSQL writes numeric text faster than it converts numeric to float8, and
        # faster than ADBC decodes binary numeric; SQLite's REAL reads directly as DOUBLE.
        if exact or backend == "postgresql":
            return sa.cast(column, sa.Text)
        return sa.cast(column, sa.Double)
    if isinstance(column.type, sa.JSON):
        return sa.cast(column, sa.Text)
    return column


def _read_postgresql(statement: sa.Select, url: str) -> pa.Table:
    """One SELECT through ADBC: PostgreSQL's binary COPY protocol into Arrow columns."""
    import adbc_driver_postgresql.dbapi as adbc

    # Literal binds: ADBC streams with COPY only a statement without parameters. Values are
    # rendered by SQLAlchemy's PostgreSQL compiler (strings quoted and escaped), times by
    # _LiteralCompiler, never formatted into SQL text here.
    sql = str(statement.compile(dialect=_LITERAL_DIALECT, compile_kwargs={"literal_binds": True}))
    uri = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    try:
        connection = adbc.connect(uri)
    except adbc.Error as exc:  # never show the URI: it may hold a password
        message = str(exc).replace(uri, redact(uri))
        raise WarehouseConfigError(f"cannot read {redact(uri)}: {message}") from None
    with connection, connection.cursor() as cursor:
        cursor.execute(sql)
        return cursor.fetch_arrow_table()


class _LiteralCompiler(PGCompiler):
    """PostgreSQL literals of dates and times whatever their column type (SQLAlchemy cannot
    render an aware datetime bound to a TypeDecorator such as ``TokyoDateTime``)."""

    def render_literal_value(self, value: object, type_: sa.types.TypeEngine) -> str:
        if isinstance(value, dt.datetime):
            kind = "TIMESTAMP WITH TIME ZONE " if value.tzinfo else "TIMESTAMP "
        elif isinstance(value, dt.date):
            kind = "DATE "
        elif isinstance(value, dt.time):
            kind = "TIME "
        else:
            return super().render_literal_value(value, type_)
        # The ISO text as a string literal quoted by SQLAlchemy, typed by its keyword.
        return kind + super().render_literal_value(value.isoformat(), sa.Text())


_LITERAL_DIALECT = postgresql.dialect()
_LITERAL_DIALECT.statement_compiler = _LiteralCompiler


def _read_sqlalchemy(engine: sa.Engine, statement: sa.Select, schema: pa.Schema) -> pa.Table:
    """SQLite: SQLAlchemy's result processors give dates, times and aware datetimes."""
    with engine.connect() as connection:
        rows = connection.execute(statement).fetchall()
    columns = list(zip(*rows, strict=True)) if rows else [()] * len(schema)
    arrays = []
    for field, values in zip(schema, columns, strict=True):
        if pa.types.is_decimal(field.type):
            arrays.append(pa.array(values, type=pa.string()))  # CAST(... AS TEXT)
        elif pa.types.is_timestamp(field.type):
            arrays.append(pa.array(values, type=pa.timestamp("us", tz="UTC")))
        else:
            arrays.append(pa.array(values, type=field.type))
    return pa.Table.from_arrays(arrays, names=schema.names)


def _conform(raw: pa.Table, schema: pa.Schema) -> pa.Table:
    """Cast the driver's columns to the declared schema; decimals from their exact text."""
    arrays = []
    for field in schema:
        column = raw.column(field.name)
        if column.type != field.type:
            if pa.types.is_decimal(field.type):
                column = _decimal(column, field)
            else:
                column = column.cast(field.type)
        arrays.append(column)
    return pa.Table.from_arrays(arrays, schema=schema)


def _decimal(column: pa.ChunkedArray, field: pa.Field) -> pa.ChunkedArray:
    """Decimal text (``2585.5``, ``2585.500000``, ``1.0e-05``) to ``decimal128(p, s)``.

    Arrow's cast refuses a value that needs more digits than the type holds, so
    nothing is truncated silently.
    """
    text = column.cast(pa.string())
    # SQLite writes small or large REALs in exponent form; Arrow parses those to a wider scale.
    if pc.any(pc.match_substring(text, "e", ignore_case=True)).as_py():
        wide = pa.decimal128(38, max(field.type.scale, 18))
        return text.cast(wide).cast(field.type)
    return text.cast(field.type)

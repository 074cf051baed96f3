"""Arrow types of warehouse columns: one mapping from SQL type to exact Arrow type.

Every reader (the Python API, the Parquet/CSV/DuckDB export) types its
columns here, from the SQLAlchemy table that the dataset specs build, so a
column has the same type wherever it is read:

=====================  ==============================  ==========================
SQL                    Arrow (``exact=True``)          Arrow (default)
=====================  ==============================  ==========================
NUMERIC(p, s)          ``decimal128(p, s)``            ``float64``
BIGINT / INTEGER       ``int64``                       ``int64``
DATE                   ``date32``                      ``date32``
TIME                   ``time64[us]``                  ``time64[us]``
timestamp with tz      ``timestamp[us, Asia/Tokyo]``   same
BOOLEAN                ``bool``                        ``bool``
VARCHAR / TEXT / JSON  ``string``                      ``string``
=====================  ==============================  ==========================

``float64`` holds every stored price exactly as the nearest double (15
significant digits survive a round trip), which is what numeric code wants;
``exact=True`` keeps the warehouse's decimals digit for digit.
"""

from __future__ import annotations

import pyarrow as pa
import sqlalchemy as sa

from moo_markets.core.time import TIMEZONE


def arrow_type(sql_type: sa.types.TypeEngine, *, exact: bool) -> pa.DataType:
    """The Arrow type a column of ``sql_type`` is read as."""
    if isinstance(sql_type, sa.types.TypeDecorator):
        sql_type = sql_type.impl_instance
    if isinstance(sql_type, sa.Numeric) and not isinstance(sql_type, sa.Float):
        if exact:
            return pa.decimal128(sql_type.precision or 38, sql_type.scale or 0)
        return pa.float64()
    if isinstance(sql_type, sa.Float):
        return pa.float64()
    if isinstance(sql_type, sa.Integer):  # BigInteger and SmallInteger too
        return pa.int64()
    if isinstance(sql_type, sa.DateTime):
        return pa.timestamp("us", tz=TIMEZONE)
    if isinstance(sql_type, sa.Date):
        return pa.date32()
    if isinstance(sql_type, sa.Time):
        return pa.time64("us")
    if isinstance(sql_type, sa.Boolean):
        return pa.bool_()
    if isinstance(sql_type, (sa.String, sa.JSON)):
        return pa.string()
    raise TypeError(f"no Arrow type for SQL type {sql_type!r}")


def arrow_schema(columns: list[sa.ColumnElement], *, exact: bool) -> pa.Schema:
    """The Arrow schema of a SELECT of ``columns`` (table columns or labelled expressions)."""
    return pa.schema(
        pa.field(column.key, arrow_type(column.type, exact=exact)) for column in columns
    )


def is_decimal(sql_type: sa.types.TypeEngine) -> bool:
    if isinstance(sql_type, sa.types.TypeDecorator):
        sql_type = sql_type.impl_instance
    return isinstance(sql_type, sa.Numeric) and not isinstance(sql_type, sa.Float)

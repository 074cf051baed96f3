"""Column types of the warehouse that need more than SQLAlchemy's defaults."""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa

from moo_markets.core.time import in_tokyo


class TokyoDateTime(sa.types.TypeDecorator):
    """``timestamp with time zone`` whose stored text is unambiguous on SQLite too.

    PostgreSQL keeps its ``timestamptz`` (the documented DDL). SQLite has no
    time zone type and SQLAlchemy would store ``2026-11-30 23:15:00`` without
    any offset; this type writes ISO 8601 with the Asia/Tokyo offset instead
    (``2026-12-01T08:15:00.000000+09:00``, always with microseconds so text
    order is time order) and reads both that and the older offset-less UTC
    text. Values come back as aware Tokyo datetimes on both databases.
    """

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def bind_processor(self, dialect: sa.Dialect) -> Any:
        if dialect.name != "sqlite":
            return super().bind_processor(dialect)

        def process(value: dt.datetime | None) -> str | None:
            tokyo = in_tokyo(value)
            return tokyo.isoformat(timespec="microseconds") if tokyo is not None else None

        return process

    def result_processor(self, dialect: sa.Dialect, coltype: Any) -> Any:
        if dialect.name != "sqlite":
            parent = super().result_processor(dialect, coltype)

            def to_tokyo(value: Any) -> dt.datetime | None:
                return in_tokyo(parent(value) if parent else value)

            return to_tokyo

        def parse(value: str | dt.datetime | None) -> dt.datetime | None:
            if value is None or isinstance(value, dt.datetime):
                return in_tokyo(value)
            return in_tokyo(dt.datetime.fromisoformat(value))

        return parse

    def process_literal_param(self, value: Any, dialect: sa.Dialect) -> str:
        return repr(in_tokyo(value).isoformat())

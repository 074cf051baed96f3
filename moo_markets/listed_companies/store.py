"""Reading and replacing listed-company snapshots in the warehouse."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import sqlalchemy as sa

from moo_markets.datasets.listed_companies import SPEC
from moo_markets.warehouse.replace import revising
from moo_markets.warehouse.schema import listed_companies as table

MASTER_COLUMNS: dict[str, str] = {f.source: f.column for f in SPEC.columns}
"""J-Quants /equities/master field -> warehouse column (``datasets/listed_companies.py``)."""


def to_record(row: Mapping[str, Any]) -> dict[str, Any]:
    """One API row as a table record: every field kept as sent (``""`` stays ``""``, unlike
    the generic datasets' NULL: the snapshot's text columns always held what J-Quants sent),
    the code always a string."""
    record = {column: row.get(field) for field, column in MASTER_COLUMNS.items()}
    record["date"] = dt.date.fromisoformat(str(row["Date"]))
    record["code"] = str(row["Code"])
    return record


def replace_snapshots(connection: sa.Connection, records: Sequence[Mapping[str, Any]]) -> None:
    """Make the snapshots of the records' dates exactly the records (caller's transaction),
    keeping the versions a refetch changes (``warehouse/replace.py``)."""
    dates = sorted({r["date"] for r in records})
    if not dates:
        return
    with revising(connection, table, table.c.date.in_(dates)) as target:
        connection.execute(sa.insert(target.table), list(records))


def previous_snapshot_date(connection: sa.Connection, before: dt.date) -> dt.date | None:
    return connection.execute(
        sa.select(sa.func.max(table.c.date)).where(table.c.date < before)
    ).scalar_one_or_none()


def codes_on(connection: sa.Connection, date: dt.date) -> set[str]:
    return set(connection.execute(sa.select(table.c.code).where(table.c.date == date)).scalars())


def latest_snapshot_date(connection: sa.Connection) -> dt.date | None:
    return connection.execute(sa.select(sa.func.max(table.c.date))).scalar_one_or_none()


def count_by(records: Iterable[Mapping[str, Any]], column: str) -> dict[str, int]:
    counts: dict[str, int] = {}
    for record in records:
        key = f"{record.get(column) or '-'}"
        counts[key] = counts.get(key, 0) + 1
    return dict(sorted(counts.items()))

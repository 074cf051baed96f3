"""Writing and reading a dataset's table, for any spec (SQLAlchemy Core, no SQL text).

A partitioned dataset's run replaces its partition: afterwards the rows whose
partition column lies in the partition's days are exactly the fetched rows, in
the caller's one transaction (a failure leaves the previous rows). A latest
snapshot is upserted by its key, so earlier snapshots' rows stay. Both go
through ``warehouse/replace.py``: a refetch keeps every version it changes.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa

from moo_markets.datasets.spec import DatasetSpec
from moo_markets.warehouse.replace import Changes, revising
from moo_markets.warehouse.schema import DATASET_TABLES

BATCH = 2000


def table_of(spec: DatasetSpec) -> sa.Table:
    return DATASET_TABLES[spec.name]


def _in_partition(
    spec: DatasetSpec,
    first: dt.date | None,
    last: dt.date | None,
    records: Sequence[dict[str, Any]] = (),
):
    """The partition's rows; for a latest snapshot, the rows sharing the first key column's
    values with ``records`` (the snapshot just fetched, not the whole history)."""
    table = table_of(spec)
    if first is not None and spec.partition_column is not None:
        return table.c[spec.partition_column].between(first, last)
    lead = spec.key_columns[0]
    values = sorted({r[lead] for r in records})
    return table.c[lead].in_(values) if values else sa.false()


def replace_partition(
    connection: sa.Connection,
    spec: DatasetSpec,
    first: dt.date | None,
    last: dt.date | None,
    records: Sequence[dict[str, Any]],
) -> int:
    """Make the partition hold exactly ``records``; returns the rows written. A refetch
    keeps the versions it changes in ``<table>_revisions`` (``warehouse/replace.py``)."""
    if first is None:
        return upsert(connection, spec, records)
    _write(connection, spec, _in_partition(spec, first, last), records)
    return len(records)


def upsert(connection: sa.Connection, spec: DatasetSpec, records: Sequence[dict[str, Any]]) -> int:
    """Insert rows, replacing the stored row of the same key (stored rows the records lack
    are kept); returns the rows written."""
    if not records:
        return 0
    scope = _in_partition(spec, None, None, records)
    _write(connection, spec, scope, records, delete_missing=False)
    return len(records)


def _write(
    connection: sa.Connection,
    spec: DatasetSpec,
    scope: sa.ColumnElement[bool],
    records: Sequence[dict[str, Any]],
    delete_missing: bool = True,
) -> Changes:
    with revising(connection, table_of(spec), scope, delete_missing=delete_missing) as target:
        for start in range(0, len(records), BATCH):
            connection.execute(sa.insert(target.table), list(records[start : start + BATCH]))
    return target.changes


def stored(
    connection: sa.Connection,
    spec: DatasetSpec,
    first: dt.date | None,
    last: dt.date | None,
    records: Sequence[dict[str, Any]] = (),
) -> list[dict[str, Any]]:
    """The partition's stored rows as column -> value (see ``_in_partition``)."""
    table = table_of(spec)
    query = sa.select(table).where(_in_partition(spec, first, last, records))
    return [dict(row._mapping) for row in connection.execute(query)]


def duplicate_keys(
    connection: sa.Connection,
    spec: DatasetSpec,
    first: dt.date | None,
    last: dt.date | None,
    records: Sequence[dict[str, Any]] = (),
) -> int:
    """How many keys of the partition are stored more than once (the primary key forbids it;
    the check proves it on the data actually stored)."""
    table = table_of(spec)
    keys = [table.c[c] for c in spec.key_columns]
    duplicated = (
        sa.select(*keys)
        .where(_in_partition(spec, first, last, records))
        .group_by(*keys)
        .having(sa.func.count() > 1)
        .subquery()
    )
    return connection.execute(sa.select(sa.func.count()).select_from(duplicated)).scalar_one()

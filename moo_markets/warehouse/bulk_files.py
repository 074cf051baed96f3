"""A month of any declared dataset from its J-Quants bulk file (``DatasetSpec.bulk``).

The generic counterpart of ``daily_bars/bulk.py``: the file streams through
:func:`csv_stream.records` (REST-shaped rows, in batches), each batch goes through the
spec's own exact conversion (:meth:`DatasetSpec.records`, the REST path's), and is
inserted into the table :func:`warehouse.replace.revising` yields for the month's scope,
in one transaction with the ``bulk_files`` record. A row outside the month, a value that
does not convert, a duplicate key or a broken download raise
:class:`~moo_markets.jquants.bulk.BulkFileError` naming the file, and nothing of the month
is written. Memory holds one batch, never the file.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from decimal import Decimal

import orjson
import sqlalchemy as sa

from moo_markets.core.time import month_bounds
from moo_markets.datasets.spec import JSON, ConversionError, DatasetSpec
from moo_markets.jquants import BulkFile, BulkFileError, JQuantsClient
from moo_markets.warehouse import csv_stream
from moo_markets.warehouse.replace import revising
from moo_markets.warehouse.schema import DATASET_TABLES, bulk_files


def date_column(spec: DatasetSpec) -> str:
    """The DATE column a month is scoped by (:attr:`DatasetSpec.day_column`)."""
    if spec.day_column is None:
        raise ValueError(f"{spec.name} has no DATE key column to scope a month by")
    return spec.day_column


def load_month(
    connection: sa.Connection,
    spec: DatasetSpec,
    key: str,
    chunks: Iterable[bytes],
    first: dt.date,
    last: dt.date,
) -> int:
    """Make ``spec``'s table hold exactly the file's rows for ``first..last`` (caller's
    transaction); returns the rows written."""
    table = DATASET_TABLES[spec.name]
    column = date_column(spec)
    numeric = frozenset(f.source for f in spec.columns if f.type.python in (Decimal, int))
    keep_empty = frozenset(f.source for f in spec.columns if f.source in spec.key)
    nested = frozenset(f.source.split(".")[0] for f in spec.columns if "." in f.source)
    nested |= frozenset(f.source for f in spec.columns if f.type is JSON)
    written = 0
    try:
        with revising(connection, table, table.c[column].between(first, last)) as target:
            fields, blocks = csv_stream.split_header(chunks)
            for batch in csv_stream.records(fields, blocks, numeric, keep_empty):
                for row in batch:
                    for field in nested & row.keys():
                        if isinstance(row[field], str) and row[field]:
                            row[field] = orjson.loads(row[field])
                records = spec.records(batch)
                outside = [r[column] for r in records if not first <= r[column] <= last]
                if outside:
                    raise BulkFileError(key, f"a row dated {outside[0]} lies outside {first:%Y-%m}")
                connection.execute(sa.insert(target.table), records)
                written += len(records)
    except BulkFileError as exc:
        raise BulkFileError(key, f"{exc.detail}; nothing of {first:%Y-%m} was written") from None
    except (ConversionError, csv_stream.CsvFormatError, UnicodeDecodeError, ValueError) as exc:
        raise BulkFileError(key, f"{exc}; nothing of {first:%Y-%m} was written") from None
    except sa.exc.DBAPIError as exc:
        detail = str(exc.orig).splitlines()[0] if exc.orig else str(exc)
        raise BulkFileError(
            key, f"rows refused by the database ({detail}); nothing of {first:%Y-%m} was written"
        ) from None
    return written


def record_file(
    connection: sa.Connection,
    endpoint: str,
    file: BulkFile,
    first: dt.date,
    last: dt.date,
    rows: int,
    run_id: str | None,
) -> None:
    """Remember the file a month came from (in the month's transaction)."""
    connection.execute(sa.delete(bulk_files).where(bulk_files.c.key == file.key))
    connection.execute(
        sa.insert(bulk_files).values(
            key=file.key,
            endpoint=endpoint,
            first_date=first,
            last_date=last,
            last_modified=file.last_modified,
            size=file.size,
            rows=rows,
            loaded_at=dt.datetime.now(dt.UTC),
            run_id=run_id,
        )
    )


def load_file(
    engine: sa.Engine,
    client: JQuantsClient,
    spec: DatasetSpec,
    file: BulkFile,
    run_id: str | None = None,
) -> int:
    """Download one monthly file of ``spec`` and load it (one transaction); returns rows."""
    if not spec.bulk:
        raise ValueError(f"{spec.name} has no bulk files")
    month = file.month
    if month is None:
        raise BulkFileError(file.key, "not a monthly (historical) file")
    _, last = month_bounds(month)
    downloader = client.bulk_downloader()
    try:
        with engine.begin() as connection:
            rows = load_month(connection, spec, file.key, downloader.chunks(file), month, last)
            record_file(connection, spec.path, file, month, last, rows, run_id)
    finally:
        downloader.close()
    return rows

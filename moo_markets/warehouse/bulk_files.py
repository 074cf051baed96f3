"""A month of any declared dataset from its J-Quants bulk file (``DatasetSpec.bulk``).

The generic counterpart of ``daily_bars/bulk.py``. The month is written into the table
:func:`warehouse.replace.revising` yields for its scope, in one transaction with the
``bulk_files`` record, one of two ways (the choice is made in :func:`load_month`):

* **SQL** (PostgreSQL, a spec whose fields :func:`csv_copy.maps_directly`, with the spec's
  own conversion): the file streams through ``COPY`` into a TEXT staging table and one
  ``INSERT ... SELECT`` converts it exactly as the REST path would (``warehouse/csv_copy.py``),
  no Python object per row. The caller's ``on_loaded`` gets per-day counts and a sample.
* **Records** (SQLite; nested ``A.B`` fields, JSON objects, the master's own conversion):
  the file streams through :func:`csv_stream.records` (REST-shaped rows, in batches), each
  batch goes through the spec's conversion (:meth:`DatasetSpec.records`, the REST path's)
  and is written (COPY on PostgreSQL, a batched INSERT on SQLite); ``on_batch`` sees each.

Either way a row outside the month, a value that does not convert, a duplicate key or a
broken download raise :class:`~moo_markets.jquants.bulk.BulkFileError` naming the file, and
nothing of the month is written (:func:`month_errors`). Memory holds one batch or one block
of the stream, never the file.

:func:`plan_months` decides which months of a backfill come from files: one ``/bulk/list``
request, and a month whose file is unchanged since it was loaded (same ``LastModified``,
same row count still stored) is not downloaded again. Used by the generic dataset assets
(``ingest/backfill.py``) and the master's history (``listed_companies/history.py``).
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import orjson
import sqlalchemy as sa
from psycopg import errors as pg_errors

from moo_markets.core.time import month_bounds
from moo_markets.datasets.spec import JSON, ConversionError, DatasetSpec
from moo_markets.jquants import BulkFile, BulkFileError, JQuantsClient
from moo_markets.warehouse import bulk, csv_copy, csv_stream
from moo_markets.warehouse.replace import revising
from moo_markets.warehouse.schema import DATASET_TABLES, bulk_files


def date_column(spec: DatasetSpec) -> str:
    """The DATE column a month is scoped by (:attr:`DatasetSpec.day_column`)."""
    if spec.day_column is None:
        raise ValueError(f"{spec.name} has no DATE key column to scope a month by")
    return spec.day_column


Records = list[dict[str, Any]]
BatchHook = Callable[[sa.Connection, sa.Table, Records], None]
LoadedHook = Callable[[sa.Connection, sa.Table, csv_copy.DirectLoad], None]


@contextlib.contextmanager
def month_errors(key: str, month: dt.date) -> Iterator[None]:
    """Whatever goes wrong while a month is written, as a :class:`BulkFileError` naming the
    file and saying the month was left as it was (the caller's transaction rolls back)."""
    suffix = f"nothing of {month:%Y-%m} was written"
    try:
        yield
    except BulkFileError as exc:
        raise BulkFileError(key, f"{exc.detail}; {suffix}") from None
    except (ConversionError, csv_stream.CsvFormatError, UnicodeDecodeError, ValueError) as exc:
        raise BulkFileError(key, f"{exc}; {suffix}") from None
    except (sa.exc.DBAPIError, pg_errors.Error) as exc:
        orig = getattr(exc, "orig", None) or exc
        detail = str(orig).splitlines()[0]
        raise BulkFileError(key, f"rows refused by the database ({detail}); {suffix}") from None


def load_month(
    connection: sa.Connection,
    spec: DatasetSpec,
    key: str,
    chunks: Iterable[bytes],
    first: dt.date,
    last: dt.date,
    *,
    convert: Callable[[Records], Records] | None = None,
    keep_empty: frozenset[str] | None = None,
    on_batch: BatchHook | None = None,
    on_loaded: LoadedHook | None = None,
    sample_rows: int = 0,
) -> int:
    """Make ``spec``'s table hold exactly the file's rows for ``first..last`` (caller's
    transaction); returns the rows written.

    ``convert`` turns a batch of REST-shaped rows into records (default: the spec's own
    conversion; the master keeps J-Quants' strings as sent), ``keep_empty`` names the fields
    whose empty cell is ``""`` rather than NULL (default: text key fields), and ``on_batch``
    sees each batch right after it was inserted, with the table written to (the asset's
    type check reads it back there).

    On PostgreSQL a spec that :func:`csv_copy.maps_directly` with the spec's own conversion
    goes the SQL way (:func:`csv_copy.load`): no batches, ``on_loaded`` sees the month's
    per-day counts and a sample of ``sample_rows`` rows per day instead (so a caller
    watching batches must watch that too)."""
    table = DATASET_TABLES[spec.name]
    column = date_column(spec)
    if (
        connection.dialect.name == "postgresql"
        and convert is None
        and keep_empty is None
        and csv_copy.maps_directly(spec)
    ):
        if on_batch is not None and on_loaded is None:
            raise ValueError("on_batch is not called on the SQL path: give on_loaded too")
        with month_errors(key, first):
            with revising(connection, table, table.c[column].between(first, last)) as target:
                fields, blocks = csv_stream.split_header(chunks)
                loaded = csv_copy.load(
                    connection, spec, key, fields, blocks, target.table, first, last, sample_rows
                )
                if on_loaded is not None:
                    on_loaded(connection, target.table, loaded)
        return loaded.validated
    numeric = spec.number_fields
    if keep_empty is None:
        keep_empty = frozenset(f.source for f in spec.columns if f.source in spec.key)
    nested = frozenset(f.source.split(".")[0] for f in spec.columns if "." in f.source)
    nested |= frozenset(f.source for f in spec.columns if f.type is JSON)
    to_records = convert or spec.records
    write = copy_records if connection.dialect.name == "postgresql" else insert_records
    written = 0
    with month_errors(key, first):
        with revising(connection, table, table.c[column].between(first, last)) as target:
            fields, blocks = csv_stream.split_header(chunks)
            for batch in csv_stream.records(fields, blocks, numeric, keep_empty):
                for row in batch:
                    for field in nested & row.keys():
                        if isinstance(row[field], str) and row[field]:
                            row[field] = orjson.loads(row[field])
                records = to_records(batch)
                outside = [r[column] for r in records if not first <= r[column] <= last]
                if outside:
                    raise BulkFileError(key, f"a row dated {outside[0]} lies outside {first:%Y-%m}")
                write(connection, target.table, records)
                if on_batch is not None:
                    on_batch(connection, target.table, records)
                written += len(records)
    return written


def insert_records(connection: sa.Connection, table: sa.Table, records: Records) -> None:
    """SQLite: one batched INSERT (executemany) of the records."""
    if records:
        connection.execute(sa.insert(table), records)


def copy_records(connection: sa.Connection, table: sa.Table, records: Records) -> None:
    """PostgreSQL: the records through ``COPY`` (:func:`bulk.copy_rows`, the transaction's
    own connection), stored exactly as :func:`insert_records` would store them: each value
    goes through its column type's bind processing for this dialect, as SQLAlchemy's INSERT
    does (JSON serialized by the engine's serializer, ``None`` in a JSON column as that
    INSERT would write it), then psycopg's COPY dumpers (Decimal, date, text; ``""`` stays
    ``""``, ``None`` is NULL)."""
    if not records:
        return
    names = records[0].keys()
    columns = [c for c in table.columns if c.key in names]
    if len(columns) != len(names):
        unknown = sorted(set(names) - {c.key for c in columns})
        raise ValueError(f"{table.name} has no column {', '.join(unknown)}")
    dialect = connection.dialect
    processors = [c.type.dialect_impl(dialect).bind_processor(dialect) for c in columns]
    keys = [c.key for c in columns]
    if any(processors):
        pairs = list(zip(keys, processors, strict=True))
        values = [[p(r[k]) if p else r[k] for k, p in pairs] for r in records]
    else:
        values = [[r[k] for k in keys] for r in records]
    rows = bulk.Rows(tuple(c.name for c in columns), len(values), values=values)
    bulk.copy_rows(connection, table.name, rows)


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


@dataclass(frozen=True)
class MonthFile:
    """One month of a backfill to take from a bulk file."""

    file: BulkFile
    first: dt.date
    last: dt.date
    unchanged_rows: int | None = None
    """Set when the stored month came from this very file (same LastModified) and still holds
    the rows loaded from it: their count. Such a month is not downloaded again."""


def plan_months(
    client: JQuantsClient,
    endpoint: str,
    table: sa.Table,
    column: str,
    months: Sequence[dt.date],
    engine: sa.Engine,
    reload_unchanged: bool = False,
) -> dict[dt.date, MonthFile]:
    """Those of ``months`` (first days, ascending: a backfill's whole months,
    :func:`daily_bars.partitions.whole_months`) that monthly files of ``endpoint`` cover
    (one ``/bulk/list`` request; none for no months). ``table.c[column]`` is where a month's
    rows are counted."""
    if not months:
        return {}
    files = client.bulk_list(endpoint, f"{months[0]:%Y-%m}", f"{months[-1]:%Y-%m}")
    by_month = {f.month: f for f in files if f.month is not None}
    planned = {m: MonthFile(by_month[m], *month_bounds(m)) for m in months if m in by_month}
    if reload_unchanged or not planned:
        return planned
    with engine.connect() as connection:
        loaded: Mapping[str, tuple[dt.datetime, int]] = {
            key: (modified, rows)
            for key, modified, rows in connection.execute(
                sa.select(bulk_files.c.key, bulk_files.c.last_modified, bulk_files.c.rows).where(
                    bulk_files.c.key.in_([m.file.key for m in planned.values()])
                )
            )
        }
        for month, planned_month in planned.items():
            known = loaded.get(planned_month.file.key)
            if known is None or known[0] != planned_month.file.last_modified:
                continue
            stored = connection.execute(
                sa.select(sa.func.count())
                .select_from(table)
                .where(table.c[column].between(planned_month.first, planned_month.last))
            ).scalar_one()
            if stored == known[1]:
                planned[month] = MonthFile(
                    planned_month.file, planned_month.first, planned_month.last, stored
                )
    return planned

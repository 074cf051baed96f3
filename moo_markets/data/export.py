"""``moo-markets export``: datasets to Parquet, CSV or a DuckDB file, typed exactly.

Exports always read with ``exact=True``: Parquet gets ``decimal128(p, s)``
columns (the warehouse's ``NUMERIC(p, s)``), ``date32`` dates, ``int64``
volumes; CSV gets the exact decimal text; the DuckDB file gets ``DECIMAL(p, s)``,
``DATE``, ``BIGINT`` tables, so ``duckdb data/moo_markets.duckdb`` answers SQL
with the right types and no extension to install. DuckDB reaches SQLite and
PostgreSQL only through extensions downloaded at run time, which an offline
machine cannot fetch, so the file is a copy (re-export to refresh it).

Every file is written beside its target and renamed into place when complete:
a failed export never leaves a half-written file under the name.
"""

from __future__ import annotations

import argparse
import datetime as dt
import logging
import os
import sys
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import sqlalchemy as sa

from moo_markets.core.time import JST, parse_date
from moo_markets.data.api import _chunks, _filters, _spec, dataset_names
from moo_markets.data.reader import Where, read_table
from moo_markets.warehouse.schema import DATASET_TABLES, trading_calendar

log = logging.getLogger(__name__)

FORMATS = ("parquet", "csv", "duckdb")
SUFFIX = {"parquet": ".parquet", "csv": ".csv", "duckdb": ".duckdb"}
DEFAULT_DIRECTORY = Path("data") / "export"


@dataclass(frozen=True)
class Exported:
    dataset: str
    rows: int
    seconds: float


def dataset_parts(
    dataset: str,
    *,
    start: dt.date | None = None,
    end: dt.date | None = None,
    codes: Sequence[str] | None = None,
    as_of: dt.datetime | None = None,
    url: str | None = None,
    lenient: bool = False,
) -> Iterator[pa.Table]:
    """One dataset (or ``trading_calendar``) as exact Arrow tables, one per calendar year
    of its date column (memory stays one year's rows however long the history), with the
    provenance in the schema metadata (J-Quants path, as_of). ``lenient`` (exporting all
    datasets): a filter the dataset has no column for is ignored instead of refused."""
    if dataset == "trading_calendar":
        spec, table, path, day = None, trading_calendar, "/markets/calendar", "date"
        where = _range_filter("date", start, end)
    else:
        spec = _spec(dataset)
        if lenient:
            if spec.day_column is None:
                start = end = None
            if "code" not in DATASET_TABLES[spec.name].c:
                codes = None
        table, path, day = DATASET_TABLES[spec.name], spec.path, spec.day_column
        where = _filters(spec, codes, start, end)
    metadata = {
        "moo_markets.dataset": dataset,
        "moo_markets.jquants_path": path,
        "moo_markets.as_of": as_of.isoformat() if as_of else "",
    }
    order = [c.name for c in table.primary_key.columns]
    for years in _years(table, day, where, as_of, url):
        part = where if years is None else _and(where, _range_filter(day, *years))
        # A year of a dataset ordered by its day is read in parallel parts (PostgreSQL).
        chunks = _chunks(spec, *years) if years and spec is not None else []
        arrow = read_table(
            table, where=part, order_by=order, as_of=as_of, exact=True, url=url, chunks=chunks
        )
        yield arrow.replace_schema_metadata(metadata)


def dataset_table(dataset: str, **filters: Any) -> pa.Table:
    """The whole of :func:`dataset_parts` as one table."""
    return pa.concat_tables(dataset_parts(dataset, **filters))


def _years(
    table: sa.Table, day: str | None, where: Where, as_of: dt.datetime | None, url: str | None
) -> list[tuple[dt.date, dt.date] | None]:
    """The calendar years the selected rows span (their days, through ``read_table``)."""
    if day is None:
        return [None]
    days = read_table(table, columns=[day], where=where, as_of=as_of, url=url).column(day)
    bounds = pc.min_max(days).as_py()
    if bounds["min"] is None:
        return [None]
    first, last = bounds["min"], bounds["max"]
    return [
        (max(first, dt.date(year, 1, 1)), min(last, dt.date(year, 12, 31)))
        for year in range(first.year, last.year + 1)
    ]


def _range_filter(column: str, start: dt.date | None, end: dt.date | None) -> Where:
    def where(source: sa.FromClause) -> list[sa.ColumnElement[bool]]:
        conditions = []
        if start:
            conditions.append(source.c[column] >= start)
        if end:
            conditions.append(source.c[column] <= end)
        return conditions

    return where


def _and(*filters: Where) -> Where:
    return lambda source: [c for f in filters for c in f(source)]


def write(parts: Iterable[pa.Table], path: Path, fmt: str) -> int:
    """``parts`` (one schema) to one ``fmt`` (parquet or csv) file at ``path``, atomically;
    returns the rows written."""
    if fmt not in ("parquet", "csv"):
        raise ValueError(f"format must be parquet or csv here, not {fmt!r}")
    partial = path.with_name(path.name + ".partial")
    rows = 0
    try:
        writer = None
        for table in parts:
            if writer is None:
                if fmt == "parquet":
                    import pyarrow.parquet as pq

                    writer = pq.ParquetWriter(partial, table.schema, compression="zstd")
                else:
                    import pyarrow.csv as pacsv

                    writer = pacsv.CSVWriter(partial, table.schema)
            writer.write_table(table)
            rows += table.num_rows
        if writer is not None:
            writer.close()
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)
    return rows


def write_duckdb(tables: dict[str, Iterable[pa.Table]], path: Path) -> dict[str, int]:
    """A new DuckDB file at ``path`` holding one typed table per entry, atomically; returns
    the rows written per table."""
    import duckdb

    partial = path.with_name(path.name + ".partial")
    partial.unlink(missing_ok=True)
    rows: dict[str, int] = {}
    try:
        with duckdb.connect(str(partial)) as connection:
            for name, parts in tables.items():
                rows[name] = 0
                for i, table in enumerate(parts):
                    # The relational API names the table: no SQL text is assembled here.
                    relation = connection.from_arrow(table)
                    if i == 0:
                        relation.create(name)
                    else:
                        relation.insert_into(name)
                    rows[name] += table.num_rows
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)
        Path(str(partial) + ".wal").unlink(missing_ok=True)
    return rows


def export(
    datasets: Sequence[str],
    fmt: str,
    output: Path,
    *,
    start: dt.date | None = None,
    end: dt.date | None = None,
    codes: Sequence[str] | None = None,
    as_of: dt.datetime | None = None,
    url: str | None = None,
) -> list[Exported]:
    """Export ``datasets``; ``output`` is a file for one dataset (or any duckdb export),
    else a directory receiving ``<dataset>.<format>`` files."""
    if fmt not in FORMATS:
        raise ValueError(f"format must be one of {', '.join(FORMATS)}, not {fmt!r}")
    filters = dict(start=start, end=end, codes=codes, as_of=as_of, url=url)
    lenient = len(datasets) > 1
    done: list[Exported] = []
    if fmt == "duckdb":
        began = time.perf_counter()
        output.parent.mkdir(parents=True, exist_ok=True)
        tables = {d: dataset_parts(d, lenient=lenient, **filters) for d in datasets}
        rows = write_duckdb(tables, output)
        seconds = time.perf_counter() - began
        return [Exported(d, rows[d], seconds / len(datasets)) for d in datasets]
    for dataset in datasets:
        began = time.perf_counter()
        target = output if len(datasets) == 1 else output / f"{dataset}{SUFFIX[fmt]}"
        target.parent.mkdir(parents=True, exist_ok=True)
        rows = write(dataset_parts(dataset, lenient=lenient, **filters), target, fmt)
        done.append(Exported(dataset, rows, time.perf_counter() - began))
    return done


# --------------------------------------------------------------------------- CLI


def _as_of(text: str) -> dt.datetime:
    """ISO 8601; a time without an offset is Asia/Tokyo."""
    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not an ISO 8601 time (e.g. 2025-05-13T15:00+09:00)"
        ) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=JST)


def _day(text: str) -> dt.date:
    try:
        return parse_date(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def add_arguments(parser: argparse.ArgumentParser) -> None:
    names = [*dataset_names(), "trading_calendar"]
    parser.add_argument(
        "dataset",
        metavar="DATASET",
        choices=[*names, "all"],
        help=f"dataset to export, or 'all': {', '.join(names)}",
    )
    parser.add_argument("--format", choices=FORMATS, default="parquet", dest="fmt")
    parser.add_argument("--start", type=_day, help="first day (YYYY-MM-DD), inclusive")
    parser.add_argument("--end", type=_day, help="last day (YYYY-MM-DD), inclusive")
    parser.add_argument("--codes", help="comma-separated issue codes (datasets with a code)")
    parser.add_argument(
        "--as-of",
        type=_as_of,
        help="what the warehouse held at this time (ISO 8601; no offset = Asia/Tokyo)",
    )
    parser.add_argument(
        "--output",
        type=Path,
        help=f"file (one dataset, or duckdb) or directory (all); default {DEFAULT_DIRECTORY}/",
    )
    parser.add_argument("--database-url", help="warehouse URL (default: the configured one)")


def run(args: argparse.Namespace) -> int:
    datasets = [*dataset_names(), "trading_calendar"] if args.dataset == "all" else [args.dataset]
    output = args.output
    if output is None:
        if args.fmt == "duckdb":
            output = Path("data") / "moo_markets.duckdb"
        elif len(datasets) == 1:
            output = DEFAULT_DIRECTORY / f"{datasets[0]}{SUFFIX[args.fmt]}"
        else:
            output = DEFAULT_DIRECTORY
    codes = [c.strip() for c in args.codes.split(",") if c.strip()] if args.codes else None
    try:
        done = export(
            datasets,
            args.fmt,
            output,
            start=args.start,
            end=args.end,
            codes=codes,
            as_of=args.as_of,
            url=args.database_url,
        )
    except (KeyError, TypeError, ValueError) as exc:
        print(f"moo-markets export: {exc}", file=sys.stderr)
        return 2
    for item in done:
        rate = item.rows / item.seconds if item.seconds else 0.0
        print(f"{item.dataset}: {item.rows} rows in {item.seconds:.2f}s ({rate:,.0f} rows/s)")
    print(f"wrote {output}")
    return 0

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
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import sqlalchemy as sa

from moo_markets.core.time import JST, parse_date
from moo_markets.data.api import _filters, _spec, dataset_names, date_column
from moo_markets.data.reader import read_table
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


def dataset_table(
    dataset: str,
    *,
    start: dt.date | None = None,
    end: dt.date | None = None,
    codes: Sequence[str] | None = None,
    as_of: dt.datetime | None = None,
    url: str | None = None,
    lenient: bool = False,
) -> pa.Table:
    """One dataset (or ``trading_calendar``) as an exact Arrow table with its provenance in
    the schema metadata (J-Quants path, as_of). ``lenient`` (exporting all datasets): a
    filter the dataset has no column for is ignored instead of refused."""
    if dataset == "trading_calendar":
        table, where, path = trading_calendar, None, "/markets/calendar"
        if start or end or codes:
            where = _calendar_filter(start, end)
    else:
        spec = _spec(dataset)
        if lenient:
            if date_column(spec) is None:
                start = end = None
            if "code" not in DATASET_TABLES[spec.name].c:
                codes = None
        table, where, path = DATASET_TABLES[spec.name], _filters(spec, codes, start, end), spec.path
    order = [c.name for c in table.primary_key.columns]
    arrow = read_table(table, where=where, order_by=order, as_of=as_of, exact=True, url=url)
    metadata = {
        "moo_markets.dataset": dataset,
        "moo_markets.jquants_path": path,
        "moo_markets.as_of": as_of.isoformat() if as_of else "",
    }
    return arrow.replace_schema_metadata(metadata)


def _calendar_filter(start: dt.date | None, end: dt.date | None):  # noqa: ANN202
    def where(source: sa.FromClause) -> list[sa.ColumnElement[bool]]:
        conditions = []
        if start:
            conditions.append(source.c.date >= start)
        if end:
            conditions.append(source.c.date <= end)
        return conditions

    return where


def write(table: pa.Table, path: Path, fmt: str) -> None:
    """``table`` to ``path`` as ``fmt`` (parquet or csv), atomically."""
    partial = path.with_name(path.name + ".partial")
    try:
        if fmt == "parquet":
            import pyarrow.parquet as pq

            pq.write_table(table, partial, compression="zstd")
        elif fmt == "csv":
            import pyarrow.csv as pacsv

            pacsv.write_csv(table, partial)
        else:
            raise ValueError(f"format must be parquet or csv here, not {fmt!r}")
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)


def write_duckdb(tables: dict[str, pa.Table], path: Path) -> None:
    """A new DuckDB file at ``path`` holding one typed table per entry, atomically."""
    import duckdb

    partial = path.with_name(path.name + ".partial")
    partial.unlink(missing_ok=True)
    try:
        with duckdb.connect(str(partial)) as connection:
            for name, table in tables.items():
                # The relational API names the table: no SQL text is assembled here.
                connection.from_arrow(table).create(name)
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)
        Path(str(partial) + ".wal").unlink(missing_ok=True)


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
    done: list[Exported] = []
    tables: dict[str, pa.Table] = {}
    for dataset in datasets:
        began = time.perf_counter()
        table = dataset_table(
            dataset,
            start=start,
            end=end,
            codes=codes,
            as_of=as_of,
            url=url,
            lenient=len(datasets) > 1,
        )
        if fmt == "duckdb":
            tables[dataset] = table
        else:
            target = output if len(datasets) == 1 else output / f"{dataset}{SUFFIX[fmt]}"
            target.parent.mkdir(parents=True, exist_ok=True)
            write(table, target, fmt)
        done.append(Exported(dataset, table.num_rows, time.perf_counter() - began))
    if fmt == "duckdb":
        began = time.perf_counter()
        output.parent.mkdir(parents=True, exist_ok=True)
        write_duckdb(tables, output)
        log.info("wrote %s in %.2fs", output, time.perf_counter() - began)
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

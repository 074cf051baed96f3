"""The read API: typed DataFrames of every dataset, current or as of a past moment.

``bars``, ``listed``, ``statements`` and ``universe`` answer the questions a
backtest asks first; every other dataset has one function named after it,
made from its spec by :func:`dataset_reader` (no per-dataset code). All of
them read through :func:`moo_markets.data.reader.read_table`.

Common arguments:

* ``as_of`` (aware datetime): what the warehouse held at that moment
  (J-Quants corrects data in place; the warehouse keeps the versions).
* ``exact``: ``NUMERIC`` columns as ``decimal128(p, s)`` (digit for digit)
  instead of ``float64``.
* ``output``: ``"pandas"`` (default), ``"polars"`` or ``"arrow"``.
* ``url``: a warehouse URL instead of the configured one.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import sqlalchemy as sa

from moo_markets.core.time import JST, TIMEZONE
from moo_markets.data.frames import Output, frame
from moo_markets.data.reader import ColumnChoice, read_table
from moo_markets.data.schema import arrow_schema
from moo_markets.datasets.registry import SPECS
from moo_markets.datasets.spec import DatasetSpec
from moo_markets.warehouse.schema import DATASET_TABLES

DateLike = dt.date | str
Codes = str | Iterable[str] | None

NAMED = {"daily_bars": "bars", "listed_companies": "listed", "fins_summary": "statements"}
"""Datasets read by a hand-written function of this module (the others are generated)."""


def _date(value: DateLike | None) -> dt.date | None:
    if value is None or (isinstance(value, dt.date) and not isinstance(value, dt.datetime)):
        return value
    if isinstance(value, dt.datetime):
        return value.astimezone(JST).date() if value.tzinfo else value.date()
    return dt.date.fromisoformat(value)


def _codes(codes: Codes) -> list[str] | None:
    if codes is None:
        return None
    return [codes] if isinstance(codes, str) else [str(c) for c in codes]


def _filters(spec: DatasetSpec, codes: Codes, start: DateLike | None, end: DateLike | None) -> Any:
    code_list = _codes(codes)
    first, last = _date(start), _date(end)
    day = spec.day_column
    if code_list is not None and "code" not in DATASET_TABLES[spec.name].c:
        raise TypeError(f"{spec.name} has no code column: codes= does not apply")
    if (first or last) and day is None:
        raise TypeError(f"{spec.name} is a latest-only snapshot: start/end do not apply")

    def where(source: sa.FromClause) -> list[sa.ColumnElement[bool]]:
        conditions = []
        if code_list is not None:
            conditions.append(source.c.code.in_(code_list))
        if first is not None:
            conditions.append(source.c[day] >= first)
        if last is not None:
            conditions.append(source.c[day] <= last)
        return conditions

    return where


def _order(spec: DatasetSpec) -> list[str]:
    return list(spec.key_columns)


PARALLEL_PARTS = 4
"""Date ranges a long read is split into (read in parallel on PostgreSQL)."""
PART_MIN_DAYS = 60


def _chunks(spec: DatasetSpec, start: DateLike | None, end: DateLike | None) -> list[Any]:
    """Consecutive date ranges covering [start, end], for a dataset ordered by that date
    first: their concatenation keeps the order. None when the range is short or open."""
    first, last = _date(start), _date(end)
    day = spec.day_column
    if first is None or last is None or day is None or spec.key_columns[0] != day:
        return []
    span = (last - first).days + 1
    if span < PART_MIN_DAYS * 2:
        return []
    parts = min(PARALLEL_PARTS, span // PART_MIN_DAYS)
    bounds = [first + dt.timedelta(days=span * i // parts) for i in range(parts + 1)]
    bounds[-1] = last + dt.timedelta(days=1)

    def part(lo: dt.date, hi: dt.date) -> Any:
        return lambda source: [source.c[day] >= lo, source.c[day] < hi]

    return [part(lo, hi) for lo, hi in zip(bounds, bounds[1:], strict=False)]


def read(
    dataset: str,
    codes: Codes = None,
    start: DateLike | None = None,
    end: DateLike | None = None,
    as_of: dt.datetime | None = None,
    *,
    exact: bool = False,
    output: Output = "pandas",
    url: str | None = None,
) -> Any:
    """Every column of ``dataset`` (a spec name, e.g. ``"daily_bars"``), ordered by its key.

    ``start``/``end`` (inclusive) filter the dataset's day (its partition date);
    ``codes`` its ``code`` column.
    """
    spec = _spec(dataset)
    table = read_table(
        DATASET_TABLES[spec.name],
        where=_filters(spec, codes, start, end),
        order_by=_order(spec),
        as_of=as_of,
        exact=exact,
        url=url,
        chunks=_chunks(spec, start, end),
    )
    return frame(table, output)


def _spec(dataset: str) -> DatasetSpec:
    for spec in SPECS:
        if spec.name == dataset:
            return spec
    names = ", ".join(s.name for s in SPECS)
    raise KeyError(f"unknown dataset {dataset!r}; one of: {names}")


# --------------------------------------------------------------------------- named readers

BAR_COLUMNS = ("open", "high", "low", "close")


def bars(
    codes: Codes = None,
    start: DateLike | None = None,
    end: DateLike | None = None,
    adjusted: bool = True,
    as_of: dt.datetime | None = None,
    *,
    exact: bool = False,
    output: Output = "pandas",
    url: str | None = None,
) -> Any:
    """Daily bars: ``date, code, open, high, low, close, volume, turnover_value,
    adjustment_factor, upper_limit, lower_limit``, ordered by date and code.

    ``adjusted=True`` (default): open..close and volume are J-Quants' split-adjusted
    values (``adj_*``; adjusted volume is fractional after splits, so float64 or
    decimal), as J-Quants last stated them (or as of ``as_of``: adjusted history is
    rewritten after every split). ``adjusted=False``: the prices traded that day and
    the share volume (``Int64``). ``turnover_value`` is yen (``Int64``). Prices are
    float64, or ``decimal128(20, 6)`` with ``exact=True``. No-trade days keep NULL
    prices.
    """
    spec = _spec("daily_bars")
    prefix = "adj_" if adjusted else ""
    columns: list[ColumnChoice] = ["date", "code"]
    columns += [(name, prefix + name) for name in (*BAR_COLUMNS, "volume")]
    columns += ["turnover_value", "adjustment_factor", "upper_limit", "lower_limit"]
    table = read_table(
        DATASET_TABLES[spec.name],
        columns=columns,
        where=_filters(spec, codes, start, end),
        order_by=["date", "code"],
        as_of=as_of,
        exact=exact,
        url=url,
        chunks=_chunks(spec, start, end),
    )
    return frame(table, output)


def _snapshot_filter(day: dt.date) -> Any:
    """Rows of the listed-company snapshot in effect on ``day`` (the latest on or before)."""

    def where(source: sa.FromClause) -> list[sa.ColumnElement[bool]]:
        latest = (
            sa.select(sa.func.max(source.c.date))
            .where(source.c.date <= day)
            .correlate(None)  # its own FROM: the inner scope shadows the outer name
            .scalar_subquery()
        )
        return [source.c.date == latest]

    return where


def listed(
    date: DateLike,
    as_of: dt.datetime | None = None,
    *,
    output: Output = "pandas",
    url: str | None = None,
) -> Any:
    """The listed-company master in effect on ``date``: the latest stored snapshot on or
    before it (its ``date`` column says which), one row per issue, ordered by code."""
    day = _date(date)
    table = read_table(
        DATASET_TABLES["listed_companies"],
        where=_snapshot_filter(day),
        order_by=["code"],
        as_of=as_of,
        url=url,
    )
    return frame(table, output)


def universe(
    date: DateLike,
    as_of: dt.datetime | None = None,
    *,
    output: Output = "pandas",
    url: str | None = None,
) -> Any:
    """Every issue listed on ``date``, including those delisted since (no survivorship bias).

    The issues of the listed-company snapshot in effect that day, plus any issue with
    a daily bar that day that the snapshot lacks (company columns NULL for those);
    ``has_bar`` says whether the issue has a bar that day. One row per code, ordered.
    """
    day = _date(date)
    snapshot = read_table(
        DATASET_TABLES["listed_companies"],
        where=_snapshot_filter(day),
        order_by=["code"],
        as_of=as_of,
        url=url,
    )
    traded = read_table(
        DATASET_TABLES["daily_bars"],
        columns=["code"],
        where=lambda source: [source.c.date == day],
        as_of=as_of,
        url=url,
    )
    traded_codes = traded.column("code")
    missing = pc.filter(
        traded_codes, pc.invert(pc.is_in(traded_codes, value_set=snapshot.column("code")))
    )
    extra = pa.table(
        {
            name: missing
            if name == "code"
            else pa.nulls(len(missing), type=snapshot.schema.field(name).type)
            for name in snapshot.column_names
        },
        schema=snapshot.schema,
    )
    combined = pa.concat_tables([snapshot, extra])
    has_bar = pc.is_in(combined.column("code"), value_set=traded_codes)
    combined = combined.append_column(pa.field("has_bar", pa.bool_()), has_bar)
    return frame(combined.sort_by("code"), output)


def statements(
    codes: Codes = None,
    as_of: dt.datetime | None = None,
    start: DateLike | None = None,
    end: DateLike | None = None,
    *,
    exact: bool = False,
    output: Output = "pandas",
    url: str | None = None,
) -> Any:
    """Financial statement summaries (``fins_summary``), one row per disclosure, ordered by
    disclosure time, with ``disclosed_at`` (aware Asia/Tokyo: ``disc_date`` + ``disc_time``).

    ``as_of``: only disclosures made by then (their disclosure date AND time in
    Asia/Tokyo; one without a time counts from the end of its day), in the version the
    warehouse held at that moment. ``start``/``end`` filter the disclosure date.
    """
    spec = _spec("fins_summary")
    base = _filters(spec, codes, start, end)
    if as_of is not None and (as_of.tzinfo is None or as_of.utcoffset() is None):
        raise ValueError(f"as_of must be an aware datetime (e.g. Asia/Tokyo), got {as_of!r}")

    def where(source: sa.FromClause) -> list[sa.ColumnElement[bool]]:
        conditions = base(source)
        if as_of is not None:
            moment = as_of.astimezone(JST)
            day, clock = moment.date(), moment.time().replace(tzinfo=None)
            c = source.c
            conditions.append(
                sa.or_(
                    c.disc_date < day,
                    sa.and_(c.disc_date == day, c.disc_time.is_not(None), c.disc_time <= clock),
                )
            )
        return conditions

    table = read_table(
        DATASET_TABLES[spec.name],
        where=where,
        order_by=["disc_date", "disc_time", "disc_no"],
        as_of=as_of,
        exact=exact,
        url=url,
    )
    table = table.add_column(2, "disclosed_at", disclosed_at(table))
    return frame(table, output)


def disclosed_at(table: pa.Table) -> pa.ChunkedArray:
    """``disc_date`` + ``disc_time`` as aware Asia/Tokyo timestamps (NULL without a time)."""
    midnight = table.column("disc_date").cast(pa.timestamp("us"))
    since = table.column("disc_time").cast(pa.int64()).cast(pa.duration("us"))
    local = pc.add(midnight, since)
    return pc.assume_timezone(local, timezone=TIMEZONE)


# --------------------------------------------------------------------------- generated


def dataset_reader(spec: DatasetSpec) -> Any:
    """The function reading ``spec``'s dataset: ``read`` bound to it, documented from it."""

    def reader(
        codes: Codes = None,
        start: DateLike | None = None,
        end: DateLike | None = None,
        as_of: dt.datetime | None = None,
        *,
        exact: bool = False,
        output: Output = "pandas",
        url: str | None = None,
    ) -> Any:
        return read(spec.name, codes, start, end, as_of, exact=exact, output=output, url=url)

    columns = ", ".join(f.column for f in spec.columns)
    day = spec.day_column
    reader.__name__ = reader.__qualname__ = spec.name
    reader.__module__ = "moo_markets.data"
    reader.__doc__ = (
        f"{spec.description}\n\n"
        f"J-Quants {spec.path} ({spec.plan} plan), ordered by {', '.join(spec.key_columns)}.\n"
        f"start/end filter: {day or 'none (latest snapshot only)'}. Columns: {columns}.\n"
        "See moo_markets.data for as_of, exact, output and url."
    )
    return reader


GENERATED: dict[str, Any] = {
    spec.name: dataset_reader(spec) for spec in SPECS if spec.name not in NAMED
}
"""One reader per dataset without a named function, by dataset name."""


def schema(dataset: str, *, exact: bool = False) -> pa.Schema:
    """The Arrow schema every reader of ``dataset`` returns (and the export writes)."""
    table = DATASET_TABLES[_spec(dataset).name]
    return arrow_schema(list(table.columns), exact=exact)


def polars_schema(dataset: str, *, exact: bool = False) -> dict[str, Any]:
    """``dataset``'s column types for polars readers of raw SQL, e.g.
    ``pl.read_database(sql, connection, schema_overrides=polars_schema("daily_bars"))``:
    without them polars infers ``close`` from the first rows (SQLite keeps whole numbers
    as INTEGER) and truncates 2585.5 to 2585."""
    import polars as pl

    return dict(pl.from_arrow(schema(dataset, exact=exact).empty_table()).schema)


def dataset_names() -> Sequence[str]:
    return [spec.name for spec in SPECS]

"""What a J-Quants dataset is, declared once: :class:`DatasetSpec`.

A spec says everything the pipeline needs to keep a local copy of one
J-Quants V2 endpoint: its path and query, the lowest plan that may call it,
how it is partitioned, its primary key and each field's column and SQL type,
when J-Quants publishes a day's data, and its catalog id and default cron.
From it come, with no per-dataset code, the warehouse table
(:mod:`moo_markets.datasets.tables`), the catalog job type
(:mod:`moo_markets.core.catalog`) and the Dagster asset, checks, job and
schedule (:mod:`moo_markets.ingest`). This module is Dagster-free, so the REST
API and the SQL mirror can read specs too.

Values are converted exactly: J-Quants numbers (JSON numbers, or decimal
strings under ``/fins/*``) become :class:`~decimal.Decimal` for ``NUMERIC``
columns through their shortest text, never through binary rounding; a value
with more digits than its column holds is an error, not a silent rounding.
``""``, ``null`` and an absent field all become NULL, except in key columns
of text type, where ``""`` is kept (a key cannot be NULL; J-Quants sends
``""`` e.g. for a short seller's absent fund name).
"""

from __future__ import annotations

import datetime as dt
import enum
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

import sqlalchemy as sa

from moo_markets.core import plans

# --------------------------------------------------------------------------- column types


class ConversionError(ValueError):
    """A J-Quants value that does not fit its declared column type."""


@dataclass(frozen=True)
class ColumnType:
    """A SQL type and the exact conversion of a J-Quants value into it."""

    name: str
    """Short name shown in the Dagster catalog (``dagster/column_schema``)."""
    sql: Callable[[], sa.types.TypeEngine]
    parse: Callable[[Any], Any]
    python: type


def _decimal(precision: int, scale: int) -> Callable[[Any], Decimal]:
    whole_digits = precision - scale

    def parse(value: Any) -> Decimal:
        if isinstance(value, bool):
            raise ConversionError(f"{value!r} is not a number")
        try:
            # repr of a float is its shortest round-tripping text: the number J-Quants sent.
            number = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
        except (InvalidOperation, TypeError, ValueError):
            raise ConversionError(f"{value!r} is not a number") from None
        if not number.is_finite():
            raise ConversionError(f"{value!r} is not a finite number")
        exponent = number.as_tuple().exponent
        if isinstance(exponent, int) and exponent < -scale and number != round(number, scale):
            raise ConversionError(f"{value!r} has more than {scale} decimals")
        if number != 0 and number.adjusted() + 1 > whole_digits:
            raise ConversionError(f"{value!r} has more than {whole_digits} digits before the point")
        return number

    return parse


def _integer(value: Any) -> int:
    if isinstance(value, bool):
        raise ConversionError(f"{value!r} is not an integer")
    if isinstance(value, int):
        return value
    try:
        number = Decimal(repr(value)) if isinstance(value, float) else Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise ConversionError(f"{value!r} is not an integer") from None
    if not number.is_finite() or number != number.to_integral_value():
        raise ConversionError(f"{value!r} is not an integer")
    return int(number)


def _text(value: Any) -> str:
    if isinstance(value, (dict, list)):
        raise ConversionError(f"{value!r} is not a string")
    return value if isinstance(value, str) else str(value)


def _date(value: Any) -> dt.date:
    text = str(value)
    try:
        if len(text) == 8 and text.isdigit():
            return dt.date(int(text[:4]), int(text[4:6]), int(text[6:]))
        return dt.date.fromisoformat(text)
    except ValueError:
        raise ConversionError(f"{value!r} is not a date (YYYY-MM-DD)") from None


def _time(value: Any) -> dt.time:
    try:
        return dt.time.fromisoformat(str(value))
    except ValueError:
        raise ConversionError(f"{value!r} is not a time (HH:MM[:SS])") from None


def _flag(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).lower()
    if text in ("true", "1"):
        return True
    if text in ("false", "0"):
        return False
    raise ConversionError(f"{value!r} is not true/false")


def _json(value: Any) -> Any:
    if not isinstance(value, (dict, list)):
        raise ConversionError(f"{value!r} is not a JSON object")
    return value


def _numeric(name: str, precision: int, scale: int) -> ColumnType:
    return ColumnType(
        f"{name} NUMERIC({precision},{scale})",
        lambda: sa.Numeric(precision, scale),
        _decimal(precision, scale),
        Decimal,
    )


PRICE = _numeric("price", 20, 6)
"""Prices and per-share values (yen; adjusted prices carry decimals)."""
AMOUNT = _numeric("amount", 24, 6)
"""Money amounts (yen, thousand or million yen) and turnover values."""
RATIO = _numeric("ratio", 20, 10)
"""Fractions, percentages, rates, volatilities, adjustment factors."""
FACTOR = _numeric("factor", 18, 10)
"""Adjustment factors of daily bars."""
COUNT = ColumnType("BIGINT", sa.BigInteger, _integer, int)
"""Volumes, share and contract counts, open interest: integers that exceed 2**31."""
TEXT = ColumnType("TEXT", sa.Text, _text, str)
CODE = ColumnType("VARCHAR(16)", lambda: sa.String(16), _text, str)
"""Issue, index, sector and contract codes: strings (``130A0`` holds letters)."""


def code(length: int) -> ColumnType:
    """A string column of ``length`` characters (the tables of jobs 1 and 2 keep their widths)."""
    return ColumnType(f"VARCHAR({length})", lambda: sa.String(length), _text, str)


DATE = ColumnType("DATE", sa.Date, _date, dt.date)
TIME = ColumnType("TIME", sa.Time, _time, dt.time)
FLAG = ColumnType("BOOLEAN", sa.Boolean, _flag, bool)
JSON = ColumnType("JSON", sa.JSON, _json, object)
"""An object J-Quants nests (e.g. ``/fins/details`` ``FS``), stored as it came."""


def snake(name: str) -> str:
    """``FwdEPS`` -> ``fwd_eps``, ``SellExShortVa`` -> ``sell_ex_short_va``,
    ``PubReason.Restricted`` -> ``pub_reason_restricted``."""
    name = name.replace(".", "_")
    name = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1_\2", name)
    name = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", name)
    return name.lower()


@dataclass(frozen=True)
class Field:
    """One J-Quants field (``A.B`` reaches into a nested object) and its column."""

    source: str
    type: ColumnType
    column: str = ""
    comment: str | None = ""
    """Column comment; "" derives ``J-Quants <source>`` (unless the spec turns them off)."""
    required: bool = False
    """NOT NULL although not part of the key."""
    marker_of: str | None = None
    """Set on the companion column of a field whose markers are kept (``DatasetSpec.markers``):
    the field it reads. Its value is the marker J-Quants sent there, else None."""
    markers: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        if not self.column:
            object.__setattr__(self, "column", snake(self.source))

    def value(self, row: Mapping[str, Any]) -> Any:
        value: Any = row
        for part in (self.marker_of or self.source).split("."):
            if not isinstance(value, Mapping):
                return None
            value = value.get(part)
        if self.marker_of is not None:
            return value if isinstance(value, str) and value in self.markers else None
        return value


def fields(type_: ColumnType, names: str) -> tuple[Field, ...]:
    """Several fields of one type, named by their J-Quants names (columns in snake case)."""
    return tuple(Field(name, type_) for name in names.split())


FieldLike = Field | tuple[str, ColumnType] | tuple[str, ColumnType, str]


# --------------------------------------------------------------------------- partitioning


class Partitioning(enum.Enum):
    """How a dataset is fetched and what one run replaces."""

    BUSINESS_DAY = "business day"
    """One partition per weekday (``YYYY-MM-DD``); days the exchange is closed are not
    fetched. A business day must have rows."""
    DISCLOSURE_DATE = "disclosure date"
    """One partition per weekday, the date of disclosure or publication; may be empty."""
    WEEKLY = "weekly"
    """One partition per week (key: its Monday); fetches what was published that week."""
    LATEST = "latest snapshot"
    """No partitions: J-Quants serves only the latest data; each run upserts it."""


@dataclass(frozen=True)
class Query:
    """The request of one partition: its days and the J-Quants query parameters."""

    first: dt.date | None
    last: dt.date | None
    params: dict[str, str]


# --------------------------------------------------------------------------- the spec


@dataclass(frozen=True)
class DatasetSpec:
    """One J-Quants endpoint, kept in one warehouse table by one catalog job."""

    name: str
    """Asset name, job type and (by default) table name, e.g. ``valuation``."""
    catalog_id: int
    """Stable job id (``/api/scheduler/jobs/<id>``, ``jobs.id``); never reused."""
    path: str
    """J-Quants path, e.g. ``/equities/valuation``."""
    title: str
    """Job name shown in the UI and the REST API."""
    description: str
    plan: str
    """Lowest J-Quants plan that may call the endpoint."""
    partitioning: Partitioning
    fields: tuple[FieldLike, ...]
    key: tuple[str, ...]
    """Primary key, as J-Quants field names."""
    published: str
    """When J-Quants publishes a partition's data, JST ``HH:MM`` (``27:00`` = 03:00 next day)."""
    cron: str
    """Default schedule (Asia/Tokyo), after ``published``."""
    params: Mapping[str, str] = field(default_factory=lambda: {"date": "{date}"})
    """Query of one partition; ``{date}``, ``{first}``, ``{last}`` are the partition's days."""
    partition_field: str | None = None
    """The DATE field that holds the partition's day (partitioned datasets)."""
    lag_days: int = 0
    """Weekdays between a partition's day and the schedule tick that fetches it (data
    published the next morning: 1)."""
    session_hol_divs: frozenset[str] = frozenset({"1", "2"})
    """BUSINESS_DAY datasets: the calendar's HolDiv values on which they have data."""
    premium_fields: frozenset[str] = frozenset()
    """Fields J-Quants sends only to Premium keys (NULL on other plans)."""
    null_strings: frozenset[str] = frozenset({""})
    """Strings that mean "no value" (``-`` for undecided dividends, ``*`` for ETFs)."""
    markers: tuple[str, ...] = ()
    """Fields whose non-empty null string says *why* there is no value, where NULL alone
    would be ambiguous (``/fins/dividend`` sends ``-`` = undecided and ``""`` = none in the
    same field). The value column stays exactly typed (NULL then) and a TEXT column
    ``<column>_mark``, after the declared fields, keeps the marker as sent (NULL when a value
    or nothing was sent)."""
    table: str = ""
    table_comment: str = ""
    """Default: ``J-Quants <path>``."""
    column_comments: bool = True
    """Whether columns get ``J-Quants <field>`` comments (jobs 1 and 2 keep their tables as
    they were: no comments)."""
    hook: str | None = None
    """The package that builds this dataset's asset itself, for behaviour a spec cannot
    express (``listed_companies``: a snapshot for a configured date; ``daily_bars``: split
    refetch, the COPY write path, the calendar). Its table, fields and catalog entry still
    come from the spec. None: the generic asset of ``moo_markets.ingest``."""
    bulk: bool = False
    """J-Quants publishes this dataset as monthly bulk files (``/bulk/list``; gzip CSV with the
    REST fields, Light plan and up): a backfill of whole months may load them instead of one
    request per partition (docs/jquants-datasets.md, "Bulk files")."""
    extra_asset_keys: tuple[str, ...] = ()
    """Further assets whose runs belong to this dataset's job (daily_bars: the calendar)."""

    def __post_init__(self) -> None:
        normalised = tuple(f if isinstance(f, Field) else Field(*f) for f in self.fields)
        by_source = {f.source: f for f in normalised}
        marks = frozenset(self.null_strings - {""})
        normalised += tuple(
            Field(
                f"{source} marker",
                TEXT,
                f"{by_source[source].column}_mark",
                comment=f"J-Quants {source} when it sent a marker ({', '.join(sorted(marks))}) "
                "instead of a value",
                marker_of=source,
                markers=marks,
            )
            for source in self.markers
            if source in by_source
        )
        object.__setattr__(self, "fields", normalised)
        if not self.table:
            object.__setattr__(self, "table", self.name)
        object.__setattr__(self, "params", dict(self.params))
        problems = self._problems()
        if problems:
            raise ValueError(f"dataset spec {self.name!r}: " + "; ".join(problems))

    def _problems(self) -> list[str]:
        problems = []
        columns = [f.column for f in self.fields]
        sources = [f.source for f in self.fields]
        if len(set(columns)) != len(columns):
            problems.append("two fields share a column name")
        if len(set(sources)) != len(sources):
            problems.append("a field is declared twice")
        if not self.key or not set(self.key) <= set(sources):
            problems.append(f"key {self.key} must name declared fields")
        if self.plan not in plans.PLANS:
            problems.append(f"plan must be one of {plans.PLANS}")
        if not set(self.premium_fields) <= set(sources):
            problems.append("premium_fields must name declared fields")
        if not set(self.markers) <= set(sources) or (self.markers and self.null_strings <= {""}):
            problems.append("markers must name declared fields and null_strings their markers")
        if self.partitioned:
            by_source = {f.source: f for f in self.fields}
            if by_source.get(self.partition_field or "") is None:
                problems.append("a partitioned dataset needs partition_field (a declared field)")
            elif by_source[self.partition_field].type is not DATE:
                problems.append("partition_field must be a DATE field")
            if self.partition_field not in self.key:
                problems.append("partition_field must be part of the key")
        if not re.fullmatch(r"([01]\d|2[0-9]):[0-5]\d", self.published):
            problems.append("published must be HH:MM (JST; 27:00 = 03:00 next day)")
        if not re.fullmatch(r"[a-z][a-z0-9_]*", self.name):
            problems.append("name must be snake_case")
        return problems

    # -- derived --------------------------------------------------------------------------
    @property
    def columns(self) -> tuple[Field, ...]:
        return self.fields  # type: ignore[return-value]

    @property
    def key_columns(self) -> tuple[str, ...]:
        by_source = {f.source: f.column for f in self.columns}
        return tuple(by_source[k] for k in self.key)

    @property
    def partition_column(self) -> str | None:
        by_source = {f.source: f.column for f in self.columns}
        return by_source.get(self.partition_field or "")

    @property
    def day_column(self) -> str | None:
        """The DATE column naming a row's day: the partition day, else the first DATE key
        column (the snapshot date of a latest-only dataset such as the master). Read
        filters and monthly bulk files are scoped by it."""
        if self.partition_column:
            return self.partition_column
        for f in self.columns:
            if f.source in self.key and f.type.python is dt.date:
                return f.column
        return None

    @property
    def partitioned(self) -> bool:
        return self.partitioning is not Partitioning.LATEST

    @property
    def single_run_backfill(self) -> bool:
        """Whether a range of partitions runs as ONE run (``BackfillPolicy.single_run()``:
        the asset reads ``context.partition_key_range``, so whole months can come from bulk
        files). The one declaration read by the asset builders (their backfill policy), the
        REST API (run-now over a range) and the schedules (catching up missed partitions):
        every partitioned dataset, daily (business day, disclosure date, daily_bars
        included) and weekly (``ingest/backfill.py`` maps whole months to the weeks inside
        them). Latest snapshots have no range to run."""
        return self.partitioned

    @property
    def number_fields(self) -> frozenset[str]:
        """Fields of NUMERIC and BIGINT columns: where a bulk file's cell is read as the JSON
        number the REST path decodes (``csv_stream.records``)."""
        return frozenset(f.source for f in self.columns if f.type.python in (Decimal, int))

    @property
    def must_have_rows(self) -> bool:
        """Whether a partition of a session day without rows is wrong (a check fails).
        Disclosures and latest-only lists (no announcements tomorrow, a holiday's morning
        session) may legitimately be empty."""
        return self.partitioning is Partitioning.BUSINESS_DAY

    def unavailable_reason(self, plan: str) -> str | None:
        return plans.unavailable_reason(plan, self.plan, self.path)

    # -- partitions (the same rule for schedules and the REST API's run-now) -------------
    def partition_for(self, day: dt.date) -> str | None:
        """The partition a schedule tick (or run-now) on ``day`` fetches; None if unpartitioned."""
        if self.partitioning is Partitioning.LATEST:
            return None
        if self.partitioning is Partitioning.WEEKLY:
            return (day - dt.timedelta(days=day.weekday())).isoformat()
        lagged = day
        for _ in range(self.lag_days):
            lagged -= dt.timedelta(days=1)
            while lagged.weekday() >= 5:
                lagged -= dt.timedelta(days=1)
        while lagged.weekday() >= 5:
            lagged -= dt.timedelta(days=1)
        return lagged.isoformat()

    def partition_days(self, key: str | None) -> tuple[dt.date | None, dt.date | None]:
        """First and last day a partition covers (None, None for LATEST)."""
        if key is None or self.partitioning is Partitioning.LATEST:
            return None, None
        first = dt.date.fromisoformat(key)
        if self.partitioning is Partitioning.WEEKLY:
            return first, first + dt.timedelta(days=6)
        return first, first

    def query(self, key: str | None) -> Query:
        first, last = self.partition_days(key)
        values = {
            "date": first.isoformat() if first else "",
            "first": first.isoformat() if first else "",
            "last": last.isoformat() if last else "",
        }
        return Query(first, last, {k: v.format(**values) for k, v in self.params.items()})

    # -- rows -------------------------------------------------------------------------------
    def record(self, row: Mapping[str, Any]) -> dict[str, Any]:
        """One J-Quants row as column -> exact Python value (:class:`ConversionError` if not)."""
        record: dict[str, Any] = {}
        key = set(self.key)
        for f in self.columns:
            value = f.value(row)
            if f.marker_of is None and isinstance(value, str) and value in self.null_strings:
                if not (f.source in key and f.type.python is str):
                    value = None
            if value is None:
                if f.source in key:
                    raise ConversionError(f"{self.path}: key field {f.source} is missing in {row}")
                record[f.column] = None
                continue
            try:
                record[f.column] = f.type.parse(value)
            except ConversionError as exc:
                raise ConversionError(f"{self.path} field {f.source}: {exc}") from None
        return record

    def records(self, rows: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
        return [self.record(row) for row in rows]


def check_registry(specs: Sequence[DatasetSpec], reserved_ids: Iterable[int]) -> None:
    """Names, tables and catalog ids are unique and never collide with ``reserved_ids``."""
    reserved = set(reserved_ids)
    seen_ids: set[int] = set()
    seen_names: set[str] = set()
    for spec in specs:
        if spec.catalog_id in reserved or spec.catalog_id in seen_ids:
            raise ValueError(f"catalog id {spec.catalog_id} of {spec.name} is already taken")
        if spec.name in seen_names:
            raise ValueError(f"dataset {spec.name} is declared twice")
        seen_ids.add(spec.catalog_id)
        seen_names.add(spec.name)

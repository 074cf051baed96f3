"""A bulk month of a declared dataset into PostgreSQL in SQL: COPY, one check, one INSERT.

Why: building a dict per CSV row and converting it in Python (:func:`csv_stream.records`
then :meth:`DatasetSpec.records`) was ~70% of a month's load. Here the file's body streams
through ``COPY ... (FORMAT csv)`` into a temporary table with one TEXT column per header
field (an unquoted empty cell is NULL, a quoted ``""`` is ``''``; header fields the spec does
not keep are never read), then one query looks for the first value the REST conversion
would refuse, and one ``INSERT ... SELECT`` writes the converted rows into the target. No
Python object per row; memory holds one block of the stream.

The SQL reproduces :meth:`DatasetSpec.record` applied to :func:`csv_stream.records`' rows:

* an empty cell is NULL, except in a text key column, which keeps ``''``; a null string
  (``spec.null_strings``) is NULL except in a text key column; a key field left NULL fails;
* NUMERIC(p,s) and BIGINT cells must be numbers (``[+-]digits[.digits][e±n]``; ``NaN`` and
  ``Infinity`` are refused). A number with more than 15 characters that is not a plain
  integer goes through ``float8`` and its shortest text, as the JSON float the REST path
  decodes does (shorter texts are exact in a double, so their value is kept as is); more
  than ``s`` decimals or ``p-s`` whole digits is refused (a cast to numeric(p,s) would
  silently round), and so is a fractional BIGINT (``24318700.0`` is whole and taken; a
  cast would round ``1.5``);
* DATE takes ``YYYY-MM-DD`` and ``YYYYMMDD`` of real days, TIME ``HH:MM[:SS]``, BOOLEAN
  ``true/false/1/0`` in any case; a VARCHAR(n) longer than n is refused;
* a marker column (``Field.marker_of``) holds the cell when it is one of the markers;
* the month scope: a row dated outside ``first..last`` fails the month.

Python accepts a few more spellings nobody sends (``1_000``, ``2026-W40-1``, ``15``
as a time); those are refused here (the month fails, nothing is stored wrongly).
Duplicate keys are refused by the target's primary key. Whatever is refused raises
:class:`BulkFileError` naming the file, the field and the value; the caller's transaction
rolls back (``bulk_files.month_errors``).

Only specs whose every field maps directly (:func:`maps_directly`) come here; the others
(nested ``A.B`` sources, JSON objects, custom conversions) keep the records path.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from moo_markets.datasets.spec import DatasetSpec, Field
from moo_markets.jquants import BulkFileError
from moo_markets.warehouse import csv_stream

NUMBER = r"^[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]{1,4})?$"
INTEGER = r"^-?[0-9]+$"
DATE_TEXT = r"^([0-9]{4}-[0-9]{2}-[0-9]{2}|[0-9]{8})$"
TIME_TEXT = r"^[0-9]{2}:[0-9]{2}(:[0-9]{2})?$"
EXACT_CHARS = 15
"""A number written in at most this many characters has at most 15 significant digits, so
the double nearest to it prints back as the same value: no float rounding to reproduce."""
BIGINT_RANGE = (-(2**63), 2**63 - 1)
_DIRECT_TYPES = (str, Decimal, int, dt.date, dt.time, bool)


def maps_directly(spec: DatasetSpec) -> bool:
    """Whether a bulk month of ``spec`` can be converted in SQL exactly as in Python: flat
    fields (no ``A.B``) of the types above (no JSON), and null strings that are not
    numbers (the records path reads a number cell as a number before comparing it with
    the null strings)."""
    if spec.day_column is None:
        return False
    for f in spec.columns:
        if "." in (f.marker_of or f.source) or f.type.python not in _DIRECT_TYPES:
            return False
    for text in spec.null_strings - {""}:
        try:
            csv_stream.number(text)
        except ValueError:
            continue
        return False
    return True


@dataclass(frozen=True)
class DirectLoad:
    """What a month loaded in SQL holds, read back in its transaction (for the asset's
    per-partition metadata and type check, which have no Python records to count)."""

    rows_by_day: dict[dt.date, int]
    validated: int
    """Rows whose every value passed the SQL validation (all rows written)."""
    sample: list[dict[str, Any]]
    """Up to ``sample_rows`` rows per day (key order), converted in Python by the REST
    path's conversion from the very cells loaded: the stored rows must equal them."""


def _staging(name: str, width: int) -> sa.Table:
    return sa.Table(
        f"{name}_csv",
        sa.MetaData(),
        *(sa.Column(f"c{i}", sa.Text) for i in range(width)),
        prefixes=["TEMPORARY"],
        postgresql_on_commit="DROP",
    )


def _lit(value: Any, type_: sa.types.TypeEngine | None = None) -> sa.ColumnElement:
    return sa.literal(value, type_) if type_ is not None else sa.literal(value)


class _Columns:
    """The SQL value and refusal of each spec field, over the staging table's cells."""

    def __init__(self, spec: DatasetSpec, fields: Sequence[str], staging: sa.Table) -> None:
        self.spec = spec
        self.index = {name: i for i, name in enumerate(fields)}
        self.staging = staging
        self.key = set(spec.key)
        self.nulls = sorted(spec.null_strings - {""})

    def raw(self, source: str) -> sa.ColumnElement | None:
        i = self.index.get(source)
        return None if i is None else self.staging.c[f"c{i}"]

    def cell(self, f: Field) -> sa.ColumnElement:
        """The cell as :func:`csv_stream.records` gives it: empty -> NULL, or '' in a text
        key column; NULL when the header lacks the field."""
        raw = self.raw(f.marker_of or f.source)
        if raw is None:
            return sa.null()
        if f.source in self.key and f.type.python is str:
            return sa.func.coalesce(raw, "")
        return sa.func.nullif(raw, "")

    def absent(self, f: Field, cell: sa.ColumnElement) -> sa.ColumnElement[bool]:
        """Whether :meth:`DatasetSpec.record` sees no value (NULL or a null string)."""
        if f.source in self.key and f.type.python is str:
            return cell.is_(None)
        if self.nulls:
            return sa.or_(cell.is_(None), cell.in_(self.nulls))
        return cell.is_(None)

    # -- numbers ----------------------------------------------------------------------------
    @staticmethod
    def number(cell: sa.ColumnElement) -> sa.ColumnElement:
        """The value the REST path keeps (see the module docstring): exact for integers and
        short texts, else the double's shortest text."""
        return sa.case(
            (
                sa.or_(cell.regexp_match(INTEGER), sa.func.length(cell) <= EXACT_CHARS),
                sa.cast(cell, sa.Numeric),
            ),
            else_=sa.cast(sa.cast(sa.cast(cell, sa.Float(53)), sa.Text), sa.Numeric),
        )

    def number_problem(
        self, cell: sa.ColumnElement, valid: sa.ColumnElement[bool], reason: str
    ) -> list[tuple[sa.ColumnElement[bool], str]]:
        exact = sa.cast(cell, sa.Numeric)
        return [
            (~cell.regexp_match(NUMBER), "is not a number"),
            (
                sa.and_(
                    exact != 0,
                    sa.or_(
                        sa.func.abs(exact) >= _lit(Decimal("1e300")),
                        sa.func.abs(exact) <= _lit(Decimal("1e-300")),
                    ),
                ),
                "is out of range",
            ),
            (~valid, reason),
        ]

    # -- per field --------------------------------------------------------------------------
    def value(self, f: Field) -> sa.ColumnElement:
        """The column's value, for cells the validation passed."""
        cell = self.cell(f)
        if f.marker_of is not None:
            return sa.case((cell.in_(sorted(f.markers)), cell), else_=sa.null())
        python = f.type.python
        if python is str:
            converted = cell
        elif python is Decimal:
            converted = self.number(cell)
        elif python is int:
            converted = sa.cast(self.number(cell), sa.BigInteger)
        elif python is dt.date:
            converted = _date(cell)
        elif python is dt.time:
            converted = sa.cast(cell, sa.Time)
        else:  # bool
            converted = sa.func.lower(cell).in_(["true", "1"])
        return sa.case((self.absent(f, cell), sa.null()), else_=converted).label(f.column)

    def problems(self, f: Field) -> list[tuple[sa.ColumnElement[bool], str]]:
        """(condition, reason) pairs, evaluated in order once the value is present."""
        cell = self.cell(f)
        python = f.type.python
        if f.marker_of is not None:
            return []
        if python is str:
            length = getattr(f.type.sql(), "length", None)
            if length is None:
                return []
            return [(sa.func.char_length(cell) > length, f"is longer than {length} characters")]
        if python is Decimal:
            numeric = f.type.sql()
            scale, whole = numeric.scale, numeric.precision - numeric.scale
            v = self.number(cell)
            valid = sa.and_(
                v == sa.func.round(v, scale), sa.func.abs(v) < _lit(Decimal(10) ** whole)
            )
            reason = f"has more than {scale} decimals or {whole} digits before the point"
            return self.number_problem(cell, valid, reason)
        if python is int:
            v = self.number(cell)
            valid = sa.and_(v == sa.func.trunc(v), v.between(*BIGINT_RANGE))
            return self.number_problem(cell, valid, "is not an integer (BIGINT)")
        if python is dt.date:
            return [(~_real_date(cell), "is not a date (YYYY-MM-DD)")]
        if python is dt.time:
            return [(~_real_time(cell), "is not a time (HH:MM[:SS])")]
        return [(~sa.func.lower(cell).in_(["true", "1", "false", "0"]), "is not true/false")]

    def refusal(self, first: dt.date, last: dt.date, day: str) -> sa.ColumnElement:
        """``'<field index>|<reason>'`` of a row's first refused value (spec order), else
        NULL. COALESCE and CASE evaluate in order, so no cast sees a cell it cannot take."""
        terms = []
        for f in self.spec.columns:
            if f.marker_of is not None:
                continue
            cell = self.cell(f)
            where = str(self.index.get(f.source, -1))
            whens: list[tuple[sa.ColumnElement[bool], sa.ColumnElement]] = []
            if f.source in self.key:
                missing = f"is missing (key field {f.source})"
                whens.append((self.absent(f, cell), _lit(f"{where}|{missing}")))
            else:
                whens.append((self.absent(f, cell), sa.null()))
            for condition, reason in self.problems(f):
                whens.append((condition, _lit(f"{where}|{reason}")))
            if f.column == day:
                outside = f"lies outside {first:%Y-%m}"
                whens.append((~_date(cell).between(first, last), _lit(f"{where}|{outside}")))
            terms.append(sa.case(*whens, else_=sa.null()))
        return sa.func.coalesce(*terms) if len(terms) > 1 else terms[0]


def _date_parts(cell: sa.ColumnElement) -> tuple[sa.ColumnElement, ...]:
    digits = sa.func.replace(cell, "-", "")
    return tuple(
        sa.cast(sa.func.substr(digits, start, size), sa.Integer)
        for start, size in ((1, 4), (5, 2), (7, 2))
    )


def _date(cell: sa.ColumnElement) -> sa.ColumnElement:
    return sa.func.make_date(*_date_parts(cell), type_=sa.Date)


def _real_date(cell: sa.ColumnElement) -> sa.ColumnElement[bool]:
    year, month, day = _date_parts(cell)
    first_of_month = sa.func.make_date(year, month, 1, type_=sa.Date)
    return sa.case(
        (~cell.regexp_match(DATE_TEXT), sa.false()),
        (sa.or_(year < 1, month < 1, month > 12, day < 1), sa.false()),
        else_=sa.func.date_part("month", first_of_month + (day - 1)) == month,
    )


def _real_time(cell: sa.ColumnElement) -> sa.ColumnElement[bool]:
    parts = [sa.cast(sa.func.substr(cell, s, 2), sa.Integer) for s in (1, 4)]
    second = sa.func.coalesce(
        sa.cast(sa.func.nullif(sa.func.substr(cell, 7, 2), ""), sa.Integer), 0
    )
    return sa.case(
        (~cell.regexp_match(TIME_TEXT), sa.false()),
        else_=sa.and_(parts[0] < 24, parts[1] < 60, second < 60),
    )


def load(
    connection: sa.Connection,
    spec: DatasetSpec,
    key: str,
    fields: Sequence[str],
    blocks: Iterable[bytes],
    target: sa.Table,
    first: dt.date,
    last: dt.date,
    sample_rows: int = 0,
) -> DirectLoad:
    """COPY ``blocks`` (the file's body, header ``fields``) into a staging table, refuse the
    month at its first value the REST path would refuse, insert the converted rows into
    ``target`` (caller's transaction); per-day counts and a sample read back."""
    if len(set(fields)) != len(fields):
        raise csv_stream.CsvFormatError(f"the header names a field twice: {fields}")
    day = spec.day_column
    assert day is not None
    staging = _staging(target.name, len(fields))
    staging.drop(connection, checkfirst=True)
    staging.create(connection)
    # float8 -> text must print the shortest exact digits, as Python's repr does (the
    # PostgreSQL 12+ default; a server configured with extra_float_digits <= 0 rounds).
    connection.execute(sa.select(sa.func.set_config("extra_float_digits", "1", True)))
    copied = csv_stream.copy_stream(
        connection, staging.name, [c.name for c in staging.columns], blocks, rewrite=False
    )
    columns = _Columns(spec, fields, staging)
    refusal = columns.refusal(first, last, day).label("refusal")
    bad = connection.execute(
        sa.select(refusal, *staging.columns).where(refusal.is_not(None)).limit(1)
    ).first()
    if bad is not None:
        raise BulkFileError(key, _describe(spec, fields, bad))
    values = [columns.value(f) for f in spec.columns]
    connection.execute(
        sa.insert(target).from_select(
            [f.column for f in spec.columns], sa.select(*values).select_from(staging)
        )
    )
    rows_by_day = dict(
        connection.execute(
            sa.select(target.c[day], sa.func.count())
            .where(target.c[day].between(first, last))
            .group_by(target.c[day])
        ).all()
    )
    sample = _sample(connection, spec, columns, day, sample_rows) if sample_rows else []
    staging.drop(connection)
    return DirectLoad(rows_by_day, copied, sample)


def _describe(spec: DatasetSpec, fields: Sequence[str], bad: sa.Row) -> str:
    where, reason = bad[0].split("|", 1)
    cells = bad[1:]
    index = int(where)
    if index < 0:
        field = next(f.source for f in spec.columns if f.source not in fields)
        return f"{spec.path}: the header lacks key field {field}"
    by_name = dict(zip(fields, cells, strict=True))
    row = ", ".join(f"{k}={by_name.get(k)!r}" for k in spec.key)
    return f"{spec.path} field {fields[index]}: {cells[index]!r} {reason} (row {row})"


def _sample(
    connection: sa.Connection, spec: DatasetSpec, columns: _Columns, day: str, rows: int
) -> list[dict[str, Any]]:
    """The first ``rows`` rows of each day in key order, as the records path would have
    converted their cells (:func:`csv_stream.shaper` then :meth:`DatasetSpec.records`)."""
    staging = columns.staging
    by_column = {f.column: f for f in spec.columns}
    order = [columns.value(by_column[c]) for c in spec.key_columns]
    number = (
        sa.func.row_number()
        .over(partition_by=columns.value(by_column[day]), order_by=order)
        .label("n")
    )
    ranked = sa.select(*staging.columns, number).subquery()
    fields = sorted(columns.index, key=columns.index.__getitem__)
    numeric = frozenset(f.source for f in spec.columns if f.type.python in (Decimal, int))
    keep = frozenset(f.source for f in spec.columns if f.source in columns.key)
    shape = csv_stream.shaper(fields, numeric, keep)
    picked = connection.execute(
        sa.select(*(ranked.c[c.name] for c in staging.columns)).where(ranked.c.n <= rows)
    )
    return spec.records(shape(["" if v is None else v for v in row]) for row in picked)

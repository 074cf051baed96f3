"""A bulk month of a declared dataset into PostgreSQL in SQL: COPY, then one INSERT ... SELECT.

Why: building a dict per CSV row and converting it in Python (:func:`csv_stream.records`
then :meth:`DatasetSpec.records`) was ~70% of a month's load. Here the file's body streams
through ``COPY ... (FORMAT csv)`` into a temporary table with one TEXT column per header
field (an unquoted empty cell is NULL, a quoted ``""`` is ``''``; header fields the spec does
not keep are never read), and one ``INSERT ... SELECT`` converts and writes the rows into
the target. No Python object per row; memory holds one block of the stream.

The SQL reproduces :meth:`DatasetSpec.record` applied to :func:`csv_stream.records`' rows:

* an empty cell is NULL, except in a text key column, which keeps ``''``; a null string
  (``spec.null_strings``) is NULL except in a text key column; a key field left NULL fails;
* NUMERIC(p,s) and BIGINT cells must be numbers (``[+-]digits[.digits][e±n]``; ``NaN`` and
  ``Infinity`` are refused). A number of more than 15 characters that is not a plain
  integer goes through ``float8`` and its shortest text, as the JSON float the REST path
  decodes does (a shorter text is exact in a double, so its value is kept as written);
  more than ``s`` decimals or ``p-s`` whole digits is refused (a cast to numeric(p,s) would
  silently round), and so is a fractional BIGINT (``24318700.0`` is whole and taken; a
  cast would round ``1.5``);
* DATE takes ``YYYY-MM-DD`` and ``YYYYMMDD`` of real days, TIME ``HH:MM[:SS]``, BOOLEAN
  ``true/false/1/0`` in any case; a VARCHAR(n) longer than n is refused;
* a marker column (``Field.marker_of``) holds the cell when it is one of the markers;
* the month scope: a row dated outside ``first..last`` fails the month; duplicate keys are
  refused by the target's primary key.

Python accepts a few more spellings nobody sends (``1_000``, `` 5``, ``2026-W40-1``,
``15`` as a time); those are refused here (the month fails; nothing is stored wrongly).

Checked as it is converted: the INSERT computes each value once (PostgreSQL's casts) and
keeps only rows whose values the REST conversion would take (:meth:`_Columns.accepted`: the
casts are more liberal, e.g. they round). If a cast raises or a row is left out, the INSERT
is undone (a savepoint) and one slower query names the first refused value
(:meth:`_Columns.refusal`): :class:`BulkFileError` with the file, the field and the value;
the caller's transaction rolls back (``bulk_files.month_errors``). A month with nothing
wrong pays for no second pass.

Only specs whose every field maps directly (:func:`maps_directly`) come here; the others
(nested ``A.B`` sources, JSON objects, custom conversions) keep the records path.
"""

from __future__ import annotations

import datetime as dt
import re
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
NOT_NUMBER_CHAR = r"[^-+0-9.eE]"
"""Cheaper than :data:`NUMBER` on the fast path: what a numeric cast takes beyond it
(``NaN``, ``Infinity``, `` 5``, PostgreSQL 16's ``0x1A`` and ``1_000``) holds another
character."""
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
    """Rows written, every value checked in SQL by the REST conversion's rules."""
    sample: list[dict[str, Any]]
    """Up to ``sample_rows`` rows per day (the file's order), converted in Python by the REST
    path's conversion from the very cells loaded: the stored rows must equal them."""


def _staging(name: str, width: int) -> sa.Table:
    """The file's cells as text. In ``pg_temp`` by name, so neither its CREATE, DROP nor
    COPY can reach a permanent table of the same name, whatever the search path."""
    return sa.Table(
        f"{name}_csv",
        sa.MetaData(),
        *(sa.Column(f"c{i}", sa.Text) for i in range(width)),
        schema="pg_temp",
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

    def raw(self, source: str, table: sa.FromClause | None = None) -> sa.ColumnElement | None:
        i = self.index.get(source)
        return None if i is None else (table if table is not None else self.staging).c[f"c{i}"]

    def cell(self, f: Field, table: sa.FromClause | None = None) -> sa.ColumnElement:
        """The cell as :func:`csv_stream.records` gives it: empty -> NULL, or '' in a text
        key column; NULL when the header lacks the field."""
        raw = self.raw(f.marker_of or f.source, table)
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
        """The value the REST path keeps (see the module docstring): exact for short texts and
        integers, else the double's shortest text. CASE tests the cheap length first."""
        exact = sa.cast(cell, sa.Numeric)
        return sa.case(
            (sa.func.octet_length(cell) <= EXACT_CHARS, exact),
            (cell.regexp_match(INTEGER), exact),
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

    # -- the fast path: one INSERT ... SELECT ----------------------------------------------
    def typed(self, f: Field) -> sa.ColumnElement:
        """The field's value as PostgreSQL reads it (BIGINT still NUMERIC), NULL when absent
        (:meth:`cell` and :meth:`absent` in one test of the raw cell). A cell no cast takes
        raises; one a cast takes too liberally is left out by :meth:`accepted`."""
        raw = self.raw(f.marker_of or f.source)
        if raw is None:
            return sa.null()
        if f.marker_of is not None:
            return sa.case((raw.in_(sorted(f.markers)), raw), else_=sa.null())
        python = f.type.python
        if python is str and f.source in self.key:
            return sa.func.coalesce(raw, "")
        if python is str:
            converted = raw
        elif python in (Decimal, int):
            converted = self.number(raw)
        elif python is dt.date:
            converted = sa.cast(raw, sa.Date)
        elif python is dt.time:
            converted = sa.cast(raw, sa.Time)
        else:  # bool
            converted = sa.func.lower(raw).in_(["true", "1"])
        # NULL IN (...) is NULL, so a NULL cell takes the ELSE, NULL through every cast.
        return sa.case((raw.in_(["", *self.nulls]), sa.null()), else_=converted)

    def accepted(
        self, f: Field, value: sa.ColumnElement, raw: sa.ColumnElement
    ) -> sa.ColumnElement[bool] | None:
        """Whether a typed ``value`` (and its ``raw`` cell) is what the REST conversion
        takes: casts accept more than it does (NaN, rounding, other date spellings, leap
        seconds); None when every value the cast takes is right."""
        python = f.type.python
        if f.marker_of is not None or python is str:
            return None
        if python in (Decimal, int):
            return sa.or_(value.is_(None), _fits(f, value))
        if python is dt.date:
            return sa.or_(value.is_(None), raw.regexp_match(DATE_TEXT))
        if python is dt.time:
            return sa.or_(value.is_(None), _real_time(raw))
        return sa.or_(
            raw.is_(None),
            raw.in_(["", *self.nulls]),
            sa.func.lower(raw).in_(["true", "1", "false", "0"]),
        )

    def numbers_only(self, table: sa.FromClause) -> sa.ColumnElement[bool] | None:
        """Whether the row's number cells hold nothing but ``[-+0-9.eE]``: one regex over
        their concatenation instead of one per cell (:data:`NOT_NUMBER_CHAR`)."""
        plain = all(re.fullmatch(r"[-+0-9.eE]*", n) for n in self.nulls)
        cells = []
        for f in self.spec.columns:
            raw = self.raw(f.source, table)
            if f.marker_of is None and f.type.python in (Decimal, int) and raw is not None:
                cells.append(raw if plain else sa.case((raw.in_(self.nulls), ""), else_=raw))
        if not cells:
            return None
        return ~sa.func.concat(*cells).regexp_match(NOT_NUMBER_CHAR)

    def insert(self, target: sa.Table, first: dt.date, last: dt.date, day: str) -> sa.Insert:
        """``INSERT INTO target SELECT`` the typed values of the rows :meth:`accepted`
        takes; a row it does not take is left out (the caller compares the counts). The
        values are computed once, in a subquery ``OFFSET 0`` keeps PostgreSQL from
        inlining (it would compute them again in each check)."""
        fields = self.spec.columns
        labels = [f"v{i}" for i in range(len(fields))]
        inner = (
            sa.select(
                *(self.typed(f).label(labels[i]) for i, f in enumerate(fields)),
                *(self.raw(s).label(f"c{i}") for s, i in self.index.items() if self.used(s)),
            )
            .select_from(self.staging)
            .offset(0)
            .subquery("typed")
        )
        checks = []
        values = []
        for i, f in enumerate(fields):
            value = inner.c[labels[i]]
            raw = self.raw(f.source, inner)
            check = self.accepted(f, value, raw) if raw is not None else None
            if check is not None:
                checks.append(check)
            if f.column == day:
                checks.append(value.between(first, last))
            values.append(sa.cast(value, sa.BigInteger) if f.type.python is int else value)
        numbers_only = self.numbers_only(inner)
        if numbers_only is not None:
            checks.append(numbers_only)
        select = sa.select(*values).where(*checks)
        return sa.insert(target).from_select([f.column for f in fields], select)

    def used(self, source: str) -> bool:
        return any((f.marker_of or f.source) == source for f in self.spec.columns)

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
            scale, whole = _scale_and_whole_digits(f)
            reason = f"has more than {scale} decimals or {whole} digits before the point"
            return self.number_problem(cell, _fits(f, self.number(cell)), reason)
        if python is int:
            return self.number_problem(
                cell, _fits(f, self.number(cell)), "is not an integer (BIGINT)"
            )
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


def _scale_and_whole_digits(f: Field) -> tuple[int, int]:
    numeric = f.type.sql()
    return numeric.scale, numeric.precision - numeric.scale


def _fits(f: Field, value: sa.ColumnElement) -> sa.ColumnElement[bool]:
    """Whether a number ``value`` is what :meth:`DatasetSpec.record` takes for ``f``'s type:
    NUMERIC(p,s) with at most s decimals and p-s whole digits (a cast would round; the
    bound also refuses NaN and Infinity), BIGINT whole and in range (a cast would round
    ``1.5``). The fast INSERT and the refusal query ask the same question."""
    if f.type.python is int:
        return sa.and_(value == sa.func.trunc(value), value.between(*BIGINT_RANGE))
    scale, whole = _scale_and_whole_digits(f)
    return sa.and_(
        value == sa.func.round(value, scale), sa.func.abs(value) < _lit(Decimal(10) ** whole)
    )


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
    """COPY ``blocks`` (the file's body, header ``fields``) into a staging table and insert
    the converted rows into ``target`` (caller's transaction); per-day counts and a sample
    read back.

    The INSERT leaves out (or a cast refuses) any row the REST conversion would refuse; then
    it is undone (a savepoint) and :meth:`_Columns.refusal` names the first such value, in a
    query that runs only then: the month fails with :class:`BulkFileError`. A refusal it
    does not explain (a duplicate key) is re-raised as the database's."""
    if len(set(fields)) != len(fields):
        raise csv_stream.CsvFormatError(f"the header names a field twice: {fields}")
    day = spec.day_column
    assert day is not None
    staging = _staging(target.name, len(fields))
    connection.execute(sa.schema.DropTable(staging, if_exists=True))
    staging.create(connection)
    # float8 -> text must print the shortest exact digits, as Python's repr does (the
    # PostgreSQL 12+ default; a server configured with extra_float_digits <= 0 rounds).
    connection.execute(sa.select(sa.func.set_config("extra_float_digits", "1", True)))
    copied = csv_stream.copy_stream(
        connection,
        staging.name,
        [c.name for c in staging.columns],
        blocks,
        rewrite=False,
        schema=staging.schema,
    )
    columns = _Columns(spec, fields, staging)
    insert = columns.insert(target, first, last, day).execution_options(preserve_rowcount=True)
    failure: sa.exc.DBAPIError | None = None
    savepoint = connection.begin_nested()
    try:
        written = connection.execute(insert).rowcount
    except sa.exc.DBAPIError as exc:
        savepoint.rollback()
        failure, written = exc, -1
    else:
        if written == copied:
            savepoint.commit()
        else:
            savepoint.rollback()
    if written != copied:
        refusal = columns.refusal(first, last, day).label("refusal")
        bad = connection.execute(
            sa.select(refusal, *staging.columns).where(refusal.is_not(None)).limit(1)
        ).first()
        if bad is not None:
            raise BulkFileError(key, _describe(spec, fields, bad))
        if failure is not None:
            raise failure
        raise BulkFileError(key, f"{copied - written} of {copied} rows refused")
    rows_by_day = dict(
        connection.execute(
            sa.select(target.c[day], sa.func.count())
            .where(target.c[day].between(first, last))
            .group_by(target.c[day])
        ).all()
    )
    sample = _sample(connection, spec, columns, sample_rows) if sample_rows else []
    staging.drop(connection)
    return DirectLoad(rows_by_day, written, sample)


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
    connection: sa.Connection, spec: DatasetSpec, columns: _Columns, rows: int
) -> list[dict[str, Any]]:
    """The first ``rows`` rows of each day in the file's order, as the records path would
    have converted their cells (:func:`csv_stream.shaper` then :meth:`DatasetSpec.records`)."""
    staging = columns.staging
    day = next(f for f in spec.columns if f.column == spec.day_column)
    number = (
        sa.func.row_number()
        .over(partition_by=columns.raw(day.source), order_by=sa.column("ctid"))
        .label("n")
    )
    ranked = sa.select(*staging.columns, number).subquery()
    fields = sorted(columns.index, key=columns.index.__getitem__)
    numeric = spec.number_fields
    keep = frozenset(
        f.source for f in spec.columns if f.source in columns.key and f.type.python is str
    )
    shape = csv_stream.shaper(fields, numeric, keep)
    picked = connection.execute(
        sa.select(*(ranked.c[c.name] for c in staging.columns))
        .where(ranked.c.n <= rows)
        .order_by(ranked.c[f"c{columns.index[day.source]}"], ranked.c.n)
    )
    return spec.records(shape(["" if v is None else v for v in row]) for row in picked)

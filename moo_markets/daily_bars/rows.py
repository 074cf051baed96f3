"""J-Quants daily bars as the warehouse takes them: parsing, validation, conversion.

Types (see ``warehouse/schema.py``). J-Quants sends every number as a JSON
number, which the client decodes (orjson, correctly rounded like ``json``) to
a Python float:

* Prices, ``AdjFactor`` and ``AdjVo`` go to ``NUMERIC`` columns. The float is
  handed to the database as its shortest round-tripping decimal text
  (``repr``), which reproduces the digits J-Quants wrote (JSON encoders write
  that same shortest form), and PostgreSQL parses that text into an exact
  decimal: no binary-float rounding is stored. (SQLite has no exact
  decimal type; it keeps NUMERIC as INTEGER or 8-byte REAL, which holds
  J-Quants' prices - ticks of 0.1 yen, adjusted prices with 6 decimals - to
  15 significant digits, and SQLAlchemy reads them back as ``Decimal``
  rounded to the column's scale.)
* ``Vo``/``Va`` (and the session ``MVo``...``AVa``) go to ``BIGINT``:
  turnover exceeds 2**31 (but stays far below 2**53, where floats stop being
  exact integers). A float that is not a whole number is refused, never
  rounded.
* Codes and the limit flags ``UL``/``LL`` stay strings; a no-trade day keeps
  NULL prices and volumes (never 0); Premium session fields are NULL when the
  plan does not send them.

No SQL here: :func:`prepare` hands the checked rows to the table-agnostic
bulk writer (``warehouse/bulk.py``); ``store.py`` holds the queries.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from operator import itemgetter
from typing import Any

from moo_markets.warehouse import bulk
from moo_markets.warehouse.bulk import Rows
from moo_markets.warehouse.schema import BAR_COLUMNS

Row = Mapping[str, Any]

BAR_FIELDS: tuple[str, ...] = tuple(BAR_COLUMNS)
"""J-Quants daily-bar fields in table column order (after Date and Code)."""

INTEGER_FIELDS = frozenset({"Vo", "Va", "MVo", "MVa", "AVo", "AVa"})
"""Volumes and turnover: whole numbers sent as JSON floats, stored as BIGINT."""

KEY_COLUMNS = ("date", "code")


class BarDataError(ValueError):
    """A bar from J-Quants cannot be stored as it is (wrong date, fractional volume...)."""


@dataclass(frozen=True)
class BarPage:
    """One page of J-Quants bars as received; :meth:`values` converts and validates its rows.

    ``columns`` are the warehouse columns of the fields present in the page, so a
    Standard-plan page writes 16 columns and leaves the Premium session columns
    NULL, while a Premium page fills them. ``date``/``code``, when given, are
    asserted on every row: a day is replaced wholesale, so a stray row must not
    slip in. Dates stay ISO strings (``YYYY-MM-DD``), which PostgreSQL parses in
    COPY and which is exactly how SQLAlchemy stores a ``Date`` in SQLite.
    """

    rows: Sequence[Row]
    fields: tuple[str, ...]
    columns: tuple[str, ...]
    date: str | None = None
    code: str | None = None

    def __len__(self) -> int:
        return len(self.rows)

    def values(self) -> Iterator[list[Any]]:
        """Each row's values in ``columns`` order (the hot loop of every ingest)."""
        fields, date, code = self.fields, self.date, self.code
        integer_positions = [i for i, f in enumerate(fields) if f in INTEGER_FIELDS]
        getter = itemgetter(*fields)  # C-speed lookup of all fields of a row at once
        for row in self.rows:
            try:
                values = list(getter(row))
            except KeyError:  # a row without some field: NULL there
                values = [row.get(f) for f in fields]
            if values[1].__class__ is not str:
                values[1] = None if values[1] is None else str(values[1])
            if (date is not None and values[0] != date) or (code is not None and values[1] != code):
                raise BarDataError(
                    f"unexpected row Date={values[0]!r} Code={values[1]!r} "
                    f"in a response for {'date ' + date if date else 'code ' + str(code)}"
                )
            if values[0] is None or not values[1]:
                raise BarDataError(f"row without Date or Code: {dict(row)!r}")
            for i in integer_positions:
                value = values[i]
                if value.__class__ is float and value.is_integer():
                    values[i] = int(value)
                elif value is not None and value.__class__ is not int:
                    values[i] = exact_int(value, f"{fields[i]} of {values[1]} on {values[0]}")
            yield values


def exact_int(value: Any, name: str = "value") -> int | None:
    """A JSON number that must be whole (24318700.0 -> 24318700); refuses 1.5 instead of rounding."""
    if value is None or type(value) is int:
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value)
    raise BarDataError(f"{name}={value!r} is not a whole number")


def bar_page(page: Sequence[Row], *, date: str | None = None, code: str | None = None) -> BarPage:
    """A :class:`BarPage` of API rows; cheap (:func:`prepare` converts them)."""
    if not page:
        return BarPage(page, (), KEY_COLUMNS, date, code)
    width = len(page[0])
    if all(len(row) == width for row in page):
        present: Iterable[str] = page[0].keys()
    else:  # rows disagree on their fields: take every field any row has
        present = set().union(*page)
    fields = ("Date", "Code", *(f for f in BAR_FIELDS if f in present))
    columns = ("date", "code", *(BAR_COLUMNS[f] for f in fields[2:]))
    return BarPage(page, fields, columns, date, code)


def prepare(page: BarPage, dialect: str) -> Rows:
    """Convert and validate ``page`` for a ``dialect`` database (raises :class:`BarDataError`)."""
    return bulk.prepare(page.columns, page.values(), dialect)

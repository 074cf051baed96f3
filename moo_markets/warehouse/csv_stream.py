"""A decompressed bulk-file CSV stream as the warehouse takes it: whole lines, COPY or rows.

J-Quants bulk files are CSV with one header row of the REST field names; strings are quoted,
numbers are the JSON text of the number, null is an empty unquoted cell (so ``""`` and null
stay distinct), see docs/jquants-datasets.md. Ways in, all table-agnostic:

* :func:`copy_stream` (PostgreSQL): the bytes go straight into ``COPY ... (FORMAT csv)``,
  columns named in the header's order, with no Python object per row. COPY CSV reads that
  dialect exactly (an unquoted empty cell is NULL, a quoted one ``""``). Two callers:
  ``daily_bars/bulk.py`` COPYs into its typed table, letting PostgreSQL parse every number
  from its text as the REST path's COPY does, with one rewrite: J-Quants writes whole
  volumes as floats (``24318700.0``), which ``bigint`` refuses, so a ``.0`` directly before
  a cell or line end is dropped (``.replace``, C speed). That is value-preserving for
  numbers (``2850.0`` and ``2850`` are the same NUMERIC) and that caller's text columns
  hold only codes/dates (no ``.0,`` inside quotes); a fractional volume (``1.5``) stays as
  it is and PostgreSQL refuses it, so nothing is ever rounded. ``warehouse/csv_copy.py``
  COPYs the cells unchanged (``rewrite=False``) into a TEXT staging table and converts
  them in SQL: the generic datasets whose fields map directly.
* :func:`records` (SQLite, and the specs SQL cannot convert exactly): ``csv.reader`` (C)
  over the lines, each row as a field -> value mapping shaped like a REST row
  (:func:`shaper`: numbers as ``int``/``float`` exactly as JSON decoding gives them, an
  empty cell as None), in batches, so the REST path's own validation and conversion apply
  unchanged. The SQL path converts its sample rows through the same :func:`shaper`.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

import sqlalchemy as sa
from psycopg import sql as pgsql

from moo_markets.warehouse.bulk import copy_statement

COPY_CSV = pgsql.SQL("(FORMAT csv)")
_QUOTED_COMMA = re.compile(rb'(?:^|,)"[^"\n]*,', re.MULTILINE)
BATCH = 20_000


class CsvFormatError(ValueError):
    """The stream is not the CSV a bulk file should be (no header, ragged rows...)."""


def split_header(chunks: Iterable[bytes]) -> tuple[list[str], Iterator[bytes]]:
    """The header's field names and the rest of the stream as blocks of whole lines."""
    stream = iter(chunks)
    buffer = b""
    for chunk in stream:
        buffer += chunk
        if b"\n" in buffer:
            break
    head, newline, rest = buffer.partition(b"\n")
    if not newline and not head:
        raise CsvFormatError("the file is empty (no header row)")
    text = head.decode("utf-8-sig").rstrip("\r")
    fields = next(csv.reader([text]))
    if not fields or any(not f for f in fields):
        raise CsvFormatError(f"bad header row {text[:200]!r}")

    def body() -> Iterator[bytes]:
        carry = rest
        for chunk in stream:
            data = carry + chunk if carry else chunk
            cut = data.rfind(b"\n")
            if cut < 0:
                carry = data
                continue
            yield data[: cut + 1]
            carry = data[cut + 1 :]
        if carry:
            yield carry if carry.endswith(b"\n") else carry + b"\n"

    return fields, body()


def whole_floats_as_integers(block: bytes) -> bytes:
    """``24318700.0,`` -> ``24318700,`` (see the module docstring for why this is safe)."""
    return block.replace(b".0,", b",").replace(b".0\n", b"\n")


def drop_trailing_cells(block: bytes, count: int) -> bytes:
    """Each line of ``block`` without its last ``count`` cells (fields the table does not
    keep, e.g. daily bars' ``MktCap``/``ExRT``, which the REST path leaves out too).

    Cut at the last commas; valid only when those cells hold no comma. Numbers and nulls
    cannot; a quoted cell could, so when quotes were cut away the block is searched (C
    regex) for a quoted text holding a comma, and refused (:class:`CsvFormatError`) if any.
    """
    if not block:
        return block
    lines = block.split(b"\n")
    if count == 2:
        kept = [line[: line.rfind(b",", 0, line.rfind(b","))] for line in lines[:-1]]
    else:
        kept = []
        for line in lines[:-1]:
            cut = len(line)
            for _ in range(count):
                cut = line.rfind(b",", 0, cut)
            kept.append(line[:cut])
    out = b"\n".join(kept) + b"\n"
    if out.count(b'"') != block.count(b'"') and _QUOTED_COMMA.search(block):
        raise CsvFormatError("a quoted cell holds a comma: cells cannot be dropped by position")
    return out


def copy_stream(
    connection: sa.Connection,
    table: str,
    columns: Sequence[str],
    blocks: Iterable[bytes],
    drop_last: int = 0,
    rewrite: bool = True,
    schema: str | None = None,
) -> int:
    """COPY CSV ``blocks`` (whole lines, no header) into ``table``, without each line's last
    ``drop_last`` cells; returns the rows copied. ``rewrite=False``: the blocks were
    already rewritten (:func:`drop_trailing_cells`, :func:`whole_floats_as_integers`), e.g.
    on another thread. ``schema``: the table's (``pg_temp`` for a temporary one)."""
    raw = connection.connection.driver_connection
    with raw.cursor() as cursor:
        with cursor.copy(copy_statement(table, columns, COPY_CSV, schema)) as copy:
            for block in blocks:
                if rewrite:
                    if drop_last:
                        block = drop_trailing_cells(block, drop_last)
                    block = whole_floats_as_integers(block)
                copy.write(block)
        return cursor.rowcount


def number(text: str) -> int | float:
    """A JSON number's text as JSON decoding gives it: ``5`` -> 5, ``5.0``/``1e3`` -> float."""
    if text.lstrip("-").isdigit():
        return int(text)
    return float(text)


Shaper = Callable[[Sequence[str]], dict[str, Any]]


def shaper(fields: Sequence[str], numeric: frozenset[str], keep_empty: frozenset[str]) -> Shaper:
    """A row's cells (strings, ``""`` when empty) as a REST-shaped mapping: ``numeric``
    fields as ``int``/``float`` (a quoted number in a numeric field, as ``/fins/*`` sends,
    is parsed the same way the spec parses the REST string; a cell that is no number stays
    text, left for the row validation to refuse with context), an empty cell as None
    except in ``keep_empty`` fields (text keys, where J-Quants' ``""`` is a value)."""
    converters = [(i, name, name in numeric, name in keep_empty) for i, name in enumerate(fields)]

    def shape(cells: Sequence[str]) -> dict[str, Any]:
        row: dict[str, Any] = {}
        for i, name, is_number, keep in converters:
            text = cells[i]
            if text == "":
                row[name] = "" if keep else None
            elif is_number:
                try:
                    row[name] = number(text)
                except ValueError:
                    row[name] = text
            else:
                row[name] = text
        return row

    return shape


def records(
    fields: Sequence[str],
    blocks: Iterable[bytes],
    numeric: frozenset[str],
    keep_empty: frozenset[str] = frozenset(),
    batch: int = BATCH,
) -> Iterator[list[dict[str, Any]]]:
    """Rows as REST-shaped dicts (:func:`shaper`), ``batch`` at a time. Python 3.11's csv
    cannot tell ``""`` from an empty cell; the REST path stores both as NULL in every
    non-key column of a spec, so nothing differs."""
    width = len(fields)
    shape = shaper(fields, numeric, keep_empty)
    lines = (line for block in blocks for line in block.decode("utf-8").splitlines(True))
    out: list[dict[str, Any]] = []
    for line_number, cells in enumerate(csv.reader(lines), start=2):
        if len(cells) != width:
            if not cells:
                continue
            raise CsvFormatError(f"line {line_number} has {len(cells)} cells, the header {width}")
        out.append(shape(cells))
        if len(out) >= batch:
            yield out
            out = []
    if out:
        yield out

"""Rows as columns: one in-memory form for a dataset's rows, from which both the REST answer
(a list of dicts) and the bulk file (CSV) are made, so the two can never disagree.

Values are what J-Quants sends: ``str`` (including ``""``), ``float``/``int``, ``None``, or a
``dict`` for the few object fields (``PubReason``, ``FS``).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import orjson


@dataclass(frozen=True)
class Table:
    """Column-major rows: ``columns[j][r]`` is field ``keys[j]`` of row ``r``."""

    keys: tuple[str, ...]
    columns: tuple[list[Any], ...]

    def __post_init__(self) -> None:
        if len(self.keys) != len(self.columns):
            raise ValueError("one column per key")
        lengths = {len(c) for c in self.columns}
        if len(lengths) > 1:
            raise ValueError(f"columns of different lengths: {sorted(lengths)}")

    @classmethod
    def empty(cls, keys: Sequence[str]) -> Table:
        return cls(tuple(keys), tuple([] for _ in keys))

    @classmethod
    def from_rows(cls, keys: Sequence[str], rows: Iterable[Sequence[Any]]) -> Table:
        rows = list(rows)
        if not rows:
            return cls.empty(keys)
        return cls(tuple(keys), tuple(list(c) for c in zip(*rows, strict=True)))

    def __len__(self) -> int:
        return len(self.columns[0]) if self.columns else 0

    def column(self, key: str) -> list[Any]:
        return self.columns[self.keys.index(key)]

    def rows(self) -> list[dict[str, Any]]:
        """The REST rows: dicts with J-Quants' key order."""
        keys = self.keys
        return [dict(zip(keys, values, strict=True)) for values in zip(*self.columns, strict=True)]

    def take(self, positions: Iterable[int]) -> Table:
        positions = list(positions)
        return Table(self.keys, tuple([c[p] for p in positions] for c in self.columns))

    def where(self, key: str, predicate: Any) -> Table:
        column = self.column(key)
        return self.take(i for i, v in enumerate(column) if predicate(v))

    def concat(self, other: Table) -> Table:
        if other.keys != self.keys:
            raise ValueError("tables with different keys")
        return Table(
            self.keys, tuple(a + b for a, b in zip(self.columns, other.columns, strict=True))
        )

    def csv(self, header: bool = True) -> bytes:
        """The bulk file's CSV text (UTF-8, ``\\n``): see docs/jquants-datasets.md."""
        head = (",".join(self.keys) + "\n").encode() if header else b""
        if not len(self):
            return head
        if any(isinstance(c[0], dict) for c in self.columns):  # object fields: every row
            return head + _csv_slow(self.columns)
        return head + _csv_fast(self.columns)


def cell(value: Any) -> str:
    """How one value is written in a CSV cell (before CSV quoting): the JSON text of numbers,
    strings as they are, nothing for null, objects as their JSON text."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    return orjson.dumps(value).decode()


def _csv_fast(columns: Sequence[list[Any]]) -> bytes:
    """orjson writes the rows as JSON arrays; for rows of plain strings (no quote, backslash or
    control character), numbers and nulls, that text is one CSV transformation away: strings
    stay quoted, numbers bare, ``null`` becomes an empty cell."""
    body = orjson.dumps(list(zip(*columns, strict=True)))
    if b"\\" in body:  # a string needed JSON escaping: quote it the careful way
        return _csv_slow(columns)
    body = body[2:-2].replace(b"],[", b"\n").replace(b",null", b",")
    if body.startswith(b"null"):
        body = body[4:]
    body = body.replace(b"\nnull", b"\n")
    return body + b"\n"


def _csv_slow(columns: Sequence[list[Any]]) -> bytes:
    lines = [",".join(_csv_cell(v) for v in values) for values in zip(*columns, strict=True)]
    return ("\n".join(lines) + "\n").encode()


def _csv_cell(value: Any) -> str:
    """Strings (and objects, as JSON text) quoted, so ``""`` and null stay distinct."""
    if value is None:
        return ""
    if isinstance(value, dict):
        value = orjson.dumps(value).decode()
    if isinstance(value, str):
        return '"' + value.replace('"', '""') + '"'
    return orjson.dumps(value).decode()

"""Replacing a scope of a table's rows by the rows a caller writes, in one transaction.

One place for "this scope now holds exactly these rows" (a month loaded from a bulk file,
a partition refetched), so a later implementation can keep what the replaced rows were
(revisions) without touching the callers: they write into whatever table name
:func:`replacing` yields.

This implementation is the simple one: ``DELETE FROM table WHERE scope`` and the caller
writes straight into ``table`` (COPY speed). Everything happens in the caller's
transaction, so an exception inside the block leaves the scope as it was.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import sqlalchemy as sa


@contextlib.contextmanager
def replacing(
    connection: sa.Connection, table: sa.Table, scope: sa.ColumnElement[bool]
) -> Iterator[str]:
    """Replace the rows of `table` matching `scope` by the rows the caller writes, in the
    caller's transaction, into the table whose NAME this yields (with bulk.insert_rows /
    bulk.copy_rows or an INSERT; same column names as `table`). When the block exits
    normally, `table`'s rows in `scope` are exactly the rows written; on an exception
    nothing changes (the caller's transaction rolls back)."""
    connection.execute(sa.delete(table).where(scope))
    yield table.name

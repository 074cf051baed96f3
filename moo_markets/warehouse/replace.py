"""Replacing a scope of a table's rows while keeping every version it held.

Every write of a dataset table goes through :func:`revising` (or its
contract-shaped wrapper :func:`replacing`), so the companions described in
:mod:`moo_markets.warehouse.revisions` stay exact:

* **First load** (the scope holds no stored row): the caller writes straight
  into the table (COPY / executemany at full speed); on exit the loaded
  partitions are recorded in ``T_loads`` (one row per leading-key value), and
  rows landing in a partition loaded earlier get an ``inserted`` marker.
* **Refetch** (the scope holds rows): the caller writes into a temporary
  staging table with the table's columns and key; on exit a few set-based
  statements diff it against the stored scope (no per-row Python): changed
  rows' old versions go to ``T_revisions`` as ``updated``, rows the refetch
  lacks as ``deleted``, new keys get an ``inserted`` marker; then the table
  is changed accordingly. Unchanged rows are not touched and leave no trace.

Everything happens in the caller's transaction: an exception rolls back the
write and its history alike.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

import sqlalchemy as sa
from psycopg import sql as pgsql
from sqlalchemy.dialects import postgresql

from moo_markets.core.time import now_jst
from moo_markets.warehouse.revisions import (
    CHANGE_KIND,
    DELETED,
    FETCHED_AT,
    INSERTED,
    LOADED_AT,
    SUPERSEDED_AT,
    UPDATED,
    History,
    history_of,
    key_match,
)
from moo_markets.warehouse.types import TokyoDateTime

_clock = threading.Lock()
_last = dt.datetime.min.replace(tzinfo=dt.UTC)


def write_time() -> dt.datetime:
    """Now (Asia/Tokyo), strictly later than any earlier write of this process, so two
    writes of one key never share a ``superseded_at``."""
    global _last
    with _clock:
        now = max(now_jst(), _last + dt.timedelta(microseconds=1))
        _last = now
        return now


@dataclass
class Changes:
    """What one write changed. ``direct``: a first load, written straight into the table
    (its rows are not counted here: the caller knows them)."""

    direct: bool = False
    inserted: int = 0
    updated: int = 0
    deleted: int = 0

    @property
    def changed(self) -> int:
        return self.inserted + self.updated + self.deleted


@dataclass
class Target:
    """Where the caller writes: the table itself (first load) or its staging table."""

    table: sa.Table
    changes: Changes = field(default_factory=Changes)

    @property
    def name(self) -> str:
        return self.table.name


@contextlib.contextmanager
def replacing(
    connection: sa.Connection, table: sa.Table, scope: sa.ColumnElement[bool]
) -> Iterator[str]:
    """Replace the rows of `table` matching `scope` by the rows the caller writes, in the
    caller's transaction, into the table whose NAME this yields (with bulk.insert_rows /
    bulk.copy_rows or an INSERT; same column names as `table`). When the block exits
    normally, `table`'s rows in `scope` are exactly the rows written; on an exception
    nothing changes (the caller's transaction rolls back)."""
    with revising(connection, table, scope) as target:
        yield target.name


@contextlib.contextmanager
def revising(
    connection: sa.Connection,
    table: sa.Table,
    scope: sa.ColumnElement[bool],
    *,
    delete_missing: bool = True,
    insert_new: bool = True,
    columns: Sequence[str] | None = None,
) -> Iterator[Target]:
    """:func:`replacing`, yielding the target table and, after the block, its :class:`Changes`.

    ``delete_missing=False``: stored rows of ``scope`` the caller did not write are kept
    (an upsert). ``insert_new=False``: only rows already stored are changed (a rewrite of
    history; written rows with new keys are dropped), and the write always goes through
    staging. ``columns`` (only with ``insert_new=False``): the columns the caller writes;
    the others keep their stored values.
    """
    history = history_of(table)
    if columns is not None and insert_new:
        raise ValueError("columns= is for rewriting stored rows (insert_new=False)")
    if insert_new and _holds_nothing(connection, scope):
        target = Target(table, Changes(direct=True))
        yield target
        _record_first_load(connection, history, scope, write_time())
        return
    staging = _staging_table(table)
    connection.execute(sa.schema.DropTable(staging, if_exists=True))
    staging.create(connection)
    target = Target(staging)
    yield target
    _analyze(connection, staging)
    written = tuple(columns) if columns is not None else tuple(table.columns.keys())
    _apply(connection, history, staging, scope, target.changes, delete_missing, insert_new, written)
    staging.drop(connection)


def _analyze(connection: sa.Connection, staging: sa.Table) -> None:
    """Give PostgreSQL's planner the staging table's size and keys: without statistics it
    guessed a nested loop over 4,000 rows that took seconds per day."""
    if connection.dialect.name != "postgresql":
        return
    with connection.connection.driver_connection.cursor() as cursor:
        cursor.execute(pgsql.SQL("ANALYZE {}").format(pgsql.Identifier(staging.name)))


def _holds_nothing(connection: sa.Connection, scope: sa.ColumnElement[bool]) -> bool:
    return connection.execute(sa.select(sa.literal(1)).where(scope).limit(1)).first() is None


def _staging_table(table: sa.Table) -> sa.Table:
    """A temporary table with ``table``'s columns, types, NOT NULLs and key (so it refuses
    what the table would refuse). On PostgreSQL it vanishes with the transaction."""
    return sa.Table(
        f"{table.name}_staging",
        sa.MetaData(),
        *(
            sa.Column(c.name, c.type, primary_key=c.primary_key, nullable=c.nullable)
            for c in table.columns
        ),
        prefixes=["TEMPORARY"],
        postgresql_on_commit="DROP",
    )


def _moment(now: dt.datetime) -> sa.ColumnElement:
    return sa.literal(now, TokyoDateTime())


def _start_of(history: History, rows: sa.FromClause, now: dt.datetime) -> sa.ColumnElement:
    """When the version of each of ``rows``' keys held until now began: its last
    supersession, else its partition's first load."""
    revisions, loads = history.revisions, history.loads
    return sa.func.coalesce(
        sa.select(sa.func.max(revisions.c[SUPERSEDED_AT]))
        .where(key_match(revisions, rows, history.key))
        .scalar_subquery(),
        sa.select(loads.c[LOADED_AT])
        .where(loads.c[history.lead] == rows.c[history.lead])
        .scalar_subquery(),
        _moment(now),
    )


def _record_first_load(
    connection: sa.Connection, history: History, scope: sa.ColumnElement[bool], now: dt.datetime
) -> None:
    table, loads = history.table, history.loads
    lead = table.c[history.lead]
    values = list(connection.execute(sa.select(lead).where(scope).distinct()).scalars())
    if not values:
        return
    known = set(
        connection.execute(
            sa.select(loads.c[history.lead]).where(loads.c[history.lead].in_(values))
        ).scalars()
    )
    if known:  # rows written into partitions loaded before: they were absent until now
        connection.execute(
            sa.insert(history.revisions).from_select(
                [*history.key, FETCHED_AT, SUPERSEDED_AT, CHANGE_KIND],
                sa.select(
                    *(table.c[k] for k in history.key),
                    _start_of(history, table, now),
                    _moment(now),
                    sa.literal(INSERTED),
                ).where(scope, lead.in_(sorted(known))),
            )
        )
    new = [v for v in values if v not in known]
    if new:
        connection.execute(
            sa.insert(loads), [{history.lead: v, LOADED_AT: now} for v in sorted(new)]
        )


def _differs(
    connection: sa.Connection,
    history: History,
    a: sa.FromClause,
    b: sa.FromClause,
    written: Sequence[str],
):
    postgres = connection.dialect.name == "postgresql"
    terms = []
    for name in (v for v in history.values if v in written):
        left, right = a.c[name], b.c[name]
        if postgres and isinstance(left.type, sa.JSON):  # json has no equality operator
            left, right = sa.cast(left, postgresql.JSONB), sa.cast(right, postgresql.JSONB)
        terms.append(left.is_distinct_from(right))
    return sa.or_(*terms) if terms else sa.false()


def _count(connection: sa.Connection, statement: sa.Insert) -> int:
    """Rows an INSERT ... SELECT wrote (SQLAlchemy keeps an INSERT's rowcount only if asked)."""
    return connection.execute(statement.execution_options(preserve_rowcount=True)).rowcount


def _apply(
    connection: sa.Connection,
    history: History,
    staging: sa.Table,
    scope: sa.ColumnElement[bool],
    changes: Changes,
    delete_missing: bool,
    insert_new: bool,
    written: Sequence[str],
) -> None:
    """Diff staging against the stored rows, keep the old versions, apply the changes."""
    table, revisions, loads = history.table, history.revisions, history.loads
    key, now = history.key, write_time()
    columns = [c.name for c in table.columns]
    kept = [*columns, FETCHED_AT, SUPERSEDED_AT, CHANGE_KIND]

    def old_versions(kind: str, *where: sa.ColumnElement[bool]) -> int:
        select = sa.select(
            *table.columns, _start_of(history, table, now), _moment(now), sa.literal(kind)
        ).where(*where)
        return _count(connection, sa.insert(revisions).from_select(kept, select))

    in_staging = sa.exists().where(key_match(staging, table, key))
    if delete_missing:
        changes.deleted = old_versions(DELETED, scope, ~in_staging)
    changes.updated = old_versions(
        UPDATED, in_staging.where(_differs(connection, history, staging, table, written))
    )
    stored = sa.exists().where(key_match(table, staging, key))
    if insert_new:
        loaded = sa.exists().where(loads.c[history.lead] == staging.c[history.lead])
        connection.execute(
            sa.insert(revisions).from_select(
                [*key, FETCHED_AT, SUPERSEDED_AT, CHANGE_KIND],
                sa.select(
                    *(staging.c[k] for k in key),
                    _start_of(history, staging, now),
                    _moment(now),
                    sa.literal(INSERTED),
                ).where(~stored, loaded),
            )
        )
        lead = staging.c[history.lead]
        connection.execute(
            sa.insert(loads).from_select(
                [history.lead, LOADED_AT],
                sa.select(lead, _moment(now))
                .where(~sa.exists().where(loads.c[history.lead] == lead))
                .distinct(),
            )
        )
    if changes.updated or changes.deleted:
        superseded = sa.select(*(revisions.c[k] for k in key)).where(
            revisions.c[SUPERSEDED_AT] == _moment(now),
            revisions.c[CHANGE_KIND].in_([UPDATED, DELETED]),
        )
        connection.execute(
            sa.delete(table).where(sa.tuple_(*(table.c[k] for k in key)).in_(superseded))
        )
    if insert_new:
        fresh = sa.select(*staging.columns).where(~stored)
    elif changes.updated:  # the new values, and the old ones of columns not written
        fresh = sa.select(
            *(staging.c[c] if c in written else revisions.c[c] for c in columns)
        ).select_from(
            staging.join(
                revisions,
                sa.and_(
                    key_match(revisions, staging, key),
                    revisions.c[SUPERSEDED_AT] == _moment(now),
                    revisions.c[CHANGE_KIND] == UPDATED,
                ),
            )
        )
    else:
        return
    written = _count(connection, sa.insert(table).from_select(columns, fresh))
    changes.inserted = written - changes.updated

"""Every version the warehouse ever held, and point-in-time reads over them.

J-Quants corrects data in place and keeps no history (a close fixed days
later, a restated statement, adjusted prices rewritten back through all
history after a split). So that a backtest can be reproduced, every dataset
table ``T`` (each spec's table, ``trading_calendar`` too) has two companions,
generated here from ``T``'s own declaration (no per-table code):

``T_revisions``
    Every version of a row that is no longer current: ``T``'s columns (keys
    NOT NULL, values nullable), plus

    * ``fetched_at``: when that version was stored (its first load, or the
      refetch that wrote it);
    * ``superseded_at``: when a later write replaced or removed it;
    * ``change_kind``: what ended it: ``updated`` (a refetch brought different
      values for the key), ``deleted`` (a refetch of its scope no longer had
      the key), or ``inserted``: a marker, value columns NULL, saying the key
      was *absent* from ``fetched_at`` until ``superseded_at``, when a refetch
      added it to an already loaded partition.

    Primary key: ``T``'s key + ``superseded_at``. A refetch that changes
    nothing writes nothing here.

``T_loads``
    One row per value of ``T``'s leading key column (the partition's day for
    every dataset: ``date``, ``disc_date``, ``pub_date``) with ``loaded_at``:
    when rows with that value were first stored. The first load of a partition
    writes ``T`` directly and records only this (no per-row history), so it
    keeps its speed. Migration 0006 records the rows held before it as loaded
    when it ran.

What the warehouse held at ``t`` (:func:`as_of_select`): a current row of
``T`` whose partition was loaded at or before ``t`` and that has no revision
superseded after ``t`` (else a later write made it current), plus every
revision with ``fetched_at <= t < superseded_at`` that is not an
``inserted`` marker. Writes go through :mod:`moo_markets.warehouse.replace`,
which keeps both companions up to date in the writer's transaction.
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from moo_markets.warehouse.types import TokyoDateTime

FETCHED_AT = "fetched_at"
SUPERSEDED_AT = "superseded_at"
CHANGE_KIND = "change_kind"
LOADED_AT = "loaded_at"

UPDATED = "updated"
DELETED = "deleted"
INSERTED = "inserted"
CHANGE_KINDS = (UPDATED, DELETED, INSERTED)

_INFO = "moo_markets.history"


class History:
    """A table's companions and the columns the revision logic joins on."""

    def __init__(self, table: sa.Table, revisions: sa.Table, loads: sa.Table, lead: str) -> None:
        self.table = table
        self.revisions = revisions
        self.loads = loads
        self.key = tuple(c.name for c in table.primary_key.columns)
        self.lead = lead
        self.values = tuple(c.name for c in table.columns if c.name not in self.key)


def add_history(table: sa.Table, lead: str | None = None) -> History:
    """Declare ``table``'s ``_revisions`` and ``_loads`` tables in its metadata. ``lead``:
    the key column whose values are loaded together (a dataset's partition day; default:
    the first key column)."""
    clash = {FETCHED_AT, SUPERSEDED_AT, CHANGE_KIND} & set(table.columns.keys())
    if clash:
        raise ValueError(f"{table.name} has columns {sorted(clash)}, reserved by its revisions")
    key = [c.name for c in table.primary_key.columns]
    if not key:
        raise ValueError(f"{table.name} has no primary key: its revisions need one")
    revisions = sa.Table(
        f"{table.name}_revisions",
        table.metadata,
        *(
            sa.Column(c.name, c.type, primary_key=c.name in key, nullable=c.name not in key)
            for c in table.columns
        ),
        sa.Column(
            FETCHED_AT, TokyoDateTime(), nullable=False, comment="when this version was stored"
        ),
        sa.Column(
            SUPERSEDED_AT,
            TokyoDateTime(),
            primary_key=True,
            comment="when a later write replaced or removed it",
        ),
        sa.Column(
            CHANGE_KIND,
            sa.String(8),
            nullable=False,
            comment="updated, deleted, or inserted (the key was absent until superseded_at)",
        ),
        sa.Index(f"{table.name}_revisions_superseded_at_idx", SUPERSEDED_AT),
        comment=f"Earlier versions of {table.name} rows (moo_markets.warehouse.revisions)",
    )
    lead_column = table.c[lead or key[0]]
    if lead_column.name not in key:
        raise ValueError(f"{table.name}: {lead_column.name} is not a key column")
    loads = sa.Table(
        f"{table.name}_loads",
        table.metadata,
        sa.Column(lead_column.name, lead_column.type, primary_key=True),
        sa.Column(
            LOADED_AT,
            TokyoDateTime(),
            nullable=False,
            comment=f"when rows of this {lead_column.name} were first stored",
        ),
        comment=f"First load of each {lead_column.name} of {table.name} "
        "(moo_markets.warehouse.revisions)",
    )
    history = History(table, revisions, loads, lead_column.name)
    table.info[_INFO] = history
    return history


def history_of(table: sa.Table) -> History:
    """The companions of a warehouse table (``KeyError`` if it keeps no revisions)."""
    try:
        return table.info[_INFO]
    except KeyError:
        raise KeyError(f"{table.name} keeps no revisions") from None


def key_match(left: sa.FromClause, right: sa.FromClause, key: tuple[str, ...]):
    return sa.and_(*(left.c[k] == right.c[k] for k in key))


def as_of_select(table: sa.Table, as_of: dt.datetime) -> sa.Select:
    """A SELECT of exactly `table`'s columns (same names, same order) giving the rows the
    warehouse held at `as_of` (aware datetime). Usable as a subquery: callers add WHERE/ORDER BY
    on `.subquery()`."""
    if as_of.tzinfo is None or as_of.utcoffset() is None:
        raise ValueError(f"as_of must be an aware datetime, got {as_of!r}")
    history = history_of(table)
    revisions, loads = history.revisions, history.loads
    moment = sa.literal(as_of, TokyoDateTime())
    current = sa.select(*table.columns).where(
        sa.exists().where(
            loads.c[history.lead] == table.c[history.lead], loads.c[LOADED_AT] <= moment
        ),
        ~sa.exists().where(
            key_match(revisions, table, history.key), revisions.c[SUPERSEDED_AT] > moment
        ),
    )
    earlier = sa.select(*(revisions.c[c.name] for c in table.columns)).where(
        revisions.c[FETCHED_AT] <= moment,
        revisions.c[SUPERSEDED_AT] > moment,
        revisions.c[CHANGE_KIND] != INSERTED,
    )
    held = sa.union_all(current, earlier).subquery(f"{table.name}_as_of")
    return sa.select(*(held.c[c.name] for c in table.columns))

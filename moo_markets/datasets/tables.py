"""Warehouse tables built from dataset specs: no hand-written DDL drifting from the spec.

``warehouse/schema.py`` adds one table per spec to the warehouse metadata;
the Alembic migrations create exactly these (a test compares them).
"""

from __future__ import annotations

import sqlalchemy as sa

from moo_markets.datasets.spec import DatasetSpec


def build_table(spec: DatasetSpec, metadata: sa.MetaData) -> sa.Table:
    """The table of ``spec``: one column per field, the key as primary key."""
    key = set(spec.key)
    columns = [
        sa.Column(
            f.column,
            f.type.sql(),
            primary_key=f.source in key,
            nullable=f.source not in key,
            comment=f"J-Quants {f.source}"
            + (" (Premium plan only)" if f.source in spec.premium_fields else ""),
        )
        for f in spec.columns
    ]
    return sa.Table(spec.table, metadata, *columns, comment=f"J-Quants {spec.path}")

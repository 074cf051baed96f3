"""Warehouse tables built from dataset specs: no hand-written DDL drifting from the spec.

``warehouse/schema.py`` adds one table per spec to the warehouse metadata;
the Alembic migrations create exactly these (a test compares them).
"""

from __future__ import annotations

import sqlalchemy as sa

from moo_markets.datasets.spec import DatasetSpec, Field


def _comment(spec: DatasetSpec, field: Field) -> str | None:
    if field.comment or field.comment is None:
        return field.comment
    if not spec.column_comments:
        return None
    premium = " (Premium plan only)" if field.source in spec.premium_fields else ""
    return f"J-Quants {field.source}{premium}"


def build_table(spec: DatasetSpec, metadata: sa.MetaData) -> sa.Table:
    """The table of ``spec``: one column per field, the key as primary key."""
    key = set(spec.key)
    columns = [
        sa.Column(
            f.column,
            f.type.sql(),
            primary_key=f.source in key,
            nullable=not (f.source in key or f.required),
            comment=_comment(spec, f),
        )
        for f in spec.columns
    ]
    comment = spec.table_comment or f"J-Quants {spec.path}"
    return sa.Table(spec.table, metadata, *columns, comment=comment)

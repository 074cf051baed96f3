"""Bulk files loaded: which J-Quants bulk file (key, LastModified) each stored month came from.

A backfill that finds a month's file unchanged since it was loaded (same key, same
LastModified, same row count) need not download it again; a corrected file (a new
LastModified) is loaded again.

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "bulk_files",
        sa.Column("key", sa.String(512), primary_key=True, comment="J-Quants bulk file key"),
        sa.Column("endpoint", sa.String(128), nullable=False, comment="e.g. /equities/bars/daily"),
        sa.Column("first_date", sa.Date, nullable=False, comment="first day the file covers"),
        sa.Column("last_date", sa.Date, nullable=False, comment="last day the file covers"),
        sa.Column(
            "last_modified", sa.DateTime(timezone=True), nullable=False, comment="from /bulk/list"
        ),
        sa.Column("size", sa.BigInteger, comment="bytes (compressed), from /bulk/list"),
        sa.Column("rows", sa.BigInteger, nullable=False, comment="rows stored from the file"),
        sa.Column("loaded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("run_id", sa.String(64), comment="Dagster run that loaded it"),
        comment="J-Quants bulk files loaded into the warehouse; a file whose LastModified "
        "changed since is loaded again",
    )


def downgrade() -> None:
    op.drop_table("bulk_files")

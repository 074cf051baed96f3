"""Schedule overrides: crons set at runtime through the REST API or the CLI.

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "schedule_overrides",
        sa.Column(
            "job_id",
            sa.Integer,
            primary_key=True,
            autoincrement=False,
            comment="catalog id, as jobs.id",
        ),
        sa.Column("cron", sa.String(255), nullable=False, comment="5 fields, Asia/Tokyo"),
        sa.Column(
            "set_by",
            sa.String(255),
            nullable=False,
            comment="rest_api (client address), cli (user)",
        ),
        sa.Column("set_at", sa.DateTime(timezone=True), nullable=False),
        comment="Crons set at runtime (PUT /api/scheduler/jobs/:id/schedule, moo-markets "
        "schedule set); the code location reads them when it loads. No row: the environment "
        "or the catalog default applies",
    )


def downgrade() -> None:
    op.drop_table("schedule_overrides")

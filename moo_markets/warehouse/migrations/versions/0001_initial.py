"""Initial schema: market data tables and the scheduler mirror.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

PRICE = sa.Numeric(20, 6)
ADJ_VOLUME = sa.Numeric(24, 6)
TIMESTAMPTZ = sa.DateTime(timezone=True)


def _bar_columns() -> list[sa.Column]:
    def session(prefix: str) -> list[sa.Column]:
        return [
            sa.Column(f"{prefix}open", PRICE),
            sa.Column(f"{prefix}high", PRICE),
            sa.Column(f"{prefix}low", PRICE),
            sa.Column(f"{prefix}close", PRICE),
            sa.Column(f"{prefix}upper_limit", sa.String(1)),
            sa.Column(f"{prefix}lower_limit", sa.String(1)),
            sa.Column(f"{prefix}volume", sa.BigInteger),
            sa.Column(f"{prefix}turnover_value", sa.BigInteger),
        ]

    def adjusted(prefix: str) -> list[sa.Column]:
        return [
            sa.Column(f"{prefix}adj_open", PRICE),
            sa.Column(f"{prefix}adj_high", PRICE),
            sa.Column(f"{prefix}adj_low", PRICE),
            sa.Column(f"{prefix}adj_close", PRICE),
            sa.Column(f"{prefix}adj_volume", ADJ_VOLUME),
        ]

    return [
        *session(""),
        sa.Column("adjustment_factor", sa.Numeric(18, 10)),
        *adjusted(""),
        *session("morning_"),
        *adjusted("morning_"),
        *session("afternoon_"),
        *adjusted("afternoon_"),
    ]


def upgrade() -> None:
    op.create_table(
        "listed_companies",
        sa.Column("date", sa.Date, primary_key=True, comment="snapshot date (J-Quants Date)"),
        sa.Column("code", sa.String(5), primary_key=True),
        sa.Column("company_name", sa.Text, nullable=False),
        sa.Column("company_name_en", sa.Text),
        sa.Column("sector17_code", sa.String(4)),
        sa.Column("sector17_name", sa.Text),
        sa.Column("sector33_code", sa.String(4)),
        sa.Column("sector33_name", sa.Text),
        sa.Column("scale_category", sa.Text),
        sa.Column("market_code", sa.String(4)),
        sa.Column("market_name", sa.Text),
        sa.Column("margin_code", sa.String(2)),
        sa.Column("margin_name", sa.Text),
        sa.Column("product_category", sa.String(8)),
        comment="J-Quants /equities/master snapshots, one per date",
    )
    op.create_table(
        "trading_calendar",
        sa.Column("date", sa.Date, primary_key=True),
        sa.Column(
            "hol_div",
            sa.String(1),
            nullable=False,
            comment="0 closed, 1 business day, 2 half-day session, 3 closed with OSE holiday trading",
        ),
    )
    op.create_table(
        "daily_bars",
        sa.Column("date", sa.Date, primary_key=True),
        sa.Column("code", sa.String(5), primary_key=True),
        *_bar_columns(),
        comment="J-Quants /equities/bars/daily; no-trade days keep NULL prices and volume",
    )
    op.create_table(
        "jobs",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("description", sa.Text),
        sa.Column("job_type", sa.String(50), nullable=False, unique=True),
        sa.Column("schedule", sa.String(255), nullable=False, comment="cron"),
        sa.Column("is_enabled", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("last_run_at", TIMESTAMPTZ),
        sa.Column("next_run_at", TIMESTAMPTZ),
        sa.Column("inserted_at", TIMESTAMPTZ, nullable=False),
        sa.Column("updated_at", TIMESTAMPTZ, nullable=False),
    )
    op.create_table(
        "job_executions",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("job_id", sa.Integer, sa.ForeignKey("jobs.id"), nullable=False),
        sa.Column("started_at", TIMESTAMPTZ, nullable=False),
        sa.Column("completed_at", TIMESTAMPTZ),
        sa.Column(
            "status", sa.String(50), nullable=False, comment="running, completed, failed, stopped"
        ),
        sa.Column("error_message", sa.Text),
        sa.Column("inserted_at", TIMESTAMPTZ, nullable=False),
        sa.Column("updated_at", TIMESTAMPTZ, nullable=False),
        sa.Column("run_id", sa.String(64), nullable=False, unique=True, comment="Dagster run id"),
        sa.Column("partition_key", sa.String(64)),
        sa.Column("dagster_status", sa.String(32)),
    )
    op.create_index("job_executions_job_id_idx", "job_executions", ["job_id"])


def downgrade() -> None:
    op.drop_index("job_executions_job_id_idx", table_name="job_executions")
    for table in ("job_executions", "jobs", "daily_bars", "trading_calendar", "listed_companies"):
        op.drop_table(table)

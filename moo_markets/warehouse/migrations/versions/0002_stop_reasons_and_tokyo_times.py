"""Stop reasons table; SQLite mirror times rewritten as ISO 8601 with the +09:00 offset.

Revision ID: 0002
Revises: 0001

PostgreSQL is untouched apart from the new table (its ``timestamptz`` columns
were always unambiguous). On SQLite, version 0001 stored mirror times as UTC
text without an offset (``2026-11-30 23:15:00``); they are rewritten in the
format ``TokyoDateTime`` writes, so old and new rows read and sort alike.
"""

import datetime as dt

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

TOKYO = dt.timezone(dt.timedelta(hours=9))
MIRROR_TIMES = {
    "jobs": ("last_run_at", "next_run_at", "inserted_at", "updated_at"),
    "job_executions": ("started_at", "completed_at", "inserted_at", "updated_at"),
}


def _tokyo_text(value: str) -> str:
    parsed = dt.datetime.fromisoformat(value)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=dt.UTC)
    return parsed.astimezone(TOKYO).isoformat(timespec="microseconds")


def upgrade() -> None:
    op.create_table(
        "run_stop_reasons",
        sa.Column("run_id", sa.String(64), primary_key=True, comment="Dagster run id"),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column(
            "stopped_by", sa.String(64), nullable=False, comment="rest_api, stuck_run_sensor, ..."
        ),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        comment="Why moo_markets stopped a run: Dagster's GraphQL cannot attach a message to a "
        "cancellation, so the SQL mirror and the REST API read the reason here",
    )
    connection = op.get_bind()
    if connection.dialect.name != "sqlite":
        return
    for table, columns in MIRROR_TIMES.items():
        key = "id"
        rows = connection.execute(
            sa.text(f"SELECT {key}, {', '.join(columns)} FROM {table}")  # noqa: S608 (constants)
        ).all()
        for row in rows:
            values = {
                column: _tokyo_text(value)
                for column, value in zip(columns, row[1:], strict=True)
                if isinstance(value, str) and value
            }
            if values:
                assignments = ", ".join(f"{column} = :{column}" for column in values)
                connection.execute(
                    sa.text(f"UPDATE {table} SET {assignments} WHERE {key} = :key"),  # noqa: S608
                    {**values, "key": row[0]},
                )


def downgrade() -> None:
    op.drop_table("run_stop_reasons")

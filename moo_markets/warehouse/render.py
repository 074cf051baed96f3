"""Render the Alembic migration for what the declared schema has and the newest migration lacks.

A new dataset spec adds a table to the metadata (``warehouse/schema.py``); this
writes its migration, so no DDL is typed by hand:

    .venv/bin/python -m moo_markets.warehouse.render 0004 "valuation history"

It migrates an in-memory SQLite database to the current head, lets Alembic's
autogenerate compare it with the metadata and writes
``migrations/versions/<revision>_<slug>.py``. Review it, then run the tests
(``tests/warehouse`` checks migrations and metadata agree on SQLite and PostgreSQL).
"""

from __future__ import annotations

import re
import sys

import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import produce_migrations, render_python_code
from alembic.migration import MigrationContext

from moo_markets.warehouse.engine import VERSION_TABLE
from moo_markets.warehouse.migrate import MIGRATIONS, _config, head_revision
from moo_markets.warehouse.schema import metadata

TEMPLATE = '''"""{message}

Revision ID: {revision}
Revises: {down}

Rendered by ``python -m moo_markets.warehouse.render`` from the declared schema.
"""

import sqlalchemy as sa
from alembic import op

revision = "{revision}"
down_revision = "{down}"
branch_labels = None
depends_on = None


def upgrade() -> None:
{upgrade}

def downgrade() -> None:
{downgrade}
'''


def _clean(code: str) -> str:
    return "\n".join(line for line in code.splitlines() if "### " not in line) + "\n"


def render(revision: str, message: str) -> str:
    down = head_revision()
    engine = sa.create_engine("sqlite://")
    with engine.begin() as connection:
        command.upgrade(_config(connection), "head")
        context = MigrationContext.configure(
            connection, opts={"compare_type": True, "version_table": VERSION_TABLE}
        )
        script = produce_migrations(context, metadata)
    if script.upgrade_ops.is_empty():
        raise SystemExit("the newest migration already matches the declared schema")
    options = {"sqlalchemy_module_prefix": "sa.", "alembic_module_prefix": "op."}
    return TEMPLATE.format(
        message=message,
        revision=revision,
        down=down,
        upgrade=_clean(render_python_code(script.upgrade_ops, **options)),
        downgrade=_clean(render_python_code(script.downgrade_ops, **options)),
    )


def main(argv: list[str]) -> int:
    if len(argv) != 2 or not re.fullmatch(r"\d{4}", argv[0]):
        print(__doc__.strip().splitlines()[4].strip(), file=sys.stderr)
        return 2
    revision, message = argv
    slug = re.sub(r"[^a-z0-9]+", "_", message.lower()).strip("_")
    path = MIGRATIONS / "versions" / f"{revision}_{slug}.py"
    path.write_text(render(revision, message[:1].upper() + message[1:] + "."))
    print(f"wrote {path}; review it and run ruff format on it")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

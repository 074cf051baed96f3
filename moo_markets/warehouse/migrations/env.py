"""Alembic environment: runs on the connection the warehouse hands over.

The version table is renamed so the warehouse can never be confused with a
database where Dagster (which also uses Alembic) keeps its storage.
"""

from alembic import context

from moo_markets.warehouse.engine import VERSION_TABLE
from moo_markets.warehouse.schema import metadata

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=metadata,
    version_table=VERSION_TABLE,
    render_as_batch=connection.dialect.name == "sqlite",
)
with context.begin_transaction():
    context.run_migrations()

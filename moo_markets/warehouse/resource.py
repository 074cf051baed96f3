"""The warehouse as a Dagster resource."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import sqlalchemy as sa
from dagster import ConfigurableResource
from pydantic import Field

from moo_markets.warehouse.engine import get_engine, resolve_database_url


class WarehouseResource(ConfigurableResource):
    """SQL database that holds moo_markets' market data and scheduler mirror.

    SQLite by default so a laptop needs nothing installed; PostgreSQL for teams.
    The schema is migrated by an explicit step (the code location's start-up check,
    ``moo-markets db upgrade``), never by connecting.
    """

    database_url: str | None = Field(
        default=None,
        description=(
            "SQLAlchemy URL. Unset: $MOO_MARKETS_DATABASE_URL, else ./data/moo_markets.db. "
            "Must not be the database holding Dagster's own storage."
        ),
    )

    @property
    def engine(self) -> sa.Engine:
        return get_engine(self.database_url)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @property
    def url(self) -> str:
        return resolve_database_url(self.database_url)

    @contextmanager
    def begin(self) -> Iterator[sa.Connection]:
        """One transaction: committed when the block ends, rolled back if it raises."""
        with self.engine.begin() as connection:
            yield connection

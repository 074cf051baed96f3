"""The SQL warehouse moo_markets writes to (SQLite or PostgreSQL).

Dagster-free: the Dagster resource is ``moo_markets.warehouse.resource``, so
the REST API can read the mirror without importing Dagster.
"""

from moo_markets.warehouse.engine import WarehouseConfigError, get_engine, resolve_database_url

__all__ = ["WarehouseConfigError", "get_engine", "resolve_database_url"]

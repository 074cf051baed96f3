"""The SQL warehouse moo_markets writes to (SQLite or PostgreSQL)."""

from moo_markets.warehouse.engine import WarehouseConfigError, get_engine, resolve_database_url
from moo_markets.warehouse.resource import WarehouseResource

__all__ = ["WarehouseConfigError", "WarehouseResource", "get_engine", "resolve_database_url"]

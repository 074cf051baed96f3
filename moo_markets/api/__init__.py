"""The scheduler REST API: the documented ``/api/scheduler`` endpoints over Dagster GraphQL."""

from __future__ import annotations

from moo_markets.api.config import Settings
from moo_markets.api.main import create_app

__all__ = ["Settings", "create_app"]

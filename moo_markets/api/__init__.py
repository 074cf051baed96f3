"""The scheduler REST API: the documented ``/api/scheduler`` endpoints over Dagster GraphQL.

It imports no Dagster (a test checks): runs are read through GraphQL and
decided by ``moo_markets.core``; its settings are the project's one
``Settings`` object.
"""

from __future__ import annotations

from moo_markets.api.main import create_app

__all__ = ["create_app"]

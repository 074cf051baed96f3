"""The scheduler REST API: the documented ``/api/scheduler`` endpoints over Dagster GraphQL.

It imports no Dagster (a test checks): runs are read through GraphQL and
decided by ``moo_markets.core``; its settings are the project's one
``Settings`` object. ``create_app`` is imported on first use, so the
``moo-markets`` command line does not load FastAPI for other commands.
"""

from __future__ import annotations

from typing import Any

__all__ = ["create_app"]


def __getattr__(name: str) -> Any:
    if name == "create_app":
        from moo_markets.api.main import create_app

        return create_app
    raise AttributeError(name)

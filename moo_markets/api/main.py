"""The app factory: ``create_app(settings)`` builds a fresh app; nothing global."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
from fastapi import FastAPI
from fastapi_offline import FastAPIOffline

from moo_markets.api.errors import Redactor, install_error_handlers
from moo_markets.api.graphql import DagsterGraphQL
from moo_markets.api.log_redaction import redact_logs
from moo_markets.api.middleware import RequestGuardMiddleware, TrailingSlashMiddleware
from moo_markets.api.mirror import MirrorReader
from moo_markets.api.routes import api_router
from moo_markets.api.service import SchedulerService
from moo_markets.core.settings import Settings, load_settings

DOCS_ASSETS = "/api/docs-assets"
"""Where the docs pages' scripts, styles and icon are served."""

DESCRIPTION = """\
The scheduler REST API of moo_markets, served by translating each call into GraphQL
against the Dagster webserver. Stateless: Dagster is the source of truth.

Paths accept a job's catalog id or its job_type (`/jobs/1` = `/jobs/listed_companies`).
Times are ISO 8601 with offset (Asia/Tokyo). Errors are `{"errors": {"detail": "..."}}`.
When `MOO_MARKETS_API_TOKEN` is set, every PUT/POST/DELETE needs `Authorization: Bearer <token>`.
"""


def create_app(
    settings: Settings | None = None, *, transport: httpx.AsyncBaseTransport | None = None
) -> FastAPI:
    """A new app. ``transport`` replaces the HTTP transport to Dagster (tests)."""
    settings = settings or load_settings()
    gql = DagsterGraphQL(settings, transport=transport)
    mirror = MirrorReader(settings.database_url_value)

    redact = Redactor(settings.secrets())

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        stop_redacting = redact_logs(redact)  # uvicorn's access/error logs and ours
        try:
            yield
        finally:
            await gql.aclose()
            mirror.dispose()
            stop_redacting()

    # The interactive docs (Swagger UI at /api/docs, ReDoc at /api/redoc) are served with
    # their JavaScript and CSS from the fastapi-offline package: no CDN, so they work offline.
    app = FastAPIOffline(
        title="moo_markets scheduler API",
        version="1.0.0",
        description=DESCRIPTION,
        openapi_url="/api/openapi.json",
        docs_url="/api/docs",
        redoc_url="/api/redoc",
        static_url=DOCS_ASSETS,
        swagger_ui_oauth2_redirect_url="/api/docs/oauth2-redirect",
        # Swagger UI would send the document to validator.swagger.io for a badge.
        swagger_ui_parameters={"validatorUrl": None},
        lifespan=lifespan,
        strict_content_type=False,  # a body sent without Content-Type is read as JSON
        redirect_slashes=False,  # TrailingSlashMiddleware answers /path/ as /path
    )
    app.state.settings = settings
    app.state.redact = redact
    app.state.service = SchedulerService(gql, settings, mirror, redact)
    install_error_handlers(app)
    app.add_middleware(RequestGuardMiddleware, settings=settings)
    app.add_middleware(TrailingSlashMiddleware)
    app.include_router(api_router)
    return app

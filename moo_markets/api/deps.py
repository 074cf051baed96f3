"""Dependencies shared by the routes: the service, the bearer token, path parameters."""

from __future__ import annotations

import secrets
from typing import Annotated

from fastapi import Depends, Path, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from moo_markets.api.errors import Unauthorized
from moo_markets.api.service import SchedulerService, resolve_job
from moo_markets.core.catalog import JobType
from moo_markets.core.settings import Settings

_bearer = HTTPBearer(auto_error=False, description="MOO_MARKETS_API_TOKEN, when it is set")


def get_settings(request: Request) -> Settings:
    return request.app.state.settings


def get_service(request: Request) -> SchedulerService:
    return request.app.state.service


def require_token(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> None:
    """PUT/POST/DELETE need ``Authorization: Bearer <MOO_MARKETS_API_TOKEN>`` when a token is set."""
    settings: Settings = request.app.state.settings
    if settings.api_token is None:
        return
    challenge = {"WWW-Authenticate": "Bearer"}
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise Unauthorized(
            "missing bearer token: send 'Authorization: Bearer <token>'", headers=challenge
        )
    expected = settings.api_token.get_secret_value().encode()
    if not secrets.compare_digest(credentials.credentials.encode(), expected):
        raise Unauthorized("wrong bearer token", headers=challenge)


def job_from_path(
    job_id: Annotated[
        str,
        Path(
            description="Catalog id (1) or job_type (listed_companies).",
            examples=["1", "listed_companies"],
        ),
    ],
) -> JobType:
    return resolve_job(job_id)


Service = Annotated[SchedulerService, Depends(get_service)]
Job = Annotated[JobType, Depends(job_from_path)]
Authorized = Depends(require_token)

"""Dependencies shared by the routes: the service, the bearer token, path parameters."""

from __future__ import annotations

import re
import secrets
from typing import Annotated

from fastapi import Depends, Path, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import SecretStr

from moo_markets.api.errors import InvalidInput, NotFound, Unauthorized
from moo_markets.api.service import SchedulerService, resolve_job
from moo_markets.core.catalog import JobType
from moo_markets.core.settings import Settings

_bearer = HTTPBearer(auto_error=False, description="MOO_MARKETS_API_TOKEN, when it is set")


def get_settings(request: Request) -> Settings:
    return request.app.state.settings


def get_service(request: Request) -> SchedulerService:
    return request.app.state.service


def check_bearer(authorization: str | None, token: SecretStr | None) -> None:
    """:class:`Unauthorized` unless ``authorization`` is ``Bearer <token>`` (when a token is
    set). One rule for the request guard (before any body is read) and the routes."""
    if token is None:
        return
    challenge = {"WWW-Authenticate": "Bearer"}
    scheme, _, credentials = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not credentials:
        raise Unauthorized(
            "missing bearer token: send 'Authorization: Bearer <token>'", headers=challenge
        )
    if not secrets.compare_digest(credentials.encode(), token.get_secret_value().encode()):
        raise Unauthorized("wrong bearer token", headers=challenge)


def require_token(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> None:
    """PUT/POST/DELETE need ``Authorization: Bearer <MOO_MARKETS_API_TOKEN>`` when a token is set.

    The request guard has already refused a request without it, before reading its body;
    this dependency states the rule in the OpenAPI document and checks it again."""
    settings: Settings = request.app.state.settings
    check_bearer(request.headers.get("authorization"), settings.api_token)


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


RUN_ID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
"""Dagster run ids are UUIDs; anything else names no run (and never reaches Dagster)."""


def run_id_from_path(
    run_id: Annotated[
        str,
        Path(
            description="Dagster run id (a UUID)",
            examples=["3f2b8f0e-9c3a-4d3e-8a57-0d4f1c2b9e11"],
        ),
    ],
) -> str:
    if not RUN_ID.fullmatch(run_id):
        shown = run_id if len(run_id) <= 60 else run_id[:57] + "..."
        raise NotFound(
            f"unknown run {shown!r}: Dagster run ids are UUIDs such as "
            "3f2b8f0e-9c3a-4d3e-8a57-0d4f1c2b9e11"
        )
    return run_id.lower()


_DIGITS = re.compile(r"[0-9]{1,9}")


def strict_integers(*names: str):
    """A dependency: each named query parameter, when given, is given once and in digits
    only. Pydantic's lax integers would take ``+5``, `` 5`` and the last of repeated values."""

    def check(request: Request) -> None:
        for name in names:
            values = request.query_params.getlist(name)
            if len(values) > 1:
                raise InvalidInput(f"query.{name}: give one value, got {len(values)}")
            if values and not _DIGITS.fullmatch(values[0]):
                shown = values[0] if len(values[0]) <= 40 else values[0][:37] + "..."
                raise InvalidInput(
                    f"query.{name}: must be a whole number written in digits only, got {shown!r}"
                )

    return Depends(check)


Service = Annotated[SchedulerService, Depends(get_service)]
Job = Annotated[JobType, Depends(job_from_path)]
RunId = Annotated[str, Depends(run_id_from_path)]
Authorized = Depends(require_token)

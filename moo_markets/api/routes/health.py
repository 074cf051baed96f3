from __future__ import annotations

from fastapi import APIRouter

from moo_markets.api import documents as docs
from moo_markets.api.deps import Service
from moo_markets.api.errors import ApiError
from moo_markets.api.models import Envelope, Health

router = APIRouter(tags=["health"])


@router.get("/health", response_model=Envelope[Health], summary="Liveness and Dagster reachability")
async def health(service: Service) -> dict:
    """Always 200 while the API is up; ``dagster.reachable`` says whether the webserver answers
    within ``MOO_MARKETS_API_HEALTH_TIMEOUT`` (default 0.8 s), so a hung webserver never makes
    this answer wait out the GraphQL timeout."""
    try:
        data = await service.gql.query(docs.HEALTH, timeout=service.settings.api_health_timeout)
        dagster = {"reachable": True, "version": data.get("version"), "detail": None}
    except ApiError as exc:
        dagster = {"reachable": False, "version": None, "detail": exc.detail}
    return {"data": {"status": "ok", "dagster": dagster}}

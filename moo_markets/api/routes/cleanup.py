from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body

from moo_markets.api.deps import Authorized, Service
from moo_markets.api.models import CleanupBody, CleanupResult, Envelope
from moo_markets.api.routes.common import WRITE

router = APIRouter(prefix="/scheduler", tags=["scheduler"])


@router.post(
    "/cleanup",
    response_model=Envelope[CleanupResult],
    responses=WRITE,
    dependencies=[Authorized],
    summary="End stuck executions",
)
async def cleanup(service: Service, body: Annotated[CleanupBody | None, Body()] = None) -> dict:
    """Ends unfinished runs whose worker process is gone or that made no progress (no new
    event) for ``MOO_MARKETS_STUCK_AFTER_SECONDS`` (default 1800), marking them stopped. Queued runs and
    healthy running runs are left alone unless ``{"all": true}``."""
    body = body or CleanupBody()
    return {"data": await service.cleanup(body.all, body.stuck_after_seconds)}

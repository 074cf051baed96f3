from __future__ import annotations

from fastapi import APIRouter

from moo_markets.api.deps import Service
from moo_markets.api.models import Envelope, SchedulerStatus
from moo_markets.api.routes.common import READ

router = APIRouter(prefix="/scheduler", tags=["scheduler"])


@router.get(
    "/status",
    response_model=Envelope[SchedulerStatus],
    responses=READ,
    summary="Scheduler state: daemons, jobs, running executions",
)
async def status(service: Service) -> dict:
    return {"data": await service.status()}

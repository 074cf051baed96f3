from __future__ import annotations

from fastapi import APIRouter
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse

from moo_markets.api.deps import Authorized, RunId, Service
from moo_markets.api.models import Envelope, Execution, ExecutionDetail
from moo_markets.api.routes.common import READ, WRITE, errors

router = APIRouter(prefix="/scheduler/executions", tags=["executions"])


@router.get(
    "/{run_id}",
    response_model=Envelope[ExecutionDetail],
    responses={**READ, **errors(404)},
    summary="One execution with its steps",
)
async def get_execution(run_id: RunId, service: Service) -> dict:
    return {"data": await service.execution_detail(run_id)}


@router.post(
    "/{run_id}/stop",
    response_model=Envelope[Execution],
    responses={
        **WRITE,
        **errors(404),
        202: {"model": Envelope[Execution], "description": "Stop requested, run still ending"},
    },
    dependencies=[Authorized],
    summary="Stop a queued or running execution",
)
async def stop_execution(run_id: RunId, service: Service):
    """200 once the run has ended (status ``stopped``); 202 if it is still ending after
    ``MOO_MARKETS_API_STOP_WAIT`` seconds; 409 if it had already finished."""
    ended, execution = await service.stop(run_id)
    body = jsonable_encoder(Envelope[Execution](data=Execution(**execution)))
    return JSONResponse(body, status_code=200 if ended else 202)

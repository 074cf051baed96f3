"""One router per resource, mounted under ``/api``."""

from __future__ import annotations

from fastapi import APIRouter

from moo_markets.api.routes import cleanup, executions, health, jobs, status

api_router = APIRouter(prefix="/api")
api_router.include_router(health.router)
api_router.include_router(status.router)
api_router.include_router(jobs.router)
api_router.include_router(executions.router)
api_router.include_router(cleanup.router)

"""What the REST API reads from (and records in) the warehouse, best effort.

* ``inserted_at``/``updated_at`` of jobs, from the SQL mirror's ``jobs``
  table: Dagster has no creation or update time for a job.
* Stop reasons (``run_stop_reasons``): the API records why it stops a run
  (``.../stop``, ``/cleanup``) before stopping it, and reads the reasons of
  stopped runs, so its ``error_message`` is the mirror's. Dagster's GraphQL
  cannot carry such a message itself.

With no ``MOO_MARKETS_DATABASE_URL``, an unreachable database or no tables
yet, the fields are null, no reason is recorded (REST and the mirror then
both show Dagster's own cancel message) and the API keeps answering; after a
failure the database is not tried again for ``retry_after`` seconds, so an
outage costs one connect timeout, not one per request.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import time
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any, TypeVar

import sqlalchemy as sa

from moo_markets.core.time import in_tokyo
from moo_markets.warehouse import stop_reasons
from moo_markets.warehouse.engine import redact, resolve_database_url
from moo_markets.warehouse.schema import jobs as jobs_table

T = TypeVar("T")

log = logging.getLogger(__name__)

Timestamps = dict[int, tuple[dt.datetime | None, dt.datetime | None]]


class MirrorReader:
    def __init__(self, url: str | None, timeout: float = 2.0, retry_after: float = 30.0) -> None:
        self._url = resolve_database_url(url) if url else None
        self._timeout = timeout
        self._retry_after = retry_after
        self._engine: sa.Engine | None = None
        self._failed_at = 0.0

    @property
    def enabled(self) -> bool:
        return self._url is not None

    async def _best_effort(self, what: str, work: Callable[[], T], empty: T) -> T:
        if self._url is None or time.monotonic() - self._failed_at < self._retry_after:
            return empty
        try:
            return await asyncio.wait_for(asyncio.to_thread(work), self._timeout + 1.0)
        except Exception as exc:  # noqa: BLE001 (any failure only blanks a few fields)
            self._failed_at = time.monotonic()
            log.warning(
                "%s: warehouse %s unavailable (%s); retrying in %.0fs",
                what,
                redact(self._url),
                type(exc).__name__,
                self._retry_after,
            )
            return empty

    async def timestamps(self) -> Timestamps:
        return await self._best_effort("mirror timestamps", self._read, {})

    async def stop_reasons(self, run_ids: Iterable[str]) -> dict[str, str]:
        ids = list(run_ids)
        if not ids:
            return {}
        return await self._best_effort("stop reasons", lambda: self._reasons(ids), {})

    async def record_stop_reasons(self, reasons: Mapping[str, str]) -> None:
        if reasons:
            await self._best_effort("recording stop reasons", lambda: self._record(reasons), None)

    async def forget_stop_reasons(self, run_ids: Iterable[str]) -> None:
        ids = list(run_ids)
        if ids:
            await self._best_effort("forgetting stop reasons", lambda: self._forget(ids), None)

    def _reasons(self, run_ids: list[str]) -> dict[str, str]:
        with (self._engine or self._create()).connect() as connection:
            return stop_reasons.read(connection, run_ids)

    def _record(self, reasons: Mapping[str, str]) -> Any:
        with (self._engine or self._create()).begin() as connection:
            stop_reasons.record(connection, reasons, stop_reasons.STOPPED_BY_API)

    def _forget(self, run_ids: list[str]) -> Any:
        with (self._engine or self._create()).begin() as connection:
            stop_reasons.forget(connection, run_ids)

    def _read(self) -> Timestamps:
        engine = self._engine or self._create()
        with engine.connect() as connection:
            rows = connection.execute(
                sa.select(jobs_table.c.id, jobs_table.c.inserted_at, jobs_table.c.updated_at)
            ).all()
        return {row.id: (in_tokyo(row.inserted_at), in_tokyo(row.updated_at)) for row in rows}

    def _create(self) -> sa.Engine:
        assert self._url is not None
        url = sa.engine.make_url(self._url)
        if url.get_backend_name() == "sqlite":
            # Never create the file: reading must not leave an empty database behind.
            if not url.database or not Path(url.database).exists():
                raise FileNotFoundError("the SQLite warehouse file does not exist (yet)")
            self._engine = sa.create_engine(self._url, connect_args={"timeout": self._timeout})
        else:
            self._engine = sa.create_engine(
                self._url,
                pool_pre_ping=True,
                pool_size=2,
                max_overflow=2,
                connect_args={"connect_timeout": max(1, int(self._timeout))},
            )
        return self._engine

    def dispose(self) -> None:
        if self._engine is not None:
            self._engine.dispose()
            self._engine = None

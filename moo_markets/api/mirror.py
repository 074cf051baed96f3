"""``inserted_at``/``updated_at`` of jobs, read from the SQL mirror's ``jobs`` table.

Dagster has no creation or update time for a job, so the API shows the
mirror's (the sensor writes those rows). Best effort and read-only: with no
``MOO_MARKETS_DATABASE_URL``, an unreachable database or no ``jobs`` table
yet, the fields are null and the API keeps answering; after a failure the
database is not tried again for ``retry_after`` seconds, so an outage costs
one connect timeout, not one per request.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import time
from pathlib import Path

import sqlalchemy as sa

from moo_markets.api.translate import TZ
from moo_markets.warehouse.engine import redact, resolve_database_url
from moo_markets.warehouse.schema import jobs as jobs_table

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

    async def timestamps(self) -> Timestamps:
        if self._url is None or time.monotonic() - self._failed_at < self._retry_after:
            return {}
        try:
            return await asyncio.wait_for(asyncio.to_thread(self._read), self._timeout + 1.0)
        except Exception as exc:  # noqa: BLE001 (any failure only blanks two fields)
            self._failed_at = time.monotonic()
            log.warning(
                "mirror timestamps unavailable from %s (%s); retrying in %.0fs",
                redact(self._url),
                type(exc).__name__,
                self._retry_after,
            )
            return {}

    def _read(self) -> Timestamps:
        engine = self._engine or self._create()
        with engine.connect() as connection:
            rows = connection.execute(
                sa.select(jobs_table.c.id, jobs_table.c.inserted_at, jobs_table.c.updated_at)
            ).all()
        return {row.id: (_aware(row.inserted_at), _aware(row.updated_at)) for row in rows}

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


def _aware(value: dt.datetime | None) -> dt.datetime | None:
    """In Asia/Tokyo like every API time; SQLite hands back naive datetimes (UTC)."""
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return value.astimezone(TZ)

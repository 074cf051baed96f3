"""Schedule overrides as the REST API (and ``moo-markets schedule``) store them.

Unlike the mirror reads (``api/mirror.py``, best effort), a cron change that
cannot be stored is refused with a 503: the code location reads the override
from the warehouse when it loads, so an override that is not stored would not
survive the next reload. The URL follows the same rule as every process
(``MOO_MARKETS_DATABASE_URL``, else ``./data/moo_markets.db``), so the API
writes where the code location reads.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import sqlalchemy as sa

from moo_markets.api.errors import WarehouseUnavailable
from moo_markets.core.cron import Override
from moo_markets.warehouse import schedule_overrides
from moo_markets.warehouse.engine import get_engine, redact, resolve_database_url

log = logging.getLogger(__name__)

T = TypeVar("T")


class OverrideStore:
    def __init__(self, url: str | None, timeout: float = 10.0) -> None:
        self._url = resolve_database_url(url)
        self._timeout = timeout

    def _engine(self) -> sa.Engine:
        parsed = sa.engine.make_url(self._url)
        if parsed.get_backend_name() == "sqlite" and not Path(parsed.database or "").exists():
            # Never create an empty warehouse: the code location would not read it.
            raise FileNotFoundError("the SQLite warehouse file does not exist")
        return get_engine(self._url)

    async def _run(self, what: str, work: Callable[[sa.Connection], T]) -> T:
        def transaction() -> T:
            with self._engine().begin() as connection:
                return work(connection)

        try:
            return await asyncio.wait_for(asyncio.to_thread(transaction), self._timeout)
        except (sa.exc.SQLAlchemyError, OSError, TimeoutError) as exc:
            reason = type(getattr(exc, "orig", None) or exc).__name__
            log.warning("%s: warehouse %s: %s", what, redact(self._url), reason)
            raise WarehouseUnavailable(
                f"the warehouse {redact(self._url)} cannot {what} ({reason}); the schedule is "
                "unchanged. Is it reachable and migrated (moo-markets db upgrade)?"
            ) from None

    async def get(self, job_id: int) -> Override | None:
        found = await self._run("read schedule overrides", schedule_overrides.read)
        return found.get(job_id)

    async def put(self, job_id: int, cron: str | None, set_by: str) -> Override | None:
        """Store ``cron`` for the job, or remove its override when ``None``."""
        if cron is None:
            await self._run(
                "remove the schedule override", lambda c: schedule_overrides.clear(c, job_id)
            )
            return None
        return await self._run(
            "store the schedule override",
            lambda c: schedule_overrides.write(c, job_id, cron, set_by),
        )

    async def restore(self, job_id: int, previous: Override | None) -> None:
        """Put back what was stored before a change Dagster did not take."""

        def put_back(connection: sa.Connection) -> None:
            schedule_overrides.clear(connection, job_id)
            if previous is not None:
                schedule_overrides.write(
                    connection, job_id, previous.cron, previous.set_by, previous.set_at
                )

        await self._run("restore the previous schedule override", put_back)

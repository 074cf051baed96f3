"""Crons set at runtime, kept in the warehouse table ``schedule_overrides``.

Dagster only knows crons in code. An operator's change (``PUT
/api/scheduler/jobs/:id/schedule``, ``moo-markets schedule set``) is stored
here, one row per job with who set it and when, and the code location reads
the rows each time it loads (``moo_markets.definitions``), so a reload of the
location puts the new cron in force. Dagster-free: the REST API and the CLI
write here; the rule of which cron wins is ``core.cron.cron_in_force``.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING

import sqlalchemy as sa

from moo_markets.core.catalog import JOBS, JobType
from moo_markets.core.cron import CronInForce, Override
from moo_markets.core.time import in_tokyo, now_jst
from moo_markets.warehouse.engine import get_engine, redact
from moo_markets.warehouse.schema import schedule_overrides

if TYPE_CHECKING:
    from moo_markets.core.settings import Settings

__all__ = ["Override", "clear", "crons_in_force", "read", "write"]

log = logging.getLogger(__name__)


def read(connection: sa.Connection) -> dict[int, Override]:
    """Every stored override, by catalog job id."""
    rows = connection.execute(sa.select(schedule_overrides)).all()
    return {
        row.job_id: Override(cron=row.cron, set_by=row.set_by, set_at=in_tokyo(row.set_at))
        for row in rows
    }


def write(
    connection: sa.Connection,
    job_id: int,
    cron: str,
    set_by: str,
    now: dt.datetime | None = None,
) -> Override:
    """Store (or replace) the job's override in the caller's transaction; the cron must
    already be validated (``core.cron.validate_cron``)."""
    override = Override(cron=cron, set_by=set_by[:255], set_at=in_tokyo(now or now_jst()))
    connection.execute(sa.delete(schedule_overrides).where(schedule_overrides.c.job_id == job_id))
    connection.execute(
        sa.insert(schedule_overrides).values(
            job_id=job_id, cron=override.cron, set_by=override.set_by, set_at=override.set_at
        )
    )
    return override


def clear(connection: sa.Connection, job_id: int) -> bool:
    """Remove the job's override (back to the environment or the catalog default);
    whether there was one."""
    result = connection.execute(
        sa.delete(schedule_overrides).where(schedule_overrides.c.job_id == job_id)
    )
    return bool(result.rowcount)


def crons_in_force(
    settings: Settings,
    logger: logging.Logger = log,
    *,
    url: str | None = None,
    catalog: Sequence[JobType] = JOBS,
) -> dict[str, CronInForce]:
    """Each job's cron in force, by job_type, reading the overrides of the warehouse.

    What the code location calls when it loads (``url``: another warehouse than the
    settings', for ``moo-markets mirror sync --database-url``). If the warehouse cannot be read
    the environment or catalog default applies, with a warning in the log and
    in each schedule's description (the UI), rather than no code location at
    all: schedules keep running on their configured crons.
    """
    engine = get_engine(url or settings.database_url_value)
    try:
        with engine.connect() as connection:
            overrides = read(connection)
    except sa.exc.SQLAlchemyError as exc:
        reason = type(getattr(exc, "orig", None) or exc).__name__
        warning = (
            f"the schedule overrides in the warehouse could not be read ({reason}); "
            "the environment or catalog default cron applies until the next reload"
        )
        logger.warning("warehouse %s: %s", redact(str(engine.url)), warning)
        return {job.job_type: settings.cron_in_force(job).with_warning(warning) for job in catalog}
    return {job.job_type: settings.cron_in_force(job, overrides.get(job.id)) for job in catalog}

"""Bringing the warehouse schema to the newest revision, as an explicit step.

Two callers, never the first use of an engine: ``moo-markets db upgrade``, and
the start-up check of the code location (``startup_check``), which upgrades a
schema that is behind with one log line and, when the warehouse does not
answer, warns once and lets Dagster load anyway (runs that need the warehouse
then fail with their own clear error, and the next load checks again).
Sensors, schedule ticks, run workers and the REST API only connect.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
from collections.abc import Iterator
from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Engine

from moo_markets.warehouse.engine import (
    VERSION_TABLE,
    WarehouseConfigError,
    check_not_dagster_storage,
    get_engine,
    redact,
)

log = logging.getLogger(__name__)

MIGRATIONS = Path(__file__).parent / "migrations"


def _config(connection: sa.Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


def head_revision() -> str:
    return ScriptDirectory.from_config(_config()).get_current_head() or ""


def current_revision(connection: sa.Connection) -> str | None:
    context = MigrationContext.configure(connection, opts={"version_table": VERSION_TABLE})
    return context.get_current_revision()


@contextlib.contextmanager
def _sqlite_lock(engine: Engine) -> Iterator[None]:
    """Serialise processes migrating one SQLite file (webserver and daemon load together)."""
    database = engine.url.database or ""
    if engine.dialect.name != "sqlite" or not database or database == ":memory:":
        yield
        return
    lock_path = Path(database).with_name(Path(database).name + ".migrate-lock")
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    with open(lock_path, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def upgrade(engine: Engine) -> tuple[str | None, str]:
    """Upgrade to head if behind; returns (revision before, head). Idempotent.

    Refuses Dagster's own storage first. On PostgreSQL a transaction-scoped
    advisory lock, on SQLite a file lock, serialises processes that start at
    the same time.
    """
    check_not_dagster_storage(engine)
    head = head_revision()
    with _sqlite_lock(engine), engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(
                sa.text("SELECT pg_advisory_xact_lock(hashtext('moo_markets_migrate'))")
            )
        before = current_revision(connection)
        if before != head:
            command.upgrade(_config(connection), "head")
    return before, head


def startup_check(url: str | None = None, logger: logging.Logger = log) -> None:
    """The code location's check: upgrade if behind (one line), warn if unreachable.

    ``logger``: the code location passes Dagster's, so the line shows in its processes."""
    engine = get_engine(url)
    where = redact(str(engine.url))
    try:
        before, head = upgrade(engine)
    except WarehouseConfigError:
        raise
    except sa.exc.DBAPIError as exc:
        logger.warning(
            "warehouse %s is unreachable (%s): schema not checked; runs and the SQL mirror "
            "need it, the next code location load checks again",
            where,
            type(exc.orig or exc).__name__,
        )
        return
    if before != head:
        logger.info("warehouse schema upgraded from %s to %s on %s", before or "empty", head, where)

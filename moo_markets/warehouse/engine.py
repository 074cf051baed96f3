"""Connecting to the warehouse: URL rules and one engine per process.

Kept apart from the Dagster resource so the CLI, the mirror sensor, the REST
API and the benchmarks reach the same database the same way. Getting an
engine never changes the schema: migrations are an explicit step
(``moo_markets.warehouse.migrate``).
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Engine, make_url

log = logging.getLogger(__name__)

VERSION_TABLE = "moo_markets_alembic_version"
"""Alembic's version table, renamed so the warehouse is never mistaken for Dagster's storage."""
DEFAULT_SQLITE_FILE = Path("data") / "moo_markets.db"

# Tables Dagster's own storage creates; finding them means the URL points at
# Dagster's database, where our `jobs` table would collide with Dagster's.
DAGSTER_MARKER_TABLES = {"runs", "event_logs", "instance_info"}

_engines: dict[str, Engine] = {}
_lock = threading.Lock()


class WarehouseConfigError(ValueError):
    """The configured warehouse URL cannot be used."""


def resolve_database_url(url: str | None = None) -> str:
    """Return the warehouse URL: the argument, else ``MOO_MARKETS_DATABASE_URL`` (the
    settings), else a local SQLite file.

    Plain ``postgresql://`` URLs are mapped to psycopg 3, the driver whose COPY
    support the bulk writer uses (Dagster's own storage keeps psycopg2).
    """
    if not url:
        from moo_markets.core.settings import load_settings

        url = load_settings().database_url_value or ""
    if not url:
        path = (Path.cwd() / DEFAULT_SQLITE_FILE).resolve()
        return f"sqlite:///{path}"
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def redact(url: str) -> str:
    """The URL with its password hidden, for logs and error messages."""
    return make_url(url).render_as_string(hide_password=True)


def get_engine(url: str | None = None) -> Engine:
    """One pooled engine per URL per process (connecting lazily; the schema is not touched)."""
    url = resolve_database_url(url)
    with _lock:
        engine = _engines.get(url)
        if engine is None:
            engine = _create_engine(url)
            _engines[url] = engine
    return engine


def dispose_engines() -> None:
    """Close every pooled connection (tests, forked workers)."""
    with _lock:
        for engine in _engines.values():
            engine.dispose()
        _engines.clear()


def _create_engine(url: str) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database or ""
        if database and database != ":memory:":
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        engine = sa.create_engine(url, connect_args={"timeout": 30})

        @sa.event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection, _record):  # noqa: ANN001
            # WAL lets the webserver read while a run writes; FKs are off by default in SQLite.
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.close()

        return engine
    if parsed.get_backend_name() == "postgresql":
        return sa.create_engine(url, pool_pre_ping=True, connect_args={"connect_timeout": 10})
    raise WarehouseConfigError(
        f"unsupported warehouse URL {redact(url)}: use sqlite:///PATH or postgresql://..."
    )


def check_not_dagster_storage(engine: Engine) -> None:
    """Refuse the database holding Dagster's own storage (its ``jobs`` table collides)."""
    tables = set(sa.inspect(engine).get_table_names())
    if DAGSTER_MARKER_TABLES <= tables:
        raise WarehouseConfigError(
            f"{redact(str(engine.url))} holds Dagster's own storage (tables runs, event_logs, "
            "instance_info). Give moo_markets its own database or schema: Dagster's `jobs` "
            "table would collide with the scheduler mirror's."
        )

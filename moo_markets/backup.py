"""``moo-markets backup PATH`` / ``moo-markets restore PATH`` for the warehouse.

Uses each database's own tools: SQLite's online backup API (a consistent copy
while Dagster may be writing) and ``pg_dump``/``pg_restore`` in custom format
for PostgreSQL. Covers everything in the moo_markets database: market data,
the scheduler mirror (jobs, job_executions) and the schema version. Dagster's
own storage (run history, schedule toggles) is a separate database: back it up
with your PostgreSQL tooling. Restore first checks that the file is a
moo_markets backup (its schema version table), before the target is touched.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import sqlite3
import subprocess
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import make_url

from moo_markets.warehouse.engine import (
    DAGSTER_MARKER_TABLES,
    VERSION_TABLE,
    WarehouseConfigError,
    check_not_dagster_storage,
    dispose_engines,
    get_engine,
    redact,
    resolve_database_url,
)

_TOC_TABLE = re.compile(r"^\d+; \d+ \d+ TABLE \S+ (\S+) ", re.MULTILINE)
"""A table in ``pg_restore --list``: ``ID; OID OID TABLE schema name owner``."""


class BackupError(RuntimeError):
    """A backup or restore could not be done; nothing was changed."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("path", type=Path, help="backup file")
    parser.add_argument(
        "--database-url", default=None, help="warehouse URL (default $MOO_MARKETS_DATABASE_URL)"
    )


def run(args: argparse.Namespace) -> int:
    url = resolve_database_url(args.database_url)
    try:
        if args.command == "backup":
            backup(url, args.path)
            print(f"backed up {redact(url)} to {args.path}")
        else:
            restore(url, args.path)
            print(f"restored {args.path} into {redact(url)}")
    except (BackupError, WarehouseConfigError) as exc:
        print(f"error: {exc}")
        return 1
    except sa.exc.OperationalError as exc:
        print(f"error: cannot reach {redact(url)}: {exc.orig}")
        return 1
    return 0


def backup(url: str, path: Path) -> None:
    url = resolve_database_url(url)
    check_not_dagster_storage(get_engine(url))
    path.parent.mkdir(parents=True, exist_ok=True)
    if make_url(url).get_backend_name() == "sqlite":
        _sqlite_copy(make_url(url).database, str(path))
    else:
        _pg_tool(
            "pg_dump",
            url,
            ["--format=custom", "--no-owner", "--no-privileges", "--file", str(path)],
        )


def restore(url: str, path: Path) -> None:
    """Replace the warehouse's contents with the backup's, in one go."""
    url = resolve_database_url(url)
    if not path.is_file():
        raise BackupError(f"no backup file at {path}")
    sqlite = make_url(url).get_backend_name() == "sqlite"
    # The file first: a file that is no moo_markets backup must not touch the target.
    if sqlite:
        _check_sqlite_backup(path)
    else:
        _check_postgres_backup(path)
    check_not_dagster_storage(get_engine(url))  # before anything is overwritten
    dispose_engines()
    if sqlite:
        _sqlite_copy(str(path), make_url(url).database)
    else:
        _pg_tool(
            "pg_restore",
            url,
            [
                "--clean",
                "--if-exists",
                "--no-owner",
                "--no-privileges",
                "--single-transaction",
                str(path),
            ],
        )
    dispose_engines()


def _sqlite_copy(source: str, target: str) -> None:
    with sqlite3.connect(source) as src, sqlite3.connect(target) as dst:
        src.backup(dst)
    src.close()
    dst.close()


def _check_sqlite_backup(path: Path) -> None:
    try:
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as connection:
            tables = {
                r[0]
                for r in connection.execute("SELECT name FROM sqlite_master WHERE type='table'")
            }
        connection.close()
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"{path} is not a SQLite database: {exc}") from None
    if VERSION_TABLE not in tables:
        raise BackupError(f"{path} is not a moo_markets backup (no {VERSION_TABLE} table)")


def _check_postgres_backup(path: Path) -> None:
    """Refuse anything but a ``pg_dump --format=custom`` archive of a moo_markets database.

    Reads only the archive's table of contents (``pg_restore --list``, no
    database involved): it must hold the moo_markets schema version table, and
    must not be Dagster's storage (a dump of it restored into the warehouse
    would otherwise add Dagster's tables, or collide on ``jobs``).
    """
    listing = _run_tool("pg_restore", ["--list", str(path)])
    if listing.returncode != 0:
        reason = listing.stderr.strip().removeprefix("pg_restore: error: ")
        raise BackupError(
            f"{path} is not a moo_markets backup (pg_restore cannot read it as a custom-format "
            f"archive: {reason})"
        )
    tables = {match.group(1) for match in _TOC_TABLE.finditer(listing.stdout)}
    if VERSION_TABLE not in tables:
        raise BackupError(f"{path} is not a moo_markets backup (no {VERSION_TABLE} table)")
    if DAGSTER_MARKER_TABLES <= tables:
        raise BackupError(
            f"{path} is not a moo_markets backup: it holds Dagster's storage (tables "
            "runs, event_logs, instance_info)"
        )


def _run_tool(
    tool: str, arguments: list[str], env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    executable = shutil.which(tool)
    if executable is None:
        raise BackupError(f"{tool} not found: install the PostgreSQL client tools")
    return subprocess.run(
        [executable, *arguments], env=env, capture_output=True, text=True, check=False
    )


def _pg_tool(tool: str, url: str, arguments: list[str]) -> None:
    """Run pg_dump/pg_restore; the password travels in PGPASSWORD, never on the command line."""
    parsed = make_url(url)
    env = {**os.environ}
    if parsed.password:
        env["PGPASSWORD"] = str(parsed.password)
    dsn = sa.engine.URL.create(
        "postgresql",
        username=parsed.username,
        host=parsed.host,
        port=parsed.port,
        database=parsed.database,
        query=parsed.query,
    ).render_as_string(hide_password=False)
    result = _run_tool(tool, ["--dbname", dsn, *arguments], env)
    if result.returncode != 0:
        raise BackupError(f"{tool} failed ({result.returncode}): {result.stderr.strip()[-2000:]}")

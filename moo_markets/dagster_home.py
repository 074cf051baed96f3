"""Dagster's storage created by one process before any Dagster process starts.

On a fresh ``DAGSTER_HOME`` with SQLite storage, every process that opens the instance
(webserver, daemon, code server, ``dagster instance ...``) creates the storage's
databases (``history/runs.db``, ``history/runs/index.db``, ``schedules/schedules.db``)
and stamps their Alembic revision itself, with no lock between processes (Dagster
1.13.27). Two processes doing it at the same moment can stamp two revisions into one
``alembic_version`` table (one sees the other's tables but not yet its stamp, and stamps
the "pre-SQLAlchemy-2" revision), and from then on every open of that home fails with
Alembic's "Version table 'alembic_version' has more than one head present". Three
processes opening one fresh home at once failed, or broke the home, in 7 trials of 8.

Opening the instance once, here, before starting the others creates and stamps every
database; later opens only read the revision. The same holds for PostgreSQL storage,
whose first open creates the tables too.
"""

from __future__ import annotations

import fcntl
import logging
from pathlib import Path

LOCK_FILE = ".storage-init.lock"


def initialise_storage(home: Path) -> None:
    """Create (or just open) the storage of the instance configured in ``home/dagster.yaml``.

    Call it before starting any process that opens the instance. The lock makes two
    callers on the same home (two starts at once) take turns.
    """
    import dagster as dg

    # Dagster's SQLite storages log their Alembic bookkeeping at INFO when created: a
    # healthy start prints nothing of it (the caller's own level is given back after).
    alembic = logging.getLogger("alembic")
    level = alembic.level
    alembic.setLevel(logging.WARNING)
    home.mkdir(parents=True, exist_ok=True)
    try:
        with open(home / LOCK_FILE, "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            with dg.DagsterInstance.from_config(str(home)):
                pass
    finally:
        alembic.setLevel(level)

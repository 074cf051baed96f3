"""Why moo_markets stopped a run, kept where both the SQL mirror and the REST API read it.

Dagster's GraphQL has no way to attach a message to a cancellation
(``MARK_AS_CANCELED_IMMEDIATELY`` writes a fixed, generic text), so the
reason a moo_markets component had ("run worker process 7201 is gone") is
recorded in the warehouse table ``run_stop_reasons`` by whoever stops the
run, before it stops it. The core rule "a recorded reason wins, else
Dagster's cancel message" then gives the same text on both sides.
Dagster-free: the REST API writes here too.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping

import sqlalchemy as sa

from moo_markets.core.time import now_jst
from moo_markets.warehouse.schema import run_stop_reasons

STOPPED_BY_API = "rest_api"
STOPPED_BY_SENSOR = "stuck_run_sensor"


def record(
    connection: sa.Connection,
    reasons: Mapping[str, str],
    stopped_by: str,
    now: dt.datetime | None = None,
) -> None:
    """Store (or replace) the reason of each run id (caller's transaction)."""
    if not reasons:
        return
    now = now or now_jst()
    connection.execute(
        sa.delete(run_stop_reasons).where(run_stop_reasons.c.run_id.in_(list(reasons)))
    )
    connection.execute(
        sa.insert(run_stop_reasons),
        [
            {"run_id": run_id, "reason": reason, "stopped_by": stopped_by, "recorded_at": now}
            for run_id, reason in reasons.items()
        ],
    )


def read(connection: sa.Connection, run_ids: Iterable[str]) -> dict[str, str]:
    ids = list(dict.fromkeys(run_ids))
    found: dict[str, str] = {}
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        found.update(
            connection.execute(
                sa.select(run_stop_reasons.c.run_id, run_stop_reasons.c.reason).where(
                    run_stop_reasons.c.run_id.in_(chunk)
                )
            ).all()
        )
    return found


def forget(connection: sa.Connection, run_ids: Iterable[str]) -> None:
    """Drop the reasons of runs that were not stopped after all, or were deleted."""
    ids = list(run_ids)
    for start in range(0, len(ids), 500):
        connection.execute(
            sa.delete(run_stop_reasons).where(
                run_stop_reasons.c.run_id.in_(ids[start : start + 500])
            )
        )

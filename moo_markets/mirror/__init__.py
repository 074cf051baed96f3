"""The scheduler mirror: Dagster's schedules and runs as the documented ``jobs`` and
``job_executions`` tables, for SQL reports and the older front end.

Dagster stays the source of truth; the mirror only follows it (``sync``, over
``jobs`` and ``runs``), driven by a cursor sensor (``sensor``) and, on demand,
``moo-markets mirror sync``.
"""

from moo_markets.mirror.sensor import SENSOR_NAME, build_definitions, build_sensor
from moo_markets.mirror.sync import SyncSummary, sync

__all__ = ["SENSOR_NAME", "SyncSummary", "build_definitions", "build_sensor", "sync"]

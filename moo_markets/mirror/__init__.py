"""The scheduler mirror: Dagster's schedules and runs as the documented ``jobs`` and
``job_executions`` tables, for SQL reports and the older front end.

Dagster stays the source of truth; the mirror only follows it (``sync``, over
``jobs`` and ``runs``), driven by a cursor sensor (``sensor``) and, on demand,
``moo-markets mirror sync``. The package itself imports nothing, so the
``moo-markets`` commands start without loading Dagster until they need it.
"""

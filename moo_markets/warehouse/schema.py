"""Tables of the moo_markets warehouse.

One SQLAlchemy ``MetaData`` describes everything moo_markets owns in its own
database: the market data it ingests and the scheduler mirror that SQL users
and the older front end read. Migrations under ``migrations/`` create exactly
these tables; the tests compare the two.

The market-data tables are built from the dataset specs
(``moo_markets/datasets``), which declare each column's type so nothing is
silently rounded: prices, adjusted volumes and factors are ``NUMERIC`` (exact
decimals), share volume and turnover are ``BIGINT`` (J-Quants turnover
exceeds 2**31), codes are strings (codes such as ``130A0`` hold letters).
Each of them, and the trading calendar, keeps its earlier versions in
``<table>_revisions`` and its load times in ``<table>_loads``
(``warehouse/revisions.py``).
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Date,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    false,
)

from moo_markets.datasets.daily_bars import SPEC as DAILY_BARS_SPEC
from moo_markets.datasets.registry import SPECS
from moo_markets.datasets.tables import build_table
from moo_markets.warehouse.revisions import History, add_history
from moo_markets.warehouse.types import TokyoDateTime

metadata = MetaData()

trading_calendar = Table(
    "trading_calendar",
    metadata,
    Column("date", Date, primary_key=True),
    Column(
        "hol_div",
        String(1),
        nullable=False,
        comment="0 closed, 1 business day, 2 half-day session, 3 closed with OSE holiday trading",
    ),
)

DATASET_TABLES: dict[str, Table] = {spec.name: build_table(spec, metadata) for spec in SPECS}
"""The table of every declared dataset (``moo_markets.datasets``), by dataset name, the
listed companies and daily bars included: their columns and types are declared in
``datasets/listed_companies.py`` and ``datasets/daily_bars.py``."""

listed_companies = DATASET_TABLES["listed_companies"]
daily_bars = DATASET_TABLES["daily_bars"]

HISTORIES: dict[str, History] = {
    **{
        spec.table: add_history(
            DATASET_TABLES[spec.name], spec.partition_column or spec.key_columns[0]
        )
        for spec in SPECS
    },
    trading_calendar.name: add_history(trading_calendar),
}
"""Every market-data table's ``_revisions`` and ``_loads`` companions, by table name
(``warehouse/revisions.py``): generated from the same declarations, never written by hand."""

BAR_COLUMNS: dict[str, str] = {
    f.source: f.column for f in DAILY_BARS_SPEC.columns if f.source not in ("Date", "Code")
}
"""J-Quants daily-bar field -> warehouse column, in J-Quants order (``daily_bars/rows.py``)."""

# The scheduler mirror. Times are ``timestamp with time zone`` on PostgreSQL and ISO 8601
# text with the +09:00 offset on SQLite (``TokyoDateTime``). Columns, types, nullability, defaults and the index are
# exactly the documented schema of the app this replaces; run_id,
# partition_key and dagster_status are additions that link a row to its run.
jobs = Table(
    "jobs",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", String(255), nullable=False),
    Column("description", Text),
    Column("job_type", String(50), nullable=False, unique=True),
    Column("schedule", String(255), nullable=False, comment="cron"),
    Column("is_enabled", Boolean, nullable=False, server_default=false()),
    Column("last_run_at", TokyoDateTime()),
    Column("next_run_at", TokyoDateTime()),
    Column("inserted_at", TokyoDateTime(), nullable=False),
    Column("updated_at", TokyoDateTime(), nullable=False),
)

job_executions = Table(
    "job_executions",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("job_id", Integer, ForeignKey("jobs.id"), nullable=False),
    Column("started_at", TokyoDateTime(), nullable=False),
    Column("completed_at", TokyoDateTime()),
    Column("status", String(50), nullable=False, comment="running, completed, failed, stopped"),
    Column("error_message", Text),
    Column("inserted_at", TokyoDateTime(), nullable=False),
    Column("updated_at", TokyoDateTime(), nullable=False),
    Column("run_id", String(64), nullable=False, unique=True, comment="Dagster run id"),
    Column("partition_key", String(64)),
    Column("dagster_status", String(32)),
    Index("job_executions_job_id_idx", "job_id"),
)

run_stop_reasons = Table(
    "run_stop_reasons",
    metadata,
    Column("run_id", String(64), primary_key=True, comment="Dagster run id"),
    Column("reason", Text, nullable=False),
    Column("stopped_by", String(64), nullable=False, comment="rest_api, stuck_run_sensor, ..."),
    Column("recorded_at", TokyoDateTime(), nullable=False),
    comment="Why moo_markets stopped a run: Dagster's GraphQL cannot attach a message to a "
    "cancellation, so the SQL mirror and the REST API read the reason here",
)

schedule_overrides = Table(
    "schedule_overrides",
    metadata,
    Column(
        "job_id", Integer, primary_key=True, autoincrement=False, comment="catalog id, as jobs.id"
    ),
    Column("cron", String(255), nullable=False, comment="5 fields, Asia/Tokyo"),
    Column("set_by", String(255), nullable=False, comment="rest_api (client address), cli (user)"),
    Column("set_at", TokyoDateTime(), nullable=False),
    comment="Crons set at runtime (PUT /api/scheduler/jobs/:id/schedule, moo-markets schedule "
    "set); the code location reads them when it loads. No row: the environment or the "
    "catalog default applies",
)

bulk_files = Table(
    "bulk_files",
    metadata,
    Column("key", String(512), primary_key=True, comment="J-Quants bulk file key"),
    Column("endpoint", String(128), nullable=False, comment="e.g. /equities/bars/daily"),
    Column("first_date", Date, nullable=False, comment="first day the file covers"),
    Column("last_date", Date, nullable=False, comment="last day the file covers"),
    Column("last_modified", TokyoDateTime(), nullable=False, comment="from /bulk/list"),
    Column("size", BigInteger, comment="bytes (compressed), from /bulk/list"),
    Column("rows", BigInteger, nullable=False, comment="rows stored from the file"),
    Column("loaded_at", TokyoDateTime(), nullable=False),
    Column("run_id", String(64), comment="Dagster run that loaded it"),
    comment="J-Quants bulk files loaded into the warehouse; a file whose LastModified "
    "changed since is loaded again",
)

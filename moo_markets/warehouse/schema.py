"""Tables of the moo_markets warehouse.

One SQLAlchemy ``MetaData`` describes everything moo_markets owns in its own
database: the market data it ingests and the scheduler mirror that SQL users
and the older front end read. Migrations under ``migrations/`` create exactly
these tables; the tests compare the two.

Column types are chosen so nothing is silently rounded: prices, adjusted
volumes and factors are ``NUMERIC`` (exact decimals), share volume and
turnover are ``BIGINT`` (J-Quants turnover exceeds 2**31), codes are strings
(codes such as ``130A0`` hold letters).
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
    Numeric,
    String,
    Table,
    Text,
    false,
)

from moo_markets.datasets.registry import SPECS
from moo_markets.datasets.tables import build_table
from moo_markets.warehouse.types import TokyoDateTime

metadata = MetaData()

PRICE = Numeric(20, 6)
"""Prices: raw ticks are at most 0.1 yen, adjusted prices carry more decimals."""

ADJ_VOLUME = Numeric(24, 6)
"""Adjusted volume is raw volume divided by split factors, so it can be fractional."""

listed_companies = Table(
    "listed_companies",
    metadata,
    Column("date", Date, primary_key=True, comment="snapshot date (J-Quants Date)"),
    Column("code", String(5), primary_key=True),
    Column("company_name", Text, nullable=False),
    Column("company_name_en", Text),
    Column("sector17_code", String(4)),
    Column("sector17_name", Text),
    Column("sector33_code", String(4)),
    Column("sector33_name", Text),
    Column("scale_category", Text),
    Column("market_code", String(4)),
    Column("market_name", Text),
    Column("margin_code", String(2)),
    Column("margin_name", Text),
    Column("product_category", String(8)),
    comment="J-Quants /equities/master snapshots, one per date",
)

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

# (J-Quants field, column, SQL type). Order is the J-Quants order; session fields
# exist only on Premium plans and are NULL otherwise.
_BAR_FIELDS: list[tuple[str, str, object]] = [
    ("O", "open", PRICE),
    ("H", "high", PRICE),
    ("L", "low", PRICE),
    ("C", "close", PRICE),
    ("UL", "upper_limit", String(1)),
    ("LL", "lower_limit", String(1)),
    ("Vo", "volume", BigInteger),
    ("Va", "turnover_value", BigInteger),
    ("AdjFactor", "adjustment_factor", Numeric(18, 10)),
    ("AdjO", "adj_open", PRICE),
    ("AdjH", "adj_high", PRICE),
    ("AdjL", "adj_low", PRICE),
    ("AdjC", "adj_close", PRICE),
    ("AdjVo", "adj_volume", ADJ_VOLUME),
]
for _prefix, _session in (("M", "morning"), ("A", "afternoon")):
    _BAR_FIELDS += [
        (f"{_prefix}O", f"{_session}_open", PRICE),
        (f"{_prefix}H", f"{_session}_high", PRICE),
        (f"{_prefix}L", f"{_session}_low", PRICE),
        (f"{_prefix}C", f"{_session}_close", PRICE),
        (f"{_prefix}UL", f"{_session}_upper_limit", String(1)),
        (f"{_prefix}LL", f"{_session}_lower_limit", String(1)),
        (f"{_prefix}Vo", f"{_session}_volume", BigInteger),
        (f"{_prefix}Va", f"{_session}_turnover_value", BigInteger),
        (f"{_prefix}AdjO", f"{_session}_adj_open", PRICE),
        (f"{_prefix}AdjH", f"{_session}_adj_high", PRICE),
        (f"{_prefix}AdjL", f"{_session}_adj_low", PRICE),
        (f"{_prefix}AdjC", f"{_session}_adj_close", PRICE),
        (f"{_prefix}AdjVo", f"{_session}_adj_volume", ADJ_VOLUME),
    ]

BAR_COLUMNS: dict[str, str] = {field: column for field, column, _ in _BAR_FIELDS}
"""J-Quants daily-bar field -> warehouse column."""

daily_bars = Table(
    "daily_bars",
    metadata,
    Column("date", Date, primary_key=True),
    Column("code", String(5), primary_key=True),
    *(Column(column, type_) for _, column, type_ in _BAR_FIELDS),
    comment="J-Quants /equities/bars/daily; no-trade days keep NULL prices and volume",
)

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

DATASET_TABLES: dict[str, Table] = {spec.name: build_table(spec, metadata) for spec in SPECS}
"""The table of every declared dataset (``moo_markets.datasets``), by dataset name."""

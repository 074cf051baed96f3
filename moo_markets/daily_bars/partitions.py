"""Daily partitions of the bars, one per Asia/Tokyo calendar day.

Every calendar day is a partition, not only business days: the exchange
calendar comes from J-Quants and changes (it is published a year ahead and
can be revised), while a partitions definition must be fixed in code. A
non-business day therefore exists as a partition and materializes as an
explicit "no session" result without calling the bars endpoint.

``end_offset=1`` makes today's partition exist on day D itself, so the
evening schedule tick on D can ask for D (J-Quants publishes D's bars at
about 16:30 JST on D).
"""

from __future__ import annotations

import datetime as dt

import dagster as dg

from moo_markets.core.catalog import TIMEZONE

FIRST_DAY = dt.date(2008, 5, 7)
"""J-Quants has no daily bars before 2008-05-07."""

DAILY_PARTITIONS = dg.DailyPartitionsDefinition(
    start_date=FIRST_DAY.isoformat(), timezone=TIMEZONE, end_offset=1
)


def partition_date(key: str) -> dt.date:
    """The calendar day a partition key (``YYYY-MM-DD``) stands for."""
    return dt.date.fromisoformat(key)


def partition_key(day: dt.date) -> str:
    return day.isoformat()

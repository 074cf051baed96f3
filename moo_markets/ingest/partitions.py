"""Dagster partitions of the declared datasets, by their :class:`Partitioning`.

Daily datasets share the weekday partitions of daily bars (one key
``YYYY-MM-DD`` per weekday; holidays are partitions fetched as "no session"),
so a day means the same in every asset. Weekly ones are keyed by the week's
Monday; latest snapshots have none.

J-Quants' monthly bulk files hold the rows of a calendar month (by the
partition field), so a range run maps months to partitions here: which months
its partitions cover whole (:func:`whole_months`) and which month holds all the
days of a partition (:func:`month_of`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import dagster as dg

from moo_markets.core.catalog import TIMEZONE
from moo_markets.core.time import month_bounds
from moo_markets.daily_bars.partitions import DAILY_PARTITIONS
from moo_markets.daily_bars.partitions import whole_months as whole_months_of_days
from moo_markets.datasets.spec import DatasetSpec, Partitioning

WEEKLY_PARTITIONS = dg.TimeWindowPartitionsDefinition(
    start="2008-05-05",  # the Monday of the week of FIRST_DAY, J-Quants' first day
    fmt="%Y-%m-%d",
    cron_schedule="0 0 * * 1",
    timezone=TIMEZONE,
    end_offset=1,
)
"""Weeks Monday..Sunday (Asia/Tokyo); ``end_offset=1`` makes the current week exist."""


def partitions_for(spec: DatasetSpec) -> dg.PartitionsDefinition | None:
    if spec.partitioning in (Partitioning.BUSINESS_DAY, Partitioning.DISCLOSURE_DATE):
        return DAILY_PARTITIONS
    if spec.partitioning is Partitioning.WEEKLY:
        return WEEKLY_PARTITIONS
    return None


def whole_months(spec: DatasetSpec, keys: Sequence[str]) -> list[dt.date]:
    """First days of the months every day of which lies in a partition of ``keys``: the
    months a range run may take from monthly bulk files. Daily partitions: every weekday
    of the month. Weekly ones: every day (a week runs Monday..Sunday, and a file holds the
    rows published on any day of its month), so the weeks at either end of a range that
    reach into a month only partly leave that month to REST."""
    if spec.partitioning is Partitioning.WEEKLY:
        covered: set[dt.date] = set()
        for key in keys:
            first, last = spec.partition_days(key)
            assert first is not None and last is not None
            covered.update(first + dt.timedelta(days=i) for i in range((last - first).days + 1))
        out = []
        for month in sorted({d.replace(day=1) for d in covered}):
            first, last = month_bounds(month)
            if all(first + dt.timedelta(days=i) in covered for i in range(last.day)):
                out.append(month)
        return out
    if partitions_for(spec) is DAILY_PARTITIONS:
        return whole_months_of_days([d for k in keys if (d := spec.partition_days(k)[0])])
    return []


def month_of(spec: DatasetSpec, key: str) -> dt.date | None:
    """The month (first day) holding every day of the partition; None when it straddles
    two months (a week from a Monday late in one month to a Sunday in the next)."""
    first, last = spec.partition_days(key)
    if first is None or last is None or first.replace(day=1) != last.replace(day=1):
        return None
    return first.replace(day=1)

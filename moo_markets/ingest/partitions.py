"""Dagster partitions of the declared datasets, by their :class:`Partitioning`.

Daily datasets share the weekday partitions of daily bars (one key
``YYYY-MM-DD`` per weekday; holidays are partitions fetched as "no session"),
so a day means the same in every asset. Weekly ones are keyed by the week's
Monday; latest snapshots have none.
"""

import dagster as dg

from moo_markets.core.catalog import TIMEZONE
from moo_markets.daily_bars.partitions import DAILY_PARTITIONS
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

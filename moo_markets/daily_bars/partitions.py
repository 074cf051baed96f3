"""Partitions of the bars: one per weekday (Asia/Tokyo), keyed ``YYYY-MM-DD``.

Weekends are not partitions: the TSE never trades on them, so they would only
show as "Missing" forever and count against "% filled". Holidays on weekdays
are partitions: the exchange calendar comes from J-Quants and changes (it is
published a year ahead and can be revised), while a partitions definition
must be fixed in code. Such a day materializes as an explicit "no session"
result without calling the bars endpoint.

Built from the cron ``0 0 * * 1-5`` rather than ``DailyPartitionsDefinition``
with weekend ``exclusions``: with ``end_offset=1`` (below) the excluded form
makes next Monday's partition appear on Saturday, while in the cron form
Friday's window runs until Monday 00:00, so the newest partition on a weekend
is still Friday. The keys are those of the earlier calendar-day partitions
for every weekday, so stored data and run history keep their keys.

``end_offset=1`` makes today's partition exist on day D itself, so the
evening schedule tick on D can ask for D (J-Quants publishes D's bars at
about 16:30 JST on D).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import dagster as dg

from moo_markets.core import plans
from moo_markets.core.catalog import DAILY_BARS, TIMEZONE
from moo_markets.core.time import month_bounds

FIRST_DAY = dt.date(2008, 5, 7)
"""J-Quants has no daily bars before 2008-05-07."""

KEY_FORMAT = "%Y-%m-%d"

DAILY_PARTITIONS = dg.TimeWindowPartitionsDefinition(
    start=FIRST_DAY.strftime(KEY_FORMAT),
    fmt=KEY_FORMAT,
    cron_schedule="0 0 * * 1-5",
    timezone=TIMEZONE,
    end_offset=1,
)


def partition_date(key: str) -> dt.date:
    """The calendar day a partition key (``YYYY-MM-DD``) stands for."""
    return dt.date.fromisoformat(key)


def partition_key(day: dt.date) -> str:
    return day.isoformat()


def is_partition_day(day: dt.date) -> bool:
    """Whether ``day`` has a partition (a weekday on or after :data:`FIRST_DAY`)."""
    return day >= FIRST_DAY and day.weekday() < 5


def whole_months(days: Sequence[dt.date]) -> list[dt.date]:
    """First days of the months all of whose partition days (weekdays) are in ``days``: the
    months a backfill may take from J-Quants' monthly bulk files (daily bars, every daily
    dataset and the master's history)."""
    wanted = set(days)
    months = sorted({d.replace(day=1) for d in days})
    out = []
    for month in months:
        first, last = month_bounds(month)
        span = (first + dt.timedelta(days=i) for i in range((last - first).days + 1))
        if all(d in wanted for d in span if is_partition_day(d)):
            out.append(month)
    return out


def within_plan(days: list[dt.date], plan: str, today: dt.date) -> tuple[list[dt.date], str | None]:
    """The run's days the plan's history window holds, and one line naming the others
    (None when there are none). J-Quants answers a day outside the window with HTTP 400
    (the Free plan: anything newer than 12 weeks), so such a day is never requested."""
    window = plans.history_window(plan, today)
    outside = [d for d in days if not window.contains(d)]
    inside = [d for d in days if window.contains(d)]
    if not outside:
        return inside, None
    return inside, plans.outside_window_message(DAILY_BARS.path, sorted(outside), window)

"""The stored TSE trading calendar: fetched from J-Quants when a run needs days it lacks.

Three assets need it: ``trading_calendar`` refreshes it on request,
``daily_bars`` needs the session type of every day it fetches, and
``listed_companies`` makes sure it covers the snapshot's day, so the
calendar-aware freshness checks can tell late data from a holiday right after
a first run. A refresh done inside another asset's step is logged as a
materialization of ``trading_calendar`` with the same metadata, so the asset's
history says when the stored table last changed and partitions materialized
after it are not shown as having a new, never-materialized input.

The calendar is published a year ahead (next year's around the end of March),
so a refresh is needed only when a run reaches past it; materialize
``trading_calendar`` to pick up a revision earlier.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Sequence

import dagster as dg

from moo_markets.core.time import today_jst
from moo_markets.daily_bars import store
from moo_markets.jquants import JQuantsResource
from moo_markets.metadata import markdown_table
from moo_markets.warehouse.resource import WarehouseResource

ASSET_KEY = dg.AssetKey("trading_calendar")
DESCRIPTION = (
    "TSE trading calendar from J-Quants (/markets/calendar), stored in the warehouse table "
    "`trading_calendar` (HolDiv 1 business day, 2 half day, 0/3 closed). Fetched whenever a "
    "run needs a day beyond the stored calendar (daily_bars for its days, listed_companies for "
    "its snapshot); materialize it to pick up a revision."
)


def refresh(jquants: JQuantsResource, warehouse: WarehouseResource) -> dict[str, object]:
    """Replace the stored calendar with J-Quants' and return the materialization metadata."""
    started = time.monotonic()
    rows = jquants.trading_calendar()
    if not rows:
        raise dg.Failure("J-Quants returned an empty trading calendar; the stored one is kept")
    with warehouse.begin() as connection:
        count = store.replace_calendar(connection, rows)
        today = today_jst()
        upcoming = store.hol_divs(connection, today, today + dt.timedelta(days=14))
    dates = sorted(str(r["Date"]) for r in rows)
    business = sum(1 for r in rows if store.is_business_day(str(r["HolDiv"])))
    return {
        "dagster/row_count": count,
        "first_date": dates[0],
        "last_date": dates[-1],
        "business_days": business,
        "duration_seconds": round(time.monotonic() - started, 3),
        "next_two_weeks": dg.MetadataValue.md(
            markdown_table(
                [
                    {"date": d.isoformat(), "weekday": d.strftime("%a"), "hol_div": h}
                    for d, h in sorted(upcoming.items())
                ],
                ["date", "weekday", "hol_div"],
                limit=15,
            )
        ),
    }


def describe(metadata: dict[str, object]) -> str:
    return (
        f"stored {metadata['dagster/row_count']} calendar days {metadata['first_date']}.."
        f"{metadata['last_date']} ({metadata['business_days']} sessions)"
    )


def hol_divs_for(
    context: dg.AssetExecutionContext,
    jquants: JQuantsResource,
    warehouse: WarehouseResource,
    days: Sequence[dt.date],
    required: bool = True,
) -> dict[dt.date, str]:
    """HolDiv of every day in ``days`` (sorted), refreshing the stored calendar once if needed.

    A refresh is logged as a ``trading_calendar`` materialization. When
    ``required``, raises ``dg.Failure`` if J-Quants' calendar lacks days too.
    """
    with warehouse.begin() as connection:
        known = store.hol_divs(connection, days[0], days[-1])
    missing = [d for d in days if d not in known]
    if not missing:
        return known
    context.log.info(
        f"{len(missing)} requested day(s) from {missing[0]} are not in the stored trading "
        "calendar: refreshing it from J-Quants"
    )
    metadata = refresh(jquants, warehouse)
    context.log_event(dg.AssetMaterialization(asset_key=ASSET_KEY, metadata=metadata))
    context.log.info(describe(metadata))
    with warehouse.begin() as connection:
        known = store.hol_divs(connection, days[0], days[-1])
        first, last = store.calendar_bounds(connection)
    missing = [d for d in days if d not in known]
    if missing and required:
        raise dg.Failure(
            f"{len(missing)} requested day(s), first {missing[0]}, are not in J-Quants' trading "
            f"calendar (it covers {first} to {last}); nothing was fetched"
        )
    return known

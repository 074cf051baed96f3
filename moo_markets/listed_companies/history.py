"""The master's history: the snapshots of every business day of ``start..end`` in one run.

J-Quants keeps a master snapshot per business day. A run with ``start``/``end`` stores them
all: whole months from the master's monthly bulk files (``/equities/master``; a file holds
each business day's snapshot of its month, the same rows the REST endpoint answers for that
date) through ``warehouse/bulk_files.py``, one transaction per month with its
``bulk_files`` record (an unchanged file is not downloaded again, a changed one is); the
other days by REST, one request and one transaction per business day, as a single-date run
stores its snapshot. Days are committed in order, so a failure keeps what came before it.

The file's rows are stored the way the REST path stores the master (``store.to_record``:
strings kept as J-Quants sent them, an empty text cell is ``""``), not by the generic
datasets' conversion.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import dagster as dg
import sqlalchemy as sa

from moo_markets.core.plans import history_window
from moo_markets.core.time import today_jst
from moo_markets.daily_bars import calendar
from moo_markets.daily_bars import store as calendar_store
from moo_markets.daily_bars.partitions import whole_months
from moo_markets.datasets.listed_companies import SPEC
from moo_markets.jquants import BulkFileError, JQuantsResource
from moo_markets.jquants.errors import JQuantsRequestError
from moo_markets.listed_companies import store
from moo_markets.metadata import markdown_table
from moo_markets.warehouse.bulk_files import MonthFile, load_month, plan_months, record_file
from moo_markets.warehouse.resource import WarehouseResource
from moo_markets.warehouse.schema import listed_companies as table

TEXT_FIELDS = frozenset(f.source for f in SPEC.columns if f.type.python is str)


def master_records(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [store.to_record(row) for row in rows]


@dataclass
class Loaded:
    """One month from a file, or one day by REST."""

    what: str
    """``YYYY-MM`` or ``YYYY-MM-DD``."""
    source: str
    """The bulk file's key, or "rest"."""
    snapshots: int
    rows: int
    requests: int
    unchanged: bool = False

    def row(self) -> dict[str, Any]:
        return {
            "period": self.what,
            "source": self.source.rsplit("/", 1)[-1],
            "snapshots": self.snapshots,
            "rows": self.rows,
            "requests": self.requests,
            "unchanged": "yes" if self.unchanged else "",
        }


def load_history(
    context: dg.AssetExecutionContext,
    jquants: JQuantsResource,
    warehouse: WarehouseResource,
    start: dt.date,
    end: dt.date,
    use_bulk: bool = True,
    reload_unchanged: bool = False,
) -> dg.MaterializeResult:
    started = time.monotonic()
    plan = jquants.effective_plan()
    window = history_window(plan, today_jst())
    last_allowed = window.last or today_jst()
    if start < window.first or end > last_allowed:
        raise dg.Failure(
            f"master history {start}..{end} was not requested: it reaches outside the J-Quants "
            f"history window ({window.describe()})",
            allow_retries=False,
        )
    days = [start + dt.timedelta(days=i) for i in range((end - start).days + 1)]
    hol_divs = calendar.hol_divs_for(context, jquants, warehouse, days)
    calendar.hol_divs_for(context, jquants, warehouse, [today_jst()], required=False)
    business = [d for d in days if calendar_store.is_business_day(hol_divs.get(d))]
    months: dict[dt.date, MonthFile] = {}
    if use_bulk and plan != "free" and whole_months(days):
        try:
            months = plan_months(
                jquants.client,
                SPEC.path,
                table,
                "date",
                whole_months(days),
                warehouse.engine,
                reload_unchanged,
            )
        except JQuantsRequestError as exc:
            context.log.warning(f"bulk files not available ({exc}); every day goes by REST")
    context.log.info(
        f"master history {start}..{end}: {len(business)} business day(s), "
        f"{len(months)} whole month(s) from bulk files"
    )
    loaded: list[Loaded] = []
    done: set[dt.date] = set()
    downloader = None
    try:
        for day in business:
            month = months.get(day.replace(day=1))
            if month is not None:
                if month.first in done:
                    continue
                done.add(month.first)
                if downloader is None:
                    downloader = jquants.client.bulk_downloader()
                loaded.append(_month(context, warehouse, downloader, month, hol_divs))
            else:
                loaded.append(_day(jquants, warehouse, day))
            context.log.info(
                f"{loaded[-1].what}: {loaded[-1].snapshots} snapshot(s), {loaded[-1].rows} rows "
                f"from {loaded[-1].source}"
            )
    finally:
        if downloader is not None:
            downloader.close()

    with warehouse.engine.connect() as connection:
        per_day = dict(
            connection.execute(
                sa.select(table.c.date, sa.func.count())
                .where(table.c.date.between(start, end))
                .group_by(table.c.date)
            ).all()
        )
    latest = max(per_day) if per_day else None
    client = jquants.client
    return dg.MaterializeResult(
        metadata={
            "dagster/row_count": per_day.get(latest, 0) if latest else 0,
            "snapshot_date": latest.isoformat() if latest else None,
            "history_start": start.isoformat(),
            "history_end": end.isoformat(),
            "snapshots": len(per_day),
            "rows": sum(per_day.values()),
            "months_from_bulk_files": sum(1 for x in loaded if x.source != "rest"),
            "days_by_rest": sum(1 for x in loaded if x.source == "rest"),
            "duration_seconds": round(time.monotonic() - started, 3),
            "jquants_requests": client.stats.requests,
            "jquants_retries": client.stats.retries,
            "loaded": dg.MetadataValue.md(
                markdown_table(
                    [x.row() for x in loaded],
                    ["period", "source", "snapshots", "rows", "requests", "unchanged"],
                    limit=len(loaded),
                )
            ),
            "rows_per_snapshot": dg.MetadataValue.json(
                {d.isoformat(): n for d, n in sorted(per_day.items())}
            ),
        }
    )


def _day(jquants: JQuantsResource, warehouse: WarehouseResource, day: dt.date) -> Loaded:
    before = jquants.client.stats.requests
    rows = jquants.listed_companies(day)
    if not rows:
        raise dg.Failure(
            f"J-Quants returned no listed companies for {day.isoformat()}; the snapshots "
            "stored before it in this run are kept"
        )
    records = [store.to_record(row) for row in rows]
    with warehouse.begin() as connection:
        store.replace_snapshots(connection, records)
    dates = {r["date"] for r in records}
    return Loaded(
        day.isoformat(), "rest", len(dates), len(records), jquants.client.stats.requests - before
    )


def _month(
    context: dg.AssetExecutionContext,
    warehouse: WarehouseResource,
    downloader: Any,
    month: MonthFile,
    hol_divs: Mapping[dt.date, str],
) -> Loaded:
    what = f"{month.first:%Y-%m}"
    if month.unchanged_rows is not None:
        with warehouse.engine.connect() as connection:
            snapshots = connection.execute(
                sa.select(sa.func.count(sa.distinct(table.c.date))).where(
                    table.c.date.between(month.first, month.last)
                )
            ).scalar_one()
        return Loaded(what, month.file.key, snapshots, month.unchanged_rows, 0, unchanged=True)
    with warehouse.begin() as connection:
        written = load_month(
            connection,
            SPEC,
            month.file.key,
            downloader.chunks(month.file),
            month.first,
            month.last,
            convert=master_records,
            keep_empty=TEXT_FIELDS,
        )
        dates = set(
            connection.execute(
                sa.select(table.c.date)
                .distinct()
                .where(table.c.date.between(month.first, month.last))
            ).scalars()
        )
        sessions = {
            d
            for d, h in hol_divs.items()
            if month.first <= d <= month.last and calendar_store.is_business_day(h)
        }
        if dates != sessions:
            missing = sorted(sessions - dates)
            extra = sorted(dates - sessions)
            raise BulkFileError(
                month.file.key,
                f"its snapshots do not match the business days of {what} (missing "
                f"{', '.join(map(str, missing[:5])) or 'none'}; not business days "
                f"{', '.join(map(str, extra[:5])) or 'none'}); nothing of {what} was written",
            )
        record_file(
            connection, SPEC.path, month.file, month.first, month.last, written, context.run_id
        )
    return Loaded(what, month.file.key, len(dates), written, 1)

"""The ``recheck`` asset: refetch the last N business days of the daily datasets.

Why: J-Quants corrects published data in place (a close fixed days later, a
restated statement, a split announced late that rewrites adjusted history) and
keeps no history. Rechecking the recent days catches those corrections while
they are fresh; every write goes through ``warehouse/replace.py``, so a
changed row keeps its earlier version in ``<table>_revisions`` and an
unchanged one leaves no trace.

What it refetches: the newest ``days`` business days the plan can see (stored
calendar; the Free plan's data end 12 weeks ago), for ``daily_bars`` (with its
split refetch) and every declared dataset partitioned by business day or
disclosure date that the plan includes. Only partitions already stored are
rechecked: loading new days is the fetch jobs' work. A day J-Quants has not
published (yet) is reported and skipped, not an error.

What it reports: the revisions its run wrote, counted per dataset, day and
kind (``updated``, ``deleted``, ``inserted``), in its MaterializeResult
metadata.

No ``from __future__ import annotations``: Dagster reads the annotations.
"""

import datetime as dt
import time
from collections import defaultdict
from typing import Any

import dagster as dg
import sqlalchemy as sa
from pydantic import Field

from moo_markets.core.catalog import RECHECK
from moo_markets.core.plans import history_window
from moo_markets.core.time import today_jst
from moo_markets.daily_bars import calendar, ingest
from moo_markets.daily_bars import store as bars_store
from moo_markets.datasets.registry import SPECS
from moo_markets.datasets.spec import ConversionError, DatasetSpec, Partitioning
from moo_markets.ingest import partition
from moo_markets.ingest import store as dataset_store
from moo_markets.jobs import stop_is_final
from moo_markets.jquants import JQuantsResource
from moo_markets.jquants_pool import JQUANTS_POOL
from moo_markets.metadata import markdown_table
from moo_markets.warehouse.replace import write_time
from moo_markets.warehouse.resource import WarehouseResource
from moo_markets.warehouse.revisions import CHANGE_KIND, LOADED_AT, SUPERSEDED_AT
from moo_markets.warehouse.schema import HISTORIES, daily_bars

DAILY = (Partitioning.BUSINESS_DAY, Partitioning.DISCLOSURE_DATE)


def daily_specs(plan: str) -> list[DatasetSpec]:
    """The generic datasets with one partition per day that ``plan`` includes."""
    return [
        s
        for s in SPECS
        if s.hook is None and s.partitioning in DAILY and s.unavailable_reason(plan) is None
    ]


def recent_days(hol_divs: dict[dt.date, str], last: dt.date, count: int) -> list[dt.date]:
    """The ``count`` newest business days up to ``last``, oldest first."""
    days = [d for d, h in sorted(hol_divs.items()) if d <= last and bars_store.is_business_day(h)]
    return days[-count:]


def _loaded(connection: sa.Connection, table: str, day: dt.date) -> bool:
    history = HISTORIES[table]
    loads = history.loads
    return (
        connection.execute(
            sa.select(loads.c[LOADED_AT]).where(loads.c[history.lead] == day)
        ).first()
        is not None
    )


def changes_since(
    connection: sa.Connection, table: str, since: dt.datetime
) -> dict[str, dict[str, int]]:
    """Revisions of ``table`` written since ``since``: day -> change kind -> rows."""
    history = HISTORIES[table]
    revisions = history.revisions
    lead = revisions.c[history.lead]
    counts: dict[str, dict[str, int]] = defaultdict(dict)
    for day, kind, rows in connection.execute(
        sa.select(lead, revisions.c[CHANGE_KIND], sa.func.count())
        .where(revisions.c[SUPERSEDED_AT] >= since)
        .group_by(lead, revisions.c[CHANGE_KIND])
    ):
        counts[day.isoformat()][kind] = rows
    return dict(counts)


def _recheck_bars(
    context: dg.AssetExecutionContext,
    jquants: JQuantsResource,
    warehouse: WarehouseResource,
    day: dt.date,
    hol_div: str,
) -> str:
    with warehouse.engine.connect() as connection:
        if not _loaded(connection, daily_bars.name, day):
            return "not stored"
    try:
        for result in ingest.ingest_days(
            [day], {day: hol_div}, jquants=jquants, engine=warehouse.engine
        ):
            if result.split_codes:
                context.log.info(
                    f"daily_bars {day}: splits {', '.join(result.split_codes)}, history "
                    f"refetched for {', '.join(result.refetched_codes) or 'none'}"
                )
    except ingest.NoBarsError as exc:
        return f"not published: {exc}"
    return "rechecked"


def _recheck_dataset(
    jquants: JQuantsResource,
    warehouse: WarehouseResource,
    spec: DatasetSpec,
    plan: str,
    day: dt.date,
    hol_div: str,
) -> str:
    if spec.partitioning is Partitioning.BUSINESS_DAY and hol_div not in spec.session_hol_divs:
        return "no session"
    with warehouse.engine.connect() as connection:
        if not _loaded(connection, spec.table, day):
            return "not stored"
    query = spec.query(day.isoformat())
    records = spec.records(partition.fetch(spec, jquants, plan, query))
    if spec.must_have_rows and not records:
        return "no rows from J-Quants: stored rows kept"
    with warehouse.begin() as connection:
        dataset_store.replace_partition(connection, spec, query.first, query.last, records)
    return "rechecked"


class RecheckConfig(dg.Config):
    days: int | None = Field(
        default=None,
        ge=1,
        le=60,
        description="Business days to refetch, the newest the plan can see "
        "(default: MOO_MARKETS_RECHECK_DAYS).",
    )
    until: str | None = Field(
        default=None,
        description="Newest day to recheck, YYYY-MM-DD (default: today in Tokyo, or the "
        "newest day the plan can see).",
    )


def build_asset(default_days: int) -> dg.AssetsDefinition:
    """The recheck asset; ``default_days`` comes from the settings when the location loads."""

    @dg.asset(
        name="recheck",
        group_name="jquants",
        kinds={"sql"},
        pool=JQUANTS_POOL,
        description=RECHECK.description,
    )
    @stop_is_final
    def recheck(
        context: dg.AssetExecutionContext,
        config: RecheckConfig,
        jquants: JQuantsResource,
        warehouse: WarehouseResource,
    ) -> dg.MaterializeResult:
        try:
            until = dt.date.fromisoformat(config.until) if config.until else None
        except ValueError:
            raise dg.Failure(f"until must be YYYY-MM-DD, got {config.until!r}") from None
        return run(context, jquants, warehouse, config.days or default_days, until)

    return recheck


def run(
    context: dg.AssetExecutionContext,
    jquants: JQuantsResource,
    warehouse: WarehouseResource,
    days: int,
    until: dt.date | None = None,
) -> dg.MaterializeResult:
    started_clock = time.monotonic()
    started = write_time()
    plan = jquants.effective_plan()
    today = today_jst()
    visible = history_window(plan, today).last or today
    last = min(until, visible) if until else visible
    span = [last - dt.timedelta(days=n) for n in range(days * 2 + 20, -1, -1)]
    weekdays = [d for d in span if d.weekday() < 5]
    hol_divs = calendar.hol_divs_for(context, jquants, warehouse, weekdays)
    chosen = recent_days(hol_divs, last, days)
    specs = daily_specs(plan)
    outcome: list[dict[str, Any]] = []
    for day in chosen:
        outcome.append(
            {
                "dataset": daily_bars.name,
                "day": day.isoformat(),
                "result": _recheck_bars(context, jquants, warehouse, day, hol_divs[day]),
            }
        )
        for spec in specs:
            try:
                result = _recheck_dataset(jquants, warehouse, spec, plan, day, hol_divs[day])
            except ConversionError as exc:
                raise dg.Failure(
                    f"J-Quants sent a value moo_markets cannot store exactly: {exc}"
                ) from None
            outcome.append({"dataset": spec.name, "day": day.isoformat(), "result": result})
    tables = [daily_bars.name, *(s.table for s in specs)]
    with warehouse.engine.connect() as connection:
        changes = {t: c for t in tables if (c := changes_since(connection, t, started))}
    by_day: dict[str, int] = defaultdict(int)
    by_dataset: dict[str, int] = {}
    rows = []
    for table, per_day in changes.items():
        by_dataset[table] = sum(sum(kinds.values()) for kinds in per_day.values())
        for day, kinds in sorted(per_day.items()):
            by_day[day] += sum(kinds.values())
            rows.append({"dataset": table, "day": day, **kinds})
    total = sum(by_dataset.values())
    context.log.info(
        f"rechecked {len(chosen)} day(s) ({', '.join(d.isoformat() for d in chosen)}) of "
        f"{len(tables)} dataset(s): {total} changed row(s)"
        + (f" ({', '.join(f'{k} {v}' for k, v in by_dataset.items())})" if total else "")
    )
    return dg.MaterializeResult(
        metadata={
            "changed_rows": total,
            "days": dg.MetadataValue.json([d.isoformat() for d in chosen]),
            "changed_rows_by_day": dg.MetadataValue.json(dict(sorted(by_day.items()))),
            "changed_rows_by_dataset": dg.MetadataValue.json(by_dataset),
            "changes": dg.MetadataValue.json(changes),
            "changes_table": dg.MetadataValue.md(
                markdown_table(rows, ["dataset", "day", "updated", "deleted", "inserted"])
            ),
            "partitions": dg.MetadataValue.md(
                markdown_table(outcome, ["dataset", "day", "result"], limit=200)
            ),
            "jquants_requests": jquants.client.stats.requests,
            "duration_seconds": round(time.monotonic() - started_clock, 3),
        }
    )

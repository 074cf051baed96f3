"""The ``listed_companies`` asset: one J-Quants master snapshot per date.

By default a run stores today's snapshot (or the configured ``date``'s). With
``start``/``end`` it stores the history of every business day in between
(``history.py``: whole months from the master's bulk files, the rest by REST).

No ``from __future__ import annotations`` here: Dagster resolves the config
and resource annotations at decoration time.
"""

import datetime as dt
import time

import dagster as dg
from pydantic import Field, field_validator, model_validator

from moo_markets.core.catalog import LISTED_COMPANIES
from moo_markets.core.plans import history_window, outside_window_message
from moo_markets.core.time import parse_date, today_jst
from moo_markets.daily_bars import calendar
from moo_markets.jobs import plan_refusals, stop_is_final
from moo_markets.jquants import JQuantsResource
from moo_markets.jquants_pool import JQUANTS_POOL
from moo_markets.listed_companies import history, store
from moo_markets.metadata import markdown_table
from moo_markets.warehouse.resource import WarehouseResource

PREVIEW_COLUMNS = ["date", "code", "company_name", "market_name", "sector33_name", "scale_category"]


class ListedCompaniesConfig(dg.Config):
    date: str | None = Field(
        default=None,
        description="Snapshot date YYYY-MM-DD. Default: today in Asia/Tokyo, on the Free plan "
        "the newest day it may see (12 weeks ago); J-Quants answers a non-business day "
        "with the next business day's list.",
    )
    start: str | None = Field(
        default=None,
        description="History: first date YYYY-MM-DD (with end). Stores the snapshot of every "
        "business day from start to end in one run, whole months from J-Quants' bulk files "
        "(Light plan and up), the other days by REST. Must lie in the plan's history window.",
    )
    end: str | None = Field(default=None, description="History: last date YYYY-MM-DD (>= start).")
    use_bulk_files: bool = Field(
        default=True, description="History: take whole months from bulk files. Off: REST only."
    )
    reload_unchanged_bulk_files: bool = Field(
        default=False,
        description="History: download a month's file again even when the stored month came "
        "from the same file (same LastModified) and still holds its rows.",
    )

    @field_validator("date", "start", "end")
    @classmethod
    def _valid_date(cls, value: str | None) -> str | None:
        if value is not None:
            parse_date(value)
        return value

    @model_validator(mode="after")
    def _valid_range(self) -> "ListedCompaniesConfig":
        if (self.start is None) != (self.end is None):
            raise ValueError("start and end go together (a history run needs both)")
        if self.start is not None and self.end is not None:
            if self.date is not None:
                raise ValueError("give either date (one snapshot) or start/end (history)")
            if parse_date(self.end) < parse_date(self.start):
                raise ValueError(f"end {self.end} is before start {self.start}")
        return self


@dg.asset(
    group_name="jquants",
    kinds={"sql"},
    pool=JQUANTS_POOL,
    description="J-Quants listed-company master (/equities/master), stored as one snapshot per "
    "date in the warehouse table `listed_companies`, keyed by (date, code).",
)
@stop_is_final
def listed_companies(
    context: dg.AssetExecutionContext,
    config: ListedCompaniesConfig,
    jquants: JQuantsResource,
    warehouse: WarehouseResource,
) -> dg.MaterializeResult:
    if config.start is not None and config.end is not None:
        return history.load_history(
            context,
            jquants,
            warehouse,
            parse_date(config.start),
            parse_date(config.end),
            use_bulk=config.use_bulk_files,
            reload_unchanged=config.reload_unchanged_bulk_files,
        )
    started = time.monotonic()
    plan = jquants.effective_plan()
    window = history_window(plan, today_jst())
    if config.date:
        requested = parse_date(config.date)
    elif window.last is None:
        requested = today_jst()
    else:
        # The newest list the Free plan may see (12 weeks old). Not a weekend: J-Quants would
        # answer with Monday's list, which lies beyond the window (HTTP 400).
        requested = window.last
        while requested.weekday() >= 5:
            requested -= dt.timedelta(days=1)
    if not window.contains(requested):
        raise dg.Failure(
            outside_window_message(LISTED_COMPANIES.path, [requested], window, unit="date"),
            allow_retries=False,
        )
    with plan_refusals(plan):
        rows = jquants.listed_companies(requested)
    if not rows:
        raise dg.Failure(
            f"J-Quants returned no listed companies for {requested.isoformat()}; "
            "the previous snapshot is kept unchanged"
        )
    # listed_companies_fresh, evaluated right after this asset, needs the calendar up to today.
    calendar.hol_divs_for(context, jquants, warehouse, [today_jst()], required=False)
    records = [store.to_record(row) for row in rows]
    snapshot_date = max(r["date"] for r in records)

    # One transaction: the old snapshot of that date survives any failure before commit.
    with warehouse.begin() as connection:
        previous_date = store.previous_snapshot_date(connection, snapshot_date)
        previous_codes = store.codes_on(connection, previous_date) if previous_date else set()
        store.replace_snapshots(connection, records)

    codes = {r["code"] for r in records}
    new_listings = sorted(codes - previous_codes) if previous_date else []
    delistings = sorted(previous_codes - codes) if previous_date else []
    context.log.info(
        f"stored {len(records)} listed companies for {snapshot_date} "
        f"(+{len(new_listings)} / -{len(delistings)} vs {previous_date})"
    )
    client = jquants.client
    return dg.MaterializeResult(
        metadata={
            "dagster/row_count": len(records),
            "snapshot_date": snapshot_date.isoformat(),
            "requested_date": requested.isoformat(),
            "previous_snapshot_date": previous_date.isoformat() if previous_date else None,
            "new_listings": len(new_listings),
            "delistings": len(delistings),
            "new_listing_codes": ", ".join(new_listings[:50]),
            "delisted_codes": ", ".join(delistings[:50]),
            "per_market": dg.MetadataValue.json(store.count_by(records, "market_name")),
            "duration_seconds": round(time.monotonic() - started, 3),
            "jquants_requests": client.stats.requests,
            "jquants_retries": client.stats.retries,
            "preview": dg.MetadataValue.md(markdown_table(records, PREVIEW_COLUMNS)),
        }
    )

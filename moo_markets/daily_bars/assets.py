"""The ``trading_calendar`` and ``daily_bars`` assets.

No ``from __future__ import annotations`` here: Dagster resolves the config
and resource annotations at decoration time.

Backfill policy: ``BackfillPolicy.single_run()``. A backfill of N days is one
run, so Dagster's per-run start-up (a process, code loading, resources) is
paid once, and all its requests go through one process, hence one pacer for
the key. ``multi_run(max_partitions_per_run=k)`` would buy nothing here:
runs of the ``jquants`` pool are serialised anyway, and failures are already
contained per day (below).

How ``daily_bars`` reports progress: inside the run the asset commits day
after day and logs one ``AssetMaterialization`` per partition as soon as that
day is committed, with that day's own metadata. It yields no output
(``output_required=False``), so Dagster does not add a second, range-wide
materialization on top. A run that dies on day k therefore leaves days before
k stored *and* marked materialized; re-running the missing (or failed)
partitions finishes the rest, and a day is always replaced whole, so nothing
is duplicated. A Dagster step retry of the same run skips the days its
earlier attempt committed.
Caveat of the no-output design: an asset placed downstream of ``daily_bars``
in the same run would be skipped; give such assets their own run.
"""

import time
import warnings
from collections.abc import Iterator

import dagster as dg
from pydantic import Field

from moo_markets.core.time import today_jst
from moo_markets.daily_bars import bulk, calendar, checks, store
from moo_markets.daily_bars.ingest import DayResult
from moo_markets.daily_bars.partitions import (
    DAILY_PARTITIONS,
    partition_date,
    partition_key,
    within_plan,
)
from moo_markets.jobs import committed_earlier_in_this_run, plan_refusals, stop_is_final
from moo_markets.jquants import JQuantsResource
from moo_markets.jquants_pool import JQUANTS_POOL
from moo_markets.maintenance import freshness
from moo_markets.metadata import markdown_table
from moo_markets.warehouse.resource import WarehouseResource

PREVIEW_COLUMNS = [
    "date", "code", "open", "high", "low", "close", "volume", "turnover_value",
    "adjustment_factor", "adj_close",
]  # fmt: skip

SESSION_NAMES = {"1": "full day", "2": "half day"}


@dg.asset(group_name="jquants", kinds={"sql"}, pool=JQUANTS_POOL, description=calendar.DESCRIPTION)
@stop_is_final
def trading_calendar(
    context: dg.AssetExecutionContext, jquants: JQuantsResource, warehouse: WarehouseResource
) -> dg.MaterializeResult:
    metadata = calendar.refresh(jquants, warehouse)
    context.log.info(calendar.describe(metadata))
    return dg.MaterializeResult(
        metadata={**metadata, "jquants_requests": jquants.client.stats.requests}
    )


class DailyBarsConfig(dg.Config):
    fetch_concurrency: int = Field(
        default=2,
        ge=1,
        le=8,
        description="Requests allowed in flight at once. They still leave one pacer slot "
        "apart; more than one only helps when J-Quants takes longer to answer a day than the "
        "gap between slots (0.12 s at the Premium rate).",
    )
    prefetch_days: int = Field(
        default=4,
        ge=1,
        le=16,
        description="Business days fetched ahead of the one being written (a few MB each; "
        "bounds memory). Slack for a slow write or commit, so no pacer slot goes unused; "
        "at least fetch_concurrency.",
    )
    use_bulk_files: bool = Field(
        default=True,
        description="Load whole months of the range from J-Quants' monthly bulk files (one "
        "request per month instead of one per day; Light plan and up). Off: every day by REST.",
    )
    reload_unchanged_bulk_files: bool = Field(
        default=False,
        description="Download a month's bulk file again even when the stored month came from "
        "the same file (same LastModified) and still holds its rows.",
    )
    always_refetch_splits: bool = Field(
        default=False,
        description="Refetch the history of every code with AdjFactor != 1, even when all its "
        "stored rows were written by this run (and are therefore already adjusted).",
    )


with warnings.catch_warnings():
    # Dagster 1.13 flags `backfill_policy` as beta on every import (each process and run
    # step). Single-run backfills are what this asset is built for and tested with.
    warnings.simplefilter("ignore", dg.BetaWarning)
    _daily_bars_asset = dg.asset(
        partitions_def=DAILY_PARTITIONS,
        backfill_policy=dg.BackfillPolicy.single_run(),
        deps=[trading_calendar],
        output_required=False,
        check_specs=[*checks.CHECK_SPECS, freshness.DAILY_BARS_FRESH_SPEC],
        pool=JQUANTS_POOL,
        group_name="jquants",
        kinds={"sql"},
        description="J-Quants daily bars (/equities/bars/daily) of every issue, one partition "
        "per weekday (Asia/Tokyo), stored in the warehouse table `daily_bars` keyed by (date, "
        "code). Holidays materialize as 'no session' without a request. Codes with a split "
        "(AdjFactor != 1) get their adjusted history refetched and rewritten.",
    )


@_daily_bars_asset
@stop_is_final
def daily_bars(
    context: dg.AssetExecutionContext,
    config: DailyBarsConfig,
    jquants: JQuantsResource,
    warehouse: WarehouseResource,
) -> Iterator[dg.AssetCheckResult]:
    started = time.monotonic()
    days = sorted(partition_date(k) for k in context.partition_keys)
    plan = jquants.effective_plan()
    days, not_requested = within_plan(days, plan, today_jst())
    if not_requested and not days:
        raise dg.Failure(not_requested, allow_retries=False)
    hol_divs = calendar.hol_divs_for(context, jquants, warehouse, days)
    done = committed_earlier_in_this_run(context)
    checked = checks.RunChecks()
    if done:
        context.log.info(
            f"step retry: {len(done)} day(s) were committed by an earlier attempt of this run; "
            "continuing after them"
        )
        for day in days:
            if partition_key(day) in done and store.is_business_day(hol_divs[day]):
                with warehouse.engine.connect() as connection:
                    checked.add_day(connection, day)
    totals = {"rows": 0, "requests": 0, "retries": 0, "rate_limited": 0, "splits": 0, "bulk": 0}
    results = bulk.ingest_range(
        [d for d in days if partition_key(d) not in done],
        hol_divs,
        jquants=jquants,
        engine=warehouse.engine,
        use_bulk=config.use_bulk_files,
        reload_unchanged=config.reload_unchanged_bulk_files,
        run_id=context.run_id,
        log=context.log,
        prefetch=config.prefetch_days,
        fetch_concurrency=config.fetch_concurrency,
        always_refetch_splits=config.always_refetch_splits,
    )
    for result in _refusals_explained(results, plan):
        context.log_event(
            dg.AssetMaterialization(
                asset_key=context.asset_key,
                partition=partition_key(result.day),
                metadata=day_metadata(result),
            )
        )
        if result.split_codes:  # the materialization event above already tells the rest
            context.log.info(_describe(result))
        if result.session:
            # Runs while the fetch threads wait for their next slot: free in a paced backfill.
            with warehouse.engine.connect() as connection:
                checked.add_day(connection, result.day)
        totals["rows"] += result.rows
        totals["requests"] += result.requests
        totals["retries"] += result.retries
        totals["rate_limited"] += result.rate_limited
        totals["splits"] += len(result.split_codes)
        totals["bulk"] += result.source == "bulk" and result.session
    context.log.info(
        f"{len(days)} day(s), {len(checked.days)} session(s), {totals['rows']} rows, "
        f"{totals['splits']} split(s), {totals['bulk']} session(s) from bulk files; "
        f"bars requests {totals['requests']} "
        f"(retries {totals['retries']}, 429s {totals['rate_limited']}) in "
        f"{time.monotonic() - started:.1f}s"
    )
    yield from checked.results()
    with warehouse.begin() as connection:
        yield freshness.daily_bars_fresh_result(connection, plan)
    if not_requested:  # the days inside the window are stored; the others fail, saying why
        raise dg.Failure(not_requested, allow_retries=False)


def _refusals_explained(results: Iterator[DayResult], plan: str) -> Iterator[DayResult]:
    with plan_refusals(plan):
        yield from results


def day_metadata(result: DayResult) -> dict[str, object]:
    """One partition's metadata; the numeric entries are plotted over partitions in the UI.

    A non-business day says "no session" and carries no numbers, so the plots
    show sessions only instead of dropping to zero every weekend.
    """
    source: dict[str, object] = {"source": result.source}
    if result.bulk_file:
        source["bulk_file"] = result.bulk_file
        source["bulk_unchanged"] = result.bulk_unchanged
    if not result.session:
        return {"session": "no session", "hol_div": result.hol_div, "requests": 0, **source}
    return {
        **source,
        "session": SESSION_NAMES.get(result.hol_div or "", "session"),
        "hol_div": result.hol_div,
        "dagster/row_count": result.rows,
        "rows": result.rows,
        "codes": result.codes,
        "no_trade": result.no_trade,
        "split_codes": len(result.split_codes),
        "split_code_list": ", ".join(result.split_codes),
        "refetched_codes": ", ".join(result.refetched_codes),
        "history_rows_rewritten": result.history_rows_rewritten,
        "requests": result.requests,
        "retries": result.retries,
        "rate_limited": result.rate_limited,
        "duration_seconds": round(result.seconds, 3),
        "fetch_seconds": round(result.fetch_seconds, 3),
        "write_seconds": round(result.write_seconds, 3),
        "preview": dg.MetadataValue.md(markdown_table(result.preview, PREVIEW_COLUMNS)),
    }


def _describe(result: DayResult) -> str:
    if not result.session:
        return f"{result.day}: no session (HolDiv {result.hol_div}), nothing requested"
    splits = ""
    if result.split_codes:
        splits = f", splits {', '.join(result.split_codes)} (refetched: {', '.join(result.refetched_codes) or 'none needed'})"
    return (
        f"{result.day}: {result.rows} rows, {result.no_trade} without trade{splits}; "
        f"{result.requests} request(s), fetch {result.fetch_seconds:.2f}s, write {result.write_seconds:.2f}s"
    )

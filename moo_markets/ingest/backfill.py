"""A run of a partition range of a declared dataset: one run, partition after partition.

Launched by a UI backfill (partitioned datasets take
``BackfillPolicy.single_run()``, :attr:`DatasetSpec.single_run_backfill`), by
the REST API's range run or by a schedule catching up (tags
``dagster/asset_partition_range_start``/``_end``). It works the way
``daily_bars`` does (see its module docstring):

* Partitions are committed in date order, each logged as one
  ``AssetMaterialization`` with its own metadata as soon as it is committed;
  the asset yields no output (``output_required=False``). A partition that
  fails stops the run with the partitions before it stored and materialized;
  a Dagster step retry skips the partitions its earlier attempt committed.
* Whole months of the range that the plan's monthly bulk files cover are
  loaded from the files (``warehouse/bulk_files.py``: one transaction per
  month with its ``bulk_files`` record; a file unchanged since it was loaded
  is not downloaded again, a changed ``LastModified`` loads it again; a
  corrupt file fails its month, naming the file, with nothing of it written).
  The rest goes through the REST path of a single-partition run unchanged. A
  partition's metadata is the same either way, plus ``source`` (the file's key
  or ``rest``).
* Weekly partitions (``investor_types``: a week Monday..Sunday by ``PubDate``)
  and monthly files: the file of month M holds exactly the rows published
  (``PubDate``) in M, the rows REST answers for M's days (the simulator builds
  it from them). A month is taken from its file only when every one of its days
  lies in a week of the run (``ingest/partitions.whole_months``), so loading it
  replaces nothing outside the run's weeks; the weeks entirely inside it are
  reported as from the file. A week straddling two months goes by REST, in date
  order like every partition: its REST replace and the neighbouring month's load
  write the same rows for the days they share (J-Quants serves the same data
  both ways), so the run stores exactly what a REST-only run of the range
  stores. A month costs one download instead of its 4 or 5 weekly requests; the
  one or two straddling weeks per month are fetched by REST rather than split
  between two files, to keep one ``source`` per partition.
* The checks cover the range: duplicate keys over its days, sessions left
  without rows, and every value this run converted compared with what was
  stored (for a file, batch by batch as it is written, so memory stays flat).
  A month PostgreSQL converts in SQL (``warehouse/csv_copy.py``) has no Python
  records: every value passed the SQL validation of the REST conversion's rules
  before it was written (counted as compared), and its sample (PREVIEW_ROWS rows
  per day, also the previews) is converted in Python from the loaded cells and
  compared with what was stored.
* Plans: a dataset above the plan fails at once; if any partition lies
  outside the plan's history window, nothing is requested.
"""

from __future__ import annotations

import datetime as dt
import time
from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import dagster as dg
import sqlalchemy as sa

from moo_markets.core.plans import history_window
from moo_markets.core.time import today_jst
from moo_markets.daily_bars import calendar
from moo_markets.datasets.spec import DatasetSpec, Partitioning
from moo_markets.ingest import store
from moo_markets.ingest.partition import (
    PREVIEW_ROWS,
    PartitionResult,
    check_names,
    metadata,
    outside_window,
    rest_partition,
    session_of,
    type_mismatches,
    unavailable,
)
from moo_markets.ingest.partitions import month_of, whole_months
from moo_markets.jobs import committed_earlier_in_this_run
from moo_markets.jquants import JQuantsResource
from moo_markets.jquants.bulk import BulkDownloader
from moo_markets.jquants.errors import JQuantsRequestError
from moo_markets.warehouse.bulk_files import MonthFile, load_month, plan_months, record_file
from moo_markets.warehouse.csv_copy import DirectLoad
from moo_markets.warehouse.resource import WarehouseResource

if TYPE_CHECKING:
    from moo_markets.ingest.assets import DatasetConfig

MISMATCH_SAMPLE = 20


def materialize_range(
    spec: DatasetSpec,
    context: dg.AssetExecutionContext,
    config: DatasetConfig,
    jquants: JQuantsResource,
    warehouse: WarehouseResource,
) -> Iterator[dg.AssetCheckResult]:
    started = time.monotonic()
    keys = sorted(context.partition_keys)
    plan = jquants.effective_plan()
    _gate(spec, plan, keys)
    days = {key: spec.partition_days(key)[0] for key in keys}
    done = committed_earlier_in_this_run(context)
    if done:
        context.log.info(
            f"step retry: {len(done & set(keys))} partition(s) were committed by an earlier "
            "attempt of this run; continuing after them"
        )
    todo = [k for k in keys if k not in done]
    hol_divs: dict[dt.date, str] = {}
    if spec.partitioning is Partitioning.BUSINESS_DAY:
        hol_divs = calendar.hol_divs_for(context, jquants, warehouse, sorted(days.values()))
    months = _months(spec, context, config, jquants, warehouse, plan, todo)

    checks = RangeChecks(spec)
    totals = {"rows": 0, "bulk": 0}
    downloader: BulkDownloader | None = None
    try:
        index = 0
        while index < len(todo):
            first_day = month_of(spec, todo[index])
            month = months.get(first_day) if first_day is not None else None
            if month is not None:
                # Contiguous in ``todo``: partitions are sorted and lie in one month each.
                in_month = [k for k in todo[index:] if month_of(spec, k) == month.first]
                if downloader is None:
                    downloader = jquants.client.bulk_downloader()
                results = load_bulk_month(
                    spec, context, jquants, warehouse, downloader, month, in_month, hol_divs
                )
                index += len(in_month)
                totals["bulk"] += len(in_month)
            else:
                key = todo[index]
                client = jquants.client
                since = (client.stats.requests, client.stats.retries)
                session = session_of(spec, hol_divs.get(days[key]))
                results = [
                    rest_partition(spec, context, jquants, warehouse, plan, key, session, since)
                ]
                index += 1
            for result in results:
                context.log_event(
                    dg.AssetMaterialization(
                        asset_key=context.asset_key,
                        partition=result.key,
                        metadata=metadata(spec, result),
                    )
                )
                checks.add(result)
                totals["rows"] += result.fetched
    finally:
        if downloader is not None:
            downloader.close()
    context.log.info(
        f"{len(todo)} partition(s) of {spec.path} in {time.monotonic() - started:.1f}s: "
        f"{totals['rows']} rows, {totals['bulk']} partition(s) from bulk files, "
        f"{len(todo) - totals['bulk']} by REST"
    )
    with warehouse.engine.connect() as connection:
        yield from checks.results(connection, days, hol_divs)


def _gate(spec: DatasetSpec, plan: str, keys: Sequence[str]) -> None:
    """Fail at once, before any request, on a dataset above the plan or a partition outside
    its history window."""
    failure = unavailable(spec, plan)
    if failure is not None:
        raise failure
    window = history_window(plan, today_jst())
    outside = [k for k in keys if outside_window(spec, window, spec.query(k))]
    if outside:
        raise dg.Failure(
            f"{len(outside)} of the {len(keys)} requested partition(s) of {spec.path} "
            f"({outside[0]}..{outside[-1]}) lie outside the J-Quants history window "
            f"({window.describe()}); nothing was requested",
            allow_retries=False,
        )


def _months(
    spec: DatasetSpec,
    context: dg.AssetExecutionContext,
    config: DatasetConfig,
    jquants: JQuantsResource,
    warehouse: WarehouseResource,
    plan: str,
    keys: Sequence[str],
) -> dict[dt.date, MonthFile]:
    """The whole months of the run to take from bulk files, by first day."""
    if not (config.use_bulk_files and spec.bulk and plan != "free"):
        return {}
    if spec.partition_column is None:
        return {}
    wanted = whole_months(spec, keys)
    if not wanted:
        return {}
    table = store.table_of(spec)
    try:
        months = plan_months(
            jquants.client,
            spec.path,
            table,
            spec.partition_column,
            wanted,
            warehouse.engine,
            config.reload_unchanged_bulk_files,
        )
    except JQuantsRequestError as exc:  # e.g. a plan without bulk files: REST it is
        context.log.warning(f"bulk files not available ({exc}); every partition goes by REST")
        return {}
    if months:
        unchanged = sum(1 for m in months.values() if m.unchanged_rows is not None)
        in_files = sum(1 for k in keys if month_of(spec, k) in months)
        context.log.info(
            f"{len(months)} whole month(s) of {spec.path} from bulk files ({unchanged} "
            f"unchanged since loaded): {in_files} partition(s); {len(keys) - in_files} by REST"
        )
    return months


# --------------------------------------------------------------------------- a bulk month


@dataclass
class _Seen:
    """What a month's file held, batch by batch: rows and a preview per day, and the values
    that were stored differently from their conversion (read back from the written table)."""

    spec: DatasetSpec
    column: str
    fetched: dict[dt.date, int] = field(default_factory=lambda: defaultdict(int))
    preview: dict[dt.date, list[dict[str, Any]]] = field(default_factory=lambda: defaultdict(list))
    mismatches: list[str] = field(default_factory=list)
    mismatch_count: int = 0
    compared: int = 0

    def __call__(
        self, connection: sa.Connection, table: sa.Table, records: list[dict[str, Any]]
    ) -> None:
        for record in records:
            day = record[self.column]
            self.fetched[day] += 1
            if len(self.preview[day]) < PREVIEW_ROWS:
                self.preview[day].append(record)
        column = table.c[self.column]
        lo = min(r[self.column] for r in records)
        hi = max(r[self.column] for r in records)
        stored = [
            dict(row._mapping)
            for row in connection.execute(sa.select(table).where(column.between(lo, hi)))
        ]
        self._compare(records, stored, len(records))

    def loaded(self, connection: sa.Connection, table: sa.Table, month: DirectLoad) -> None:
        """A month converted and written in SQL (``warehouse/csv_copy.py``): its per-day
        counts, and its sample (the Python conversion of the loaded cells, PREVIEW_ROWS per
        day) for the previews and compared with the stored rows. Every row's values passed
        the SQL validation of the same rules, so all of them count as compared."""
        self.fetched.update(month.rows_by_day)
        for record in month.sample:
            self.preview[record[self.column]].append(record)
        stored: list[dict[str, Any]] = []
        if month.sample:
            key = sa.tuple_(*(table.c[c] for c in self.spec.key_columns))
            wanted = [tuple(r[c] for c in self.spec.key_columns) for r in month.sample]
            stored = [
                dict(row._mapping)
                for row in connection.execute(sa.select(table).where(key.in_(wanted)))
            ]
        self._compare(month.sample, stored, month.validated)

    def _compare(
        self, records: list[dict[str, Any]], stored: list[dict[str, Any]], rows: int
    ) -> None:
        problems = type_mismatches(self.spec, records, stored)
        self.mismatch_count += len(problems)
        self.mismatches += problems[: max(0, MISMATCH_SAMPLE - len(self.mismatches))]
        self.compared += rows


def _span(spec: DatasetSpec, key: str) -> tuple[dt.date, dt.date]:
    first, last = spec.partition_days(key)
    assert first is not None and last is not None
    return first, last


def load_bulk_month(
    spec: DatasetSpec,
    context: dg.AssetExecutionContext,
    jquants: JQuantsResource,
    warehouse: WarehouseResource,
    downloader: BulkDownloader,
    month: MonthFile,
    keys: Sequence[str],
    hol_divs: dict[dt.date, str],
) -> list[PartitionResult]:
    """Load one month from its file (one transaction), or keep it when the file is unchanged;
    then one result per partition of ``keys`` (the month's partitions of the run)."""
    started = time.monotonic()
    column = spec.partition_column
    assert column is not None
    table = store.table_of(spec)
    client = jquants.client
    before = (client.stats.requests, client.stats.retries)
    seen = _Seen(spec, column)
    loaded = month.unchanged_rows is None
    if loaded:
        with warehouse.begin() as connection:
            written = load_month(
                connection,
                spec,
                month.file.key,
                downloader.chunks(month.file),
                month.first,
                month.last,
                on_batch=seen,
                on_loaded=seen.loaded,
                sample_rows=PREVIEW_ROWS,
            )
            record_file(
                connection, spec.path, month.file, month.first, month.last, written, context.run_id
            )
        context.log.info(
            f"stored {written} rows of {spec.path} for {month.first:%Y-%m} from {month.file.key}"
        )
    else:
        context.log.info(
            f"{month.first:%Y-%m} of {spec.path} is unchanged since loaded from "
            f"{month.file.key} ({month.unchanged_rows} rows): not downloaded again"
        )
    spans = {key: _span(spec, key) for key in keys}
    with warehouse.engine.connect() as connection:
        counts = dict(
            connection.execute(
                sa.select(table.c[column], sa.func.count())
                .where(table.c[column].between(month.first, month.last))
                .group_by(table.c[column])
            ).all()
        )
        previews: dict[str, list[dict[str, Any]]] = {}
        order = [table.c[c] for c in spec.key_columns]
        for key, (first, last) in spans.items():
            if loaded:
                days = [d for d in sorted(seen.preview) if first <= d <= last]
                previews[key] = [r for d in days for r in seen.preview[d]][:PREVIEW_ROWS]
            else:
                previews[key] = [
                    dict(r._mapping)
                    for r in connection.execute(
                        sa.select(table)
                        .where(table.c[column].between(first, last))
                        .order_by(*order)
                        .limit(PREVIEW_ROWS)
                    )
                ]
    seconds = time.monotonic() - started
    requests = client.stats.requests - before[0] + (1 if loaded else 0)  # + its /bulk/get
    retries = client.stats.retries - before[1]

    def rows_in(by_day: dict[dt.date, int], key: str) -> int:
        first, last = spans[key]
        return sum(rows for day, rows in by_day.items() if first <= day <= last)

    fetched = {key: rows_in(seen.fetched if loaded else counts, key) for key in keys}
    # Rows of the run's partitions compared: a weekly month's rows in a week straddling
    # into the next month are compared again by that week's REST fetch, and counted there.
    compared = sum(fetched.values()) if loaded else 0
    results = []
    for n, key in enumerate(keys):
        results.append(
            PartitionResult(
                key=key,
                query=spec.query(key),
                session=session_of(spec, hol_divs.get(spans[key][0])),
                fetched=fetched[key],
                stored=rows_in(counts, key),
                mismatches=seen.mismatches if n == 0 else [],
                more_mismatches=seen.mismatch_count - len(seen.mismatches) if n == 0 else 0,
                compared=compared if n == 0 else 0,
                preview=previews[key],
                requests=requests if n == 0 else 0,
                retries=retries if n == 0 else 0,
                seconds=seconds / len(keys),
                source=month.file.key,
                bulk_unchanged=not loaded,
            )
        )
    return results


# --------------------------------------------------------------------------- the checks


@dataclass
class RangeChecks:
    """The asset's three checks over a range run (the single-partition checks, summed)."""

    spec: DatasetSpec
    partitions: int = 0
    mismatches: list[str] = field(default_factory=list)
    mismatch_count: int = 0
    compared: int = 0

    def add(self, result: PartitionResult) -> None:
        self.partitions += 1
        self.mismatch_count += len(result.mismatches) + result.more_mismatches
        self.mismatches += result.mismatches[: max(0, MISMATCH_SAMPLE - len(self.mismatches))]
        self.compared += result.compared

    def results(
        self,
        connection: sa.Connection,
        days: dict[str, dt.date],
        hol_divs: dict[dt.date, str],
    ) -> list[dg.AssetCheckResult]:
        """Read from the warehouse over the whole range, so partitions an earlier attempt of
        the step committed are checked too."""
        spec = self.spec
        names = check_names(spec)
        first, last = min(days.values()), max(spec.partition_days(k)[1] for k in days)
        table = store.table_of(spec)
        column = table.c[spec.partition_column]
        duplicates = store.duplicate_keys(connection, spec, first, last)
        counts = dict(
            connection.execute(
                sa.select(column, sa.func.count())
                .where(column.between(first, last))
                .group_by(column)
            ).all()
        )
        sessions = [d for d in days.values() if session_of(spec, hol_divs.get(d)) == "open"]
        if spec.partitioning is Partitioning.WEEKLY:
            empty = [
                key
                for key, day in days.items()
                if not any(day <= d <= spec.partition_days(key)[1] for d in counts)
            ]
        else:
            empty = [d.isoformat() for d in sorted(sessions) if not counts.get(d)]
        scope = {
            "partitions_checked": len(days),
            "first_day": first.isoformat(),
            "last_day": last.isoformat(),
        }
        empty_is_wrong = spec.must_have_rows and bool(sessions)
        return [
            dg.AssetCheckResult(
                check_name=names["unique"],
                passed=duplicates == 0,
                metadata={**scope, "duplicated_keys": duplicates},
            ),
            dg.AssetCheckResult(
                check_name=names["not_empty"],
                passed=not (empty and spec.must_have_rows),
                severity=dg.AssetCheckSeverity.ERROR
                if empty_is_wrong
                else dg.AssetCheckSeverity.WARN,
                metadata={
                    **scope,
                    "rows": sum(counts.values()),
                    "sessions": len(sessions),
                    "empty_partitions": len(empty),
                    "empty_sample": ", ".join(empty[:MISMATCH_SAMPLE]),
                },
            ),
            dg.AssetCheckResult(
                check_name=names["types"],
                passed=self.mismatch_count == 0,
                metadata={
                    **scope,
                    "rows_compared": self.compared,
                    "mismatches": self.mismatch_count,
                    "first": "; ".join(self.mismatches[:5]),
                },
            ),
        ]

"""Whole months of daily bars from J-Quants bulk files, at COPY speed.

A backfill run's days (``assets.py``) are split into whole months that the plan's monthly
bulk files cover and the rest (a partial month, the current month, a month whose file is
not published yet), which go through the REST path (``ingest.py``) unchanged. Both yield
the same :class:`~moo_markets.daily_bars.ingest.DayResult` per day, in date order, so the
asset logs the same materializations, metadata and checks whichever way a day came.

Why this shape:

* One request per file (``/bulk/get``) instead of one per day: five years on the Light
  plan are ~60 paced requests instead of ~1,225.
* Requests never wait for writes: one thread requests the months' URLs (``/bulk/get``,
  paced like every API call) as fast as the pacer allows, pausing only while an unused URL
  gets old (they live ~5 minutes; an expired one is renewed once); a second thread streams
  each file decompressed into a small bounded queue; a third COPYs from it. Memory holds at
  most the queue (a few MB), never a whole file. The REST days right after the months
  (the current month) are fetched once the last URL is requested, on the same pacer, and
  written after the months, so the run's wall time is about max(paced requests, writes).
* On PostgreSQL the next month is written while the caller logs the days of the last one
  (materializations, checks); never past a month that failed.
* A month is written in ONE transaction through :func:`warehouse.replace.revising`
  (scope: the month's dates), then checked against the calendar (every session day has
  rows, no row on a closed day or outside the month) before the commit. A corrupt or
  truncated file, a row the database refuses or a failed check raise
  :class:`~moo_markets.jquants.bulk.BulkFileError` naming the file, and the month's
  transaction rolls back: nothing of it is half-written.
* ``bulk_files`` remembers which file (key, LastModified) each month came from. A month
  whose file is unchanged since it was loaded, with the same row count stored, is not
  downloaded again (a re-run or resumed backfill is then nearly free); a file whose
  LastModified changed is loaded again.
* Splits: rows of a file are adjusted as of the file's publication, like REST rows of
  today. As on the REST path, codes with ``AdjFactor != 1`` that have rows stored before
  the run's first day get their history refetched (REST ``code=``) and rewritten, in the
  month's transaction.
"""

from __future__ import annotations

import datetime as dt
import queue
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from moo_markets.daily_bars import rows, store
from moo_markets.daily_bars.ingest import PREVIEW_ROWS, DayResult
from moo_markets.daily_bars.partitions import whole_months
from moo_markets.datasets.daily_bars import SPEC
from moo_markets.jquants import BulkFile, BulkFileError, JQuantsClient, JQuantsResource
from moo_markets.jquants import bulk as jquants_bulk
from moo_markets.warehouse import bulk as bulk_writer
from moo_markets.warehouse import csv_stream
from moo_markets.warehouse.bulk_files import month_errors, record_file
from moo_markets.warehouse.bulk_files import plan_months as bulk_files_plan
from moo_markets.warehouse.replace import revising
from moo_markets.warehouse.schema import BAR_COLUMNS, daily_bars

ENDPOINT = SPEC.path
QUEUE_CHUNKS = 16
"""Decompressed chunks (~1 MB each) buffered between download and write."""
WRITE_AHEAD = 1
"""Months committed ahead of the days handed to the caller (PostgreSQL)."""

FIELD_COLUMNS = {"Date": "date", "Code": "code", **BAR_COLUMNS}
NUMERIC_FIELDS = SPEC.number_fields
CODE_LIKE = all(
    f.type.name.startswith(("VARCHAR", "DATE"))
    for f in SPEC.columns
    if f.type.python in (str, dt.date)
)
"""Every text column of the bars holds codes or dates: the COPY rewrite is safe (csv_stream)."""


@dataclass(frozen=True)
class Month:
    """One month to take from a bulk file."""

    file: BulkFile
    first: dt.date
    last: dt.date
    days: tuple[dt.date, ...]
    """The month's partition days (weekdays), in order."""
    unchanged_rows: int | None = None
    """Set when the stored month came from this very file (same LastModified): its row count."""


def plan_months(
    client: JQuantsClient, days: Sequence[dt.date], engine: sa.Engine, reload_unchanged: bool
) -> list[Month]:
    """The run's whole months that monthly bulk files cover, with their days
    (:func:`warehouse.bulk_files.plan_months`: one ``/bulk/list`` request, none when the run
    holds no whole month; an unchanged file is not downloaded again)."""
    planned = bulk_files_plan(
        client, ENDPOINT, daily_bars, "date", whole_months(days), engine, reload_unchanged
    )
    by_month: dict[dt.date, list[dt.date]] = {}
    for day in sorted(days):
        by_month.setdefault(day.replace(day=1), []).append(day)
    return [
        Month(m.file, m.first, m.last, tuple(by_month[month]), m.unchanged_rows)
        for month, m in planned.items()
    ]


# ---- the producers: URLs, then downloads, ahead of the writer ------------------------------

_END = object()

URL_AHEAD_SECONDS = 120.0
"""The URL thread pauses while its oldest URL not yet downloaded is older than this: a
``/bulk/get`` URL lives about five minutes, so a slow writer never makes it request URLs
that would expire before their turn (each renewal would cost one more paced request)."""


class _Urls(threading.Thread):
    """Requests each month's download URL (``/bulk/get``, paced) as early as the pacer allows,
    so requests never wait for downloads or writes; calls ``on_done`` after the last one."""

    def __init__(
        self,
        client: JQuantsClient,
        months: Sequence[Month],
        stop: threading.Event,
        on_done: Callable[[], None] | None = None,
    ) -> None:
        super().__init__(name="daily-bars-bulk-urls", daemon=True)
        self.client = client
        self.months = months
        self.stop = stop
        self.on_done = on_done
        self.ready: queue.Queue[tuple[str, float] | BaseException] = queue.Queue()
        self._issued: deque[float] = deque()
        self._taken = threading.Condition()

    def run(self) -> None:
        try:
            for month in self.months:
                with self._taken:
                    while (
                        self._issued
                        and time.monotonic() - self._issued[0] > URL_AHEAD_SECONDS
                        and not self.stop.is_set()
                    ):
                        self._taken.wait(0.2)
                if self.stop.is_set():
                    return
                try:
                    url = jquants_bulk.download_url(self.client, month.file.key)
                except BaseException as exc:  # handed to the download thread, then the writer
                    self.ready.put(exc)
                    return
                issued = time.monotonic()
                with self._taken:
                    self._issued.append(issued)
                self.ready.put((url, issued))
        except BaseException as exc:  # e.g. the pacer interrupted by the stop event
            self.ready.put(exc)
            return
        if self.on_done is not None and not self.stop.is_set():
            self.on_done()

    def take(self) -> tuple[str, float] | None:
        """The next month's URL (raises what its request raised); None once stopping."""
        while not self.stop.is_set():
            try:
                item = self.ready.get(timeout=0.2)
            except queue.Empty:
                continue
            if isinstance(item, BaseException):
                raise item
            with self._taken:
                self._issued.popleft()
                self._taken.notify_all()
            return item
        return None


class _Feed(threading.Thread):
    """Streams each month's file, in month order, into a bounded queue for the writer."""

    def __init__(
        self,
        client: JQuantsClient,
        months: Sequence[Month],
        stop: threading.Event,
        dialect: str,
        urls: _Urls,
    ):
        super().__init__(name="daily-bars-bulk-download", daemon=True)
        self.client = client  # renews an expired URL (its own session: one per thread)
        self.dialect = dialect
        self.months = [m for m in months if m.unchanged_rows is None]
        self.stop = stop
        self.urls = urls
        self.queue: queue.Queue[Any] = queue.Queue(maxsize=QUEUE_CHUNKS)

    def _put(self, item: Any) -> bool:
        while not self.stop.is_set():
            try:
                self.queue.put(item, timeout=0.2)
                return True
            except queue.Full:
                continue
        return False

    def run(self) -> None:
        downloader = self.client.bulk_downloader()
        try:
            for month in self.months:
                try:
                    got = self.urls.take()
                    if got is None:
                        return
                    # Header first, then whole-line blocks, already rewritten for COPY when
                    # the COPY path applies: this thread's Python work overlaps the write.
                    fields, blocks = csv_stream.split_header(downloader.chunks(month.file, got[0]))
                    if not self._put(("header", fields)):
                        return
                    plan = copy_plan(fields, self.dialect)
                    for block in blocks:
                        if plan is not None:
                            if plan[1]:
                                block = csv_stream.drop_trailing_cells(block, plan[1])
                            block = csv_stream.whole_floats_as_integers(block)
                        if not self._put(block):
                            return
                except BaseException as exc:  # handed to the writer, which fails the month
                    self._put(exc)
                    return
                if not self._put(_END):
                    return
        finally:
            downloader.close()

    def chunks(self) -> Iterator[Any]:
        """The next month's header (``("header", fields)``), then its blocks of whole lines
        (raises what the download raised, or :class:`_Stopping` once the run stops)."""
        while True:
            try:
                item = self.queue.get(timeout=0.2)
            except queue.Empty:
                if self.stop.is_set():
                    raise _Stopping("the bulk load is stopping") from None
                continue
            if item is _END:
                return
            if isinstance(item, BaseException):
                raise item
            yield item


class _Stopping(RuntimeError):
    """The writer's month was abandoned because the run stops (its transaction rolls back)."""


# ---- one month ---------------------------------------------------------------------------


def copy_plan(fields: Sequence[str], dialect: str) -> tuple[list[str], int] | None:
    """The COPY columns of a file's header and how many trailing cells to drop; None when the
    rows must go through the per-row path (SQLite, or unknown fields between known ones)."""
    known = [f for f in fields if f in FIELD_COLUMNS]
    # Fields the table does not keep (MktCap, ExRT) may only trail the known ones for COPY.
    if dialect != "postgresql" or not CODE_LIKE or fields[: len(known)] != known:
        return None
    return [FIELD_COLUMNS[f] for f in known], len(fields) - len(known)


def _write(connection: sa.Connection, target: str, key: str, items: Iterator[Any]) -> int:
    """Write one month from the feed: COPY of the ready blocks, or per-row batches."""
    head = next(items, None)
    if not isinstance(head, tuple) or head[0] != "header":
        raise BulkFileError(key, "the file is empty (no header row)")
    fields = head[1]
    if "Date" not in fields or "Code" not in fields:
        raise BulkFileError(key, f"header {fields} lacks Date or Code")
    dialect = connection.dialect.name
    plan = copy_plan(fields, dialect)
    if plan is not None:
        return csv_stream.copy_stream(connection, target, plan[0], items, rewrite=False)
    # SQLite, or unknown fields in between (left out, as the REST path does).
    written = 0
    for batch in csv_stream.records(fields, items, NUMERIC_FIELDS):
        prepared = rows.prepare(rows.bar_page(batch), dialect)
        written += bulk_writer.insert_rows(connection, prepared, target)
    return written


@dataclass
class _Summary:
    per_day: dict[dt.date, tuple[int, int, int]]
    """day -> (rows, codes, no-trade rows)."""
    splits: dict[dt.date, list[str]]
    previews: dict[dt.date, list[dict[str, Any]]]
    total: int


def _summarize(
    connection: sa.Connection, table: sa.Table, first: dt.date, last: dt.date
) -> _Summary:
    """One aggregate over the month's rows (plus the split rows and ten preview rows a day).

    The table and its staging twin have the primary key (date, code), so a day's codes are
    its rows (a duplicate was refused by the write), and the month's total is the sum of
    its days: no COUNT(DISTINCT) sort and no second scan."""
    c = table.c
    if [k.name for k in table.primary_key.columns] != ["date", "code"]:
        raise AssertionError(f"{table.name}: the summary relies on the key (date, code)")
    in_month = c.date.between(first, last)
    per_day: dict[dt.date, tuple[int, int, int]] = {}
    empty_codes = 0
    for day, count, no_trade, empty in connection.execute(
        sa.select(
            c.date,
            sa.func.count(),
            sa.func.coalesce(sa.func.sum(sa.case((c.volume.is_(None), 1), else_=0)), 0),
            sa.func.coalesce(sa.func.sum(sa.case((c.code == "", 1), else_=0)), 0),
        )
        .where(in_month)
        .group_by(c.date)
    ):
        per_day[day] = (count, count, int(no_trade))
        empty_codes += int(empty)
    if empty_codes:
        raise rows.BarDataError(f"{empty_codes} row(s) without a Code")
    splits: dict[dt.date, list[str]] = {}
    for day, code in connection.execute(
        sa.select(c.date, c.code).where(in_month, c.adjustment_factor != 1).order_by(c.date, c.code)
    ):
        splits.setdefault(day, []).append(code)
    previews: dict[dt.date, list[dict[str, Any]]] = {}
    columns = [c[name] for name in ("date", *PREVIEW_COLUMNS)]
    for day in sorted(per_day):  # primary-key range scans, ten rows each
        previews[day] = [
            dict(row._mapping)
            for row in connection.execute(
                sa.select(*columns).where(c.date == day).order_by(c.code).limit(PREVIEW_ROWS)
            )
        ]
    return _Summary(per_day, splits, previews, sum(n for n, _, _ in per_day.values()))


PREVIEW_COLUMNS = (
    "code", "open", "high", "low", "close", "volume", "turnover_value",
    "adjustment_factor", "adj_close",
)  # fmt: skip


def _check_against_calendar(
    month: Month, summary: _Summary, written: int, hol_divs: Mapping[dt.date, str]
) -> None:
    if summary.total != written:
        raise BulkFileError(
            month.file.key,
            f"{written - summary.total} of its {written} rows lie outside {month.first:%Y-%m}",
        )
    for day, (count, _, _) in summary.per_day.items():  # duplicates: refused by the key
        if not store.is_business_day(hol_divs.get(day)):
            raise BulkFileError(
                month.file.key, f"{count} row(s) dated {day}, which is no session day"
            )
    missing = [
        d for d in month.days if store.is_business_day(hol_divs[d]) and d not in summary.per_day
    ]
    if missing:
        raise BulkFileError(
            month.file.key,
            f"no rows for session day(s) {', '.join(map(str, missing[:5]))}: the file is incomplete",
        )


# ---- the months of a run ------------------------------------------------------------------


class BulkMonths:
    """Loads consecutive :class:`Month` s in order, yielding each day's result once committed."""

    def __init__(
        self,
        jquants: JQuantsResource,
        engine: sa.Engine,
        first_day: dt.date,
        run_id: str | None = None,
    ) -> None:
        self.jquants = jquants
        self.settings = jquants.settings()
        self.engine = engine
        self.first_day = first_day
        self.run_id = run_id
        self.stop = threading.Event()
        with engine.connect() as connection:
            self.has_earlier_rows = store.latest_date_before(connection, first_day) is not None

    def client(self) -> JQuantsClient:
        return JQuantsClient(self.jquants.api_key, self.settings, stop=self.stop)

    def load(
        self,
        months: Sequence[Month],
        hol_divs: Mapping[dt.date, str],
        on_requested: Callable[[], None] | None = None,
    ) -> Iterator[DayResult]:
        """The months' days in order. ``on_requested`` is called (on another thread) once the
        last URL was requested: what follows may start spending requests.

        On PostgreSQL the next month is written (its own transaction, one writer thread, so
        in order) while the caller handles the days of the month before (materializations,
        checks): at most one month is committed ahead of what was yielded."""
        self.stop = threading.Event()  # one per load: the last one's is set
        to_download = [m for m in months if m.unchanged_rows is None]
        urls = _Urls(self.client(), to_download, self.stop, on_requested)
        feed = _Feed(self.client(), months, self.stop, self.engine.dialect.name, urls)
        writer_client = self.client()
        ahead = WRITE_AHEAD if self.engine.dialect.name == "postgresql" else 0
        pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="daily-bars-bulk-write")
        pending: deque[Future[list[DayResult]]] = deque()
        upcoming = iter(months)

        failed = threading.Event()

        def write(month: Month) -> list[DayResult]:
            # Months are written one after another on one thread: none is committed after
            # one that failed (the caller stops at the failure).
            if failed.is_set():
                raise _Stopping("an earlier month failed")
            try:
                return list(self._month(month, feed, writer_client, hol_divs))
            except BaseException:
                failed.set()
                raise

        def fill() -> None:
            while len(pending) <= ahead:
                month = next(upcoming, None)
                if month is None:
                    return
                pending.append(pool.submit(write, month))

        urls.start()
        feed.start()
        try:
            fill()
            while pending:
                results = pending.popleft().result()
                fill()
                yield from results
        finally:
            self.stop.set()
            pool.shutdown(wait=True, cancel_futures=True)
            urls.join(timeout=5)
            feed.join(timeout=5)
            urls.client.close()
            feed.client.close()
            writer_client.close()

    def _month(
        self, month: Month, feed: _Feed, client: JQuantsClient, hol_divs: Mapping[dt.date, str]
    ) -> Iterator[DayResult]:
        started = time.monotonic()
        before = (client.stats.requests, client.stats.retries, client.stats.rate_limited)
        key = month.file.key
        refetched: list[str] = []
        rewritten = 0
        if month.unchanged_rows is not None:
            with self.engine.connect() as connection:
                summary = _summarize(connection, daily_bars, month.first, month.last)
            write_seconds = 0.0
        else:
            with month_errors(key, month.first):
                with self.engine.begin() as connection:
                    scope = daily_bars.c.date.between(month.first, month.last)
                    with revising(connection, daily_bars, scope) as target:
                        written = _write(connection, target.name, key, feed.chunks())
                        summary = _summarize(connection, target.table, month.first, month.last)
                        _check_against_calendar(month, summary, written, hol_divs)
                    split_codes = sorted({c for codes in summary.splits.values() for c in codes})
                    refetched = self._codes_to_refetch(connection, split_codes)
                    histories = [
                        rows.prepare(rows.bar_page(page, code=code), connection.dialect.name)
                        for code in refetched
                        for page in client.daily_bars_history(code)
                    ]
                    rewritten = store.rewrite_history(connection, histories)
                    record_file(
                        connection,
                        ENDPOINT,
                        month.file,
                        month.first,
                        month.last,
                        written,
                        self.run_id,
                    )
            write_seconds = time.monotonic() - started
        yield from self._results(
            month,
            summary,
            hol_divs,
            refetched,
            rewritten,
            write_seconds,
            client,
            before,
        )

    def _codes_to_refetch(self, connection: sa.Connection, splits: list[str]) -> list[str]:
        if not splits or not self.has_earlier_rows:
            return []
        return sorted(store.codes_stored_before(connection, splits, self.first_day))

    def _results(
        self,
        month: Month,
        summary: _Summary,
        hol_divs: Mapping[dt.date, str],
        refetched: list[str],
        rewritten: int,
        write_seconds: float,
        client: JQuantsClient,
        before: tuple[int, int, int],
    ) -> Iterator[DayResult]:
        sessions = [d for d in month.days if store.is_business_day(hol_divs[d])]
        share = write_seconds / max(len(sessions), 1)
        requests = client.stats.requests - before[0]
        if month.unchanged_rows is None:
            requests += 1  # its /bulk/get (sent by the download thread)
        first_session = sessions[0] if sessions else None
        for day in month.days:
            hol_div = hol_divs[day]
            base = dict(
                source="bulk",
                bulk_file=month.file.key,
                bulk_unchanged=month.unchanged_rows is not None,
            )
            if not store.is_business_day(hol_div):
                yield DayResult(day=day, hol_div=hol_div, session=False, **base)
                continue
            count, codes, no_trade = summary.per_day.get(day, (0, 0, 0))
            split_codes = summary.splits.get(day, [])
            yield DayResult(
                day=day,
                hol_div=hol_div,
                session=True,
                rows=count,
                codes=codes,
                no_trade=no_trade,
                split_codes=split_codes,
                refetched_codes=[c for c in refetched if c in split_codes],
                history_rows_rewritten=rewritten if day == first_session else 0,
                requests=requests if day == first_session else 0,
                retries=(client.stats.retries - before[1]) if day == first_session else 0,
                rate_limited=(client.stats.rate_limited - before[2]) if day == first_session else 0,
                write_seconds=share,
                preview=summary.previews.get(day, []),
                **base,
            )


# ---- a run: bulk months and REST days, in date order ----------------------------------------


def ingest_range(
    days: Sequence[dt.date],
    hol_divs: Mapping[dt.date, str],
    *,
    jquants: JQuantsResource,
    engine: sa.Engine,
    use_bulk: bool = True,
    reload_unchanged: bool = False,
    run_id: str | None = None,
    log: Any = None,
    **rest_options: Any,
) -> Iterator[DayResult]:
    """Every day of ``days`` in date order: whole months from bulk files where the plan has
    them, the rest by REST (:func:`ingest.ingest_days` with ``rest_options``)."""
    from moo_markets.daily_bars import ingest
    from moo_markets.jquants import JQuantsRequestError

    days = sorted(days)
    if not days:
        return
    months: list[Month] = []
    if use_bulk and jquants.effective_plan() != "free" and whole_months(days):
        with JQuantsClient(jquants.api_key, jquants.settings()) as client:
            try:
                months = plan_months(client, days, engine, reload_unchanged)
            except JQuantsRequestError as exc:  # e.g. a plan without bulk files: REST it is
                if log is not None:
                    log.warning(f"bulk files not available ({exc}); every day goes by REST")
    if log is not None and months:
        unchanged = sum(1 for m in months if m.unchanged_rows is not None)
        log.info(
            f"{len(months)} whole month(s) from bulk files ({unchanged} unchanged since loaded), "
            f"{len(days) - sum(len(m.days) for m in months)} day(s) by REST"
        )
    by_day = {d: m for m in months for d in m.days}
    segments: list[tuple[str, list[Any]]] = []
    for day in days:
        month = by_day.get(day)
        kind = "rest" if month is None else "bulk"
        if not segments or segments[-1][0] != kind:
            segments.append((kind, []))
        items = segments[-1][1]
        if kind == "rest":
            items.append(day)
        elif not items or items[-1] is not month:
            items.append(month)
    loader = BulkMonths(jquants, engine, days[0], run_id) if months else None
    runs: list[tuple[str, Any]] = []
    for kind, items in segments:
        if kind == "rest":
            rest = ingest.RestDays(
                items, hol_divs, jquants=jquants, engine=engine, first_day=days[0], **rest_options
            )
            runs.append((kind, rest))
        else:
            runs.append((kind, items))
    try:
        for i, (kind, run) in enumerate(runs):
            if kind == "rest":
                yield from run
                run.close()
            elif loader is not None:
                # The REST days right after these months are fetched once the months' URLs
                # are requested: their requests need not wait for the months' writes.
                following = runs[i + 1][1] if i + 1 < len(runs) else None
                early = (
                    (lambda r=following: r.start(ahead=len(r.days)))
                    if isinstance(following, ingest.RestDays)
                    else None
                )
                yield from loader.load(run, hol_divs, on_requested=early)
    finally:
        for kind, run in runs:
            if kind == "rest":
                run.close()

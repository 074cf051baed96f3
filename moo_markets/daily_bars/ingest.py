"""Fetch and store a run's days, one day at a time, with flat memory.

Why this shape:

* A backfill of N days is one run (see ``assets.py``), so the loop over days
  lives here. Days are committed in date order, each on its own (delete +
  bulk insert + any split rewrite in one transaction), so a run killed
  half-way leaves complete days only.
* Every request goes through the key's shared
  :class:`~moo_markets.jquants.pacing.Pacer`, which spaces send times evenly
  at just under the plan's rate, so requests leave one at a time whatever
  the number of fetch threads. Fetching - HTTP, JSON decoding, validation
  and serialising the rows for the database (:func:`rows.prepare`) - runs
  on worker threads ahead of the writer, which only streams the prepared
  bytes and commits: the database write of day k overlaps the pacing gap
  before day k+1 (and, unpaced, the preparation of day k+1) instead of
  adding to it. With ``fetch_concurrency`` > 1 the next
  slot's request can also leave while the previous response is still in
  transit, which the Premium rate (one slot every 0.12 s) needs whenever
  J-Quants takes longer than that to answer a whole day.
* At most ``prefetch`` fetched days wait for the writer, so memory does not
  grow with the number of days.
* Non-business days (per the stored calendar) cost no request at all.

Splits: J-Quants back-adjusts a code's history when a row carries
``AdjFactor != 1``. Rows this run wrote are already as of "now" (the day
with the split is fetched after them, in the same run), so only codes with
stored rows dated before the run's first day are stale: their full history
is refetched (``code=`` alone) and written over the stored rows in the same
transaction as the day. ``always_refetch_splits`` refetches every split code.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import threading
import time
from collections import deque
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from moo_markets.daily_bars import rows, store
from moo_markets.daily_bars.rows import BarPage
from moo_markets.jquants import JQuantsClient, JQuantsResource
from moo_markets.warehouse.bulk import Rows

PREVIEW_ROWS = 10


class _Stopped(RuntimeError):
    """A queued fetch skipped because the loop is stopping."""


class NoBarsError(RuntimeError):
    """J-Quants answered a business day with no rows (not published yet, or outside the plan)."""


@dataclass
class DayResult:
    """What happened to one day; small, so a long backfill keeps only these."""

    day: dt.date
    hol_div: str | None
    session: bool
    rows: int = 0
    codes: int = 0
    no_trade: int = 0
    split_codes: list[str] = field(default_factory=list)
    refetched_codes: list[str] = field(default_factory=list)
    history_rows_rewritten: int = 0
    requests: int = 0
    retries: int = 0
    rate_limited: int = 0
    fetch_seconds: float = 0.0
    write_seconds: float = 0.0
    seconds: float = 0.0
    preview: list[dict[str, Any]] = field(default_factory=list)
    source: str = "rest"
    """Where the day's rows came from: "rest" (one request per day) or "bulk" (a monthly
    file, ``bulk.py``)."""
    bulk_file: str | None = None
    bulk_unchanged: bool = False
    """A bulk day whose file was already loaded, unchanged (not downloaded again)."""


@dataclass
class _Fetched:
    result: DayResult
    pages: list[Rows]
    histories: list[Rows]


class _Fetcher:
    """Runs on the fetch threads: HTTP, parsing, and the split decision.

    Each thread has its own :class:`JQuantsClient` (a ``requests.Session`` is
    not meant to be shared between threads); all of them share the key's
    process-wide pacer, so together they never exceed the plan's rate.
    """

    def __init__(
        self,
        jquants: JQuantsResource,
        engine: sa.Engine,
        first_day: dt.date,
        always_refetch_splits: bool,
    ) -> None:
        self.jquants = jquants
        self.settings = jquants.settings()
        self.engine = engine
        self.first_day = first_day
        self.always_refetch_splits = always_refetch_splits
        self.dialect = engine.dialect.name
        with engine.connect() as connection:
            self.has_earlier_rows = store.latest_date_before(connection, first_day) is not None
        self.stopped = threading.Event()
        # Set once the loop is over (done, failed, or the run terminated): fetches still in
        # flight send nothing more, neither a next page nor a retry. Dagster frees the
        # jquants pool for the next run while this process is still exiting.
        self.abandoned = threading.Event()
        self._local = threading.local()
        self._clients: list[JQuantsClient] = []
        self._lock = threading.Lock()

    def client(self) -> JQuantsClient:
        client = getattr(self._local, "client", None)
        if client is None:
            client = JQuantsClient(self.jquants.api_key, self.settings, stop=self.abandoned)
            self._local.client = client
            with self._lock:
                self._clients.append(client)
        return client

    def close(self) -> None:
        with self._lock:
            for client in self._clients:
                client.close()

    def __call__(self, day: dt.date, hol_div: str) -> _Fetched:
        # After a failure (here or in the writer) the days queued behind it must not spend
        # requests: the run is about to stop and a retry or resume fetches them again.
        if self.stopped.is_set():
            raise _Stopped(day)
        try:
            return self._fetch(day, hol_div)
        except BaseException:
            self.stopped.set()
            raise

    def _fetch(self, day: dt.date, hol_div: str) -> _Fetched:
        client = self.client()
        stats = client.stats
        before = (stats.requests, stats.retries, stats.rate_limited)
        started = time.monotonic()
        iso = day.isoformat()
        pages = [rows.bar_page(page, date=iso) for page in client.daily_bars_on(day)]
        row_count = sum(len(p) for p in pages)
        if row_count == 0:
            raise NoBarsError(
                f"J-Quants returned no daily bars for business day {iso}: not published yet "
                "(about 16:30 JST) or outside the plan's window; stored rows are kept"
            )
        # Counted on the raw API rows; rows.prepare() below validates them (and turns a
        # Code that is not a string into one, as done here).
        codes: set[str] = set()
        splits: set[str] = set()
        no_trade = 0
        for page in pages:
            codes.update(str(row.get("Code")) for row in page.rows)
            if "volume" in page.columns:
                no_trade += sum(1 for row in page.rows if row.get("Vo") is None)
            if "adjustment_factor" in page.columns:
                splits.update(
                    str(row.get("Code"))
                    for row in page.rows
                    if row.get("AdjFactor") not in (1, None)
                )
        if len(codes) != row_count:
            raise rows.BarDataError(f"J-Quants returned duplicate codes for {iso}")
        to_refetch = self._codes_to_refetch(splits)
        histories = [
            rows.prepare(rows.bar_page(page, code=code), self.dialect)
            for code in to_refetch
            for page in client.daily_bars_history(code)
        ]
        result = DayResult(
            day=day,
            hol_div=hol_div,
            session=True,
            rows=row_count,
            codes=len(codes),
            no_trade=no_trade,
            split_codes=sorted(splits),
            refetched_codes=to_refetch,
            requests=stats.requests - before[0],
            retries=stats.retries - before[1],
            rate_limited=stats.rate_limited - before[2],
            fetch_seconds=time.monotonic() - started,
            preview=_preview(pages),
        )
        prepared = [rows.prepare(page, self.dialect) for page in pages]
        return _Fetched(result, prepared, histories)

    def _codes_to_refetch(self, splits: set[str]) -> list[str]:
        if not splits:
            return []
        if self.always_refetch_splits:
            return sorted(splits)
        if not self.has_earlier_rows:
            return []
        with self.engine.connect() as connection:
            return sorted(store.codes_stored_before(connection, splits, self.first_day))


def _preview(pages: Sequence[BarPage]) -> list[dict[str, Any]]:
    if not pages:
        return []
    first = pages[0]
    head = dataclasses.replace(first, rows=first.rows[:PREVIEW_ROWS])
    return [dict(zip(first.columns, values, strict=True)) for values in head.values()]


def ingest_days(
    days: Sequence[dt.date],
    hol_divs: Mapping[dt.date, str],
    *,
    jquants: JQuantsResource,
    engine: sa.Engine,
    prefetch: int = 4,
    fetch_concurrency: int = 2,
    always_refetch_splits: bool = False,
    first_day: dt.date | None = None,
) -> Iterator[DayResult]:
    """Fetch and store ``days`` in order, yielding each day's result once it is committed.

    ``hol_divs`` must hold every day (the caller refreshes the calendar first).
    A failure stops the loop: days already yielded stay committed, the failing
    day's transaction is rolled back. ``first_day``: the first day of the whole run when
    ``days`` are only part of it (the rest came from bulk files): rows before it are the
    ones a split makes stale.
    """
    run = RestDays(
        days,
        hol_divs,
        jquants=jquants,
        engine=engine,
        prefetch=prefetch,
        fetch_concurrency=fetch_concurrency,
        always_refetch_splits=always_refetch_splits,
        first_day=first_day,
    )
    try:
        yield from run
    finally:
        run.close()


EARLY_PREFETCH = 12
"""Most days :meth:`RestDays.start` fetches ahead of the writer (several MB each while
parsed). Enough to keep the pacer busy while the months are written; at 32 a five-year
Premium backfill peaked at 398 MB (12: 363 MB, same wall time; `bench/history.py`)."""


class RestDays:
    """:func:`ingest_days` as an object that can start fetching before it is iterated.

    A run's REST days of the current month come after its bulk months in date order, but
    their requests need not wait for the months' writes: ``bulk.py`` calls :meth:`start`
    once the months' URLs are requested, so the days are fetched (through the same pacer)
    while the months are still written, and only the writes wait their turn. Days are
    still committed and yielded in date order, each in its own transaction.
    """

    def __init__(
        self,
        days: Sequence[dt.date],
        hol_divs: Mapping[dt.date, str],
        *,
        jquants: JQuantsResource,
        engine: sa.Engine,
        prefetch: int = 4,
        fetch_concurrency: int = 2,
        always_refetch_splits: bool = False,
        first_day: dt.date | None = None,
    ) -> None:
        if prefetch < 1 or fetch_concurrency < 1:
            raise ValueError("prefetch and fetch_concurrency must be >= 1")
        self.days = sorted(days)
        self.hol_divs = hol_divs
        self.jquants = jquants
        self.engine = engine
        self.prefetch = max(prefetch, fetch_concurrency)
        self.fetch_concurrency = fetch_concurrency
        self.always_refetch_splits = always_refetch_splits
        self.first_day = min(first_day or self.days[0], self.days[0]) if self.days else None
        self._lock = threading.Lock()
        self._started = False
        self._closed = False
        self._fetch: _Fetcher | None = None
        self._pool: ThreadPoolExecutor | None = None
        self._upcoming = iter(self.days)
        self._pending: deque[tuple[dt.date, Future[_Fetched] | None]] = deque()
        self._in_flight = 0

    def start(self, ahead: int | None = None) -> None:
        """Begin fetching (idempotent, thread-safe); ``ahead``: fetch up to that many days
        (at most :data:`EARLY_PREFETCH`) ahead of the writer instead of ``prefetch``."""
        with self._lock:
            if self._started or self._closed or not self.days:
                return
            if ahead is not None:
                self.prefetch = max(self.prefetch, min(ahead, EARLY_PREFETCH))
            self._fetch = _Fetcher(
                self.jquants, self.engine, self.first_day, self.always_refetch_splits
            )
            self._pool = ThreadPoolExecutor(
                max_workers=self.fetch_concurrency, thread_name_prefix="daily-bars-fetch"
            )
            self._started = True
            self._fill()

    def _fill(self) -> None:
        assert self._pool is not None and self._fetch is not None
        while self._in_flight < self.prefetch:
            day = next(self._upcoming, None)
            if day is None:
                return
            hol_div = self.hol_divs[day]
            if store.is_business_day(hol_div):
                self._pending.append((day, self._pool.submit(self._fetch, day, hol_div)))
                self._in_flight += 1
            else:
                self._pending.append((day, None))

    def __iter__(self) -> Iterator[DayResult]:
        self.start()
        if not self._started:
            return
        pending, hol_divs, engine = self._pending, self.hol_divs, self.engine
        last = time.monotonic()
        while pending:
            day, future = pending.popleft()
            if future is None:
                result = DayResult(day=day, hol_div=hol_divs[day], session=False)
            else:
                self._in_flight -= 1
                self._fill()  # keep the fetch threads busy while this day is written
                fetched = future.result()
                result = fetched.result
                started = time.monotonic()
                with engine.begin() as connection:
                    store.replace_day(connection, day, fetched.pages)
                    result.history_rows_rewritten = store.rewrite_history(
                        connection, fetched.histories
                    )
                result.write_seconds = time.monotonic() - started
                del fetched, future  # the day's rows are committed: let them go
            now = time.monotonic()
            result.seconds, last = now - last, now
            yield result
            self._fill()

    def close(self) -> None:
        """Stop fetching; wait for the fetch threads only when every day was consumed."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            if self._fetch is None or self._pool is None:
                return
            self._fetch.stopped.set()
            self._fetch.abandoned.set()
            if self._pending or next(self._upcoming, None) is not None:
                # Failed or interrupted (e.g. the run was terminated): don't wait for an
                # in-flight request (it may be sleeping out a 429); its result is dropped.
                self._pool.shutdown(wait=False, cancel_futures=True)
            else:
                self._pool.shutdown(wait=True)
                self._fetch.close()

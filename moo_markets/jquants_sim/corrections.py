"""Corrections after publication (issue 15): J-Quants fixes data in place and keeps no history.

:class:`Corrections` changes the simulated data (closes of a past day, a restated statement, a
split found out later) and records which bulk-file months it touched, so the files of those
months get a new ``LastModified`` and new content, exactly like the REST answers.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import threading
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from moo_markets.jquants_sim import noise
from moo_markets.jquants_sim.dataset import DATA_START, Dataset

BARS = "/equities/bars/daily"
VALUATION = "/equities/valuation"
SUMMARY = "/fins/summary"
DETAILS = "/fins/details"
BREAKDOWN = "/markets/breakdown"


def month_of(day: dt.date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


@dataclass(frozen=True)
class Stamp:
    """How often, and last when, a month of an endpoint was corrected."""

    count: int
    when: dt.datetime | None
    #: Hash of every correction made up to this one: what identifies the month's content
    #: (so bulk files cached on disk by an earlier run are reused only for the same story).
    fingerprint: str = ""


class Corrections:
    """Applies corrections to a :class:`Dataset` and remembers what they touched."""

    def __init__(self, ds: Dataset) -> None:
        self.ds = ds
        self._lock = threading.Lock()
        self._touched: dict[tuple[str, str], Stamp] = {}
        self._last = dt.datetime.min.replace(tzinfo=dt.UTC)
        self._fingerprint = ""

    # -- bookkeeping ----------------------------------------------------------------------
    def record(self, *what: object) -> None:
        """Add a correction to the story the fingerprints hash."""
        with self._lock:
            text = f"{self._fingerprint}|{what!r}"
            self._fingerprint = hashlib.sha256(text.encode()).hexdigest()[:24]

    def touch(self, endpoint: str, month: str, at_least: dt.datetime | None = None) -> Stamp:
        """Mark ``endpoint``'s file of ``month`` (YYYY-MM) as rewritten now."""
        with self._lock:
            now = dt.datetime.now(dt.UTC)
            when = max(now, self._last + dt.timedelta(milliseconds=1))
            if at_least is not None:
                when = max(when, at_least)
            self._last = when
            old = self._touched.get((endpoint, month), Stamp(0, None))
            stamp = Stamp(old.count + 1, when, self._fingerprint)
            self._touched[(endpoint, month)] = stamp
            return stamp

    def stamp(self, endpoint: str, month: str) -> Stamp:
        with self._lock:
            return self._touched.get((endpoint, month), Stamp(0, None))

    # -- corrections ----------------------------------------------------------------------
    def correct_closes(
        self,
        day: dt.date,
        codes: Iterable[str] | None = None,
        count: int = 3,
        factor: float | None = None,
    ) -> list[str]:
        """Rewrite the close of some issues on ``day`` (a published business day). Without
        ``codes``, ``count`` issues that traded are picked deterministically; ``factor``
        (default: a deterministic 0.97-1.03 per issue) scales each close."""
        ds = self.ds
        if not ds.is_business_day(day) or day > ds.today:
            raise ValueError(f"{day} is not a published business day")
        if codes is None:
            rows = [r for r in ds.bars_rows_on(day) if r["C"] is not None]
            pick = noise.choice(
                ds.seed, len(rows), np.arange(count), day.toordinal(), ds.version, 0xC0
            )
            codes = sorted({rows[int(j)]["Code"] for j in pick.tolist()})
        codes = [c for c in codes]
        self.record("closes", day, codes, count, factor, ds.version)
        for n, code in enumerate(codes):
            f = factor
            if f is None:
                u = float(noise.uniform(ds.seed, n, day.toordinal(), ds.version, 0xC1))
                f = 0.97 + 0.06 * u if abs(u - 0.5) > 0.05 else 1.03
            ds.fix_close(code, day, f)
        for endpoint in (BARS, VALUATION, BREAKDOWN):  # breakdown Va follows the bar's Va
            self.touch(endpoint, month_of(day))
        return codes

    def restate_statement(
        self,
        code: str,
        disc_no: str | None = None,
        *,
        in_place: bool = False,
        changes: dict[str, str] | None = None,
        on: dt.date | None = None,
    ) -> str:
        """Restate a statement: a new disclosure (new DiscNo) on ``on`` (default today), or
        an in-place change of the same DiscNo. Returns the DiscNo that carries the change."""
        number = self.ds.fundamentals.restate(
            code, disc_no, in_place=in_place, changes=changes, on=on
        )
        self.record("restate", code, disc_no, in_place, sorted((changes or {}).items()), on, number)
        day = dt.date(int(number[:4]), int(number[4:6]), int(number[6:8]))
        for endpoint in (SUMMARY, DETAILS):
            self.touch(endpoint, month_of(day))
        if not in_place:  # valuation uses the latest disclosure from the next business day
            for month in months_between(day, self.ds.today):
                self.touch(VALUATION, month)
        return number

    def announce_split(
        self, code: str, ex_date: dt.date | None = None, factor: float = 0.5
    ) -> dt.date:
        """A split (or reverse split, factor > 1) with ex-date ``ex_date`` (default: the next
        business day), found out now. Once "today" reaches the ex-date, adjusted prices of
        every earlier day change - and so the bulk files of every earlier month."""
        ds = self.ds
        if ex_date is None:
            ex_date = ds.next_business_day(ds.today + dt.timedelta(days=1))
        ds.add_split(code, ex_date, factor)
        self.record("split", code, ex_date, factor)
        if ex_date <= ds.today:
            # A split missed until now: adjusted history before the ex-date changes, and so do
            # the raw prices and volumes from the ex-date on (in the new shares).
            i = ds.issue(code)
            listed_from = dt.date.fromordinal(int(ds.listing_span(np.array([i]))[0][0]))
            for month in months_between(max(listed_from, DATA_START), ds.today):
                self.touch(BARS, month)
            for endpoint in (VALUATION, BREAKDOWN):
                for month in months_between(ex_date, ds.today):
                    self.touch(endpoint, month)
        return ex_date


def months_between(first: dt.date, last: dt.date) -> list[str]:
    """YYYY-MM of every month from ``first``'s to ``last``'s (inclusive)."""
    out = []
    y, m = first.year, first.month
    while (y, m) <= (last.year, last.month):
        out.append(f"{y:04d}-{m:02d}")
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out

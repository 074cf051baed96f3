"""The V2 REST endpoints: which plan may call each, what parameters it takes, and which rows
it answers (docs/jquants-datasets.md is the reference; this module is its executable form).

A handler gets the :class:`Dataset` and a parsed :class:`Query` and returns the rows, already
limited to the caller's history window. Handlers never see HTTP: the server adds auth, rate
limits, faults and pagination; the bulk files reuse :func:`day_rows`, so a file's rows are by
construction the rows of the same day's REST query.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from moo_markets.jquants_sim.dataset import DATA_START, SECTOR33, Dataset, normalize_code
from moo_markets.jquants_sim.indices import CODES as INDEX_CODES
from moo_markets.jquants_sim.markets import SECTIONS, SHORT_SALE_FROM
from moo_markets.jquants_sim.plans import Window, history_window, required_message
from moo_markets.jquants_sim.table import Table

Rows = Table | list[dict[str, Any]]

_DATE_RE = re.compile(r"^(\d{4})(\d{2})(\d{2})$|^(\d{4})-(\d{2})-(\d{2})$")
_CODE_RE = re.compile(r"^[0-9A-Z]{4,5}$")
_S33 = {s: n for n, (s, _, _) in enumerate(SECTOR33) if s != "9999"}


class ApiError(Exception):
    """An answer other than 200: status and J-Quants' message."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def parse_date(value: str, name: str) -> dt.date:
    """``YYYYMMDD`` or ``YYYY-MM-DD``; anything else, or an impossible date, is a 400."""
    m = _DATE_RE.match(value)
    if m is not None:
        try:
            year, month, day = (int(g) for g in m.groups() if g is not None)
            return dt.date(year, month, day)
        except ValueError:
            pass
    raise ApiError(
        400, f"Invalid {name}: {value!r}. Specify a valid date as YYYYMMDD or YYYY-MM-DD."
    )


@dataclass
class Query:
    """One request's parameters, the caller's plan and the day it is asked on."""

    params: Mapping[str, str]
    plan: str
    today: dt.date
    windowed: bool = True

    @property
    def window(self) -> Window:
        if not self.windowed:
            return Window(dt.date.min, None)
        return history_window(self.plan, self.today)

    def param(self, name: str) -> str | None:
        value = self.params.get(name)
        return value.strip() if value is not None and value.strip() else None

    def date(self, name: str) -> dt.date | None:
        value = self.param(name)
        return None if value is None else parse_date(value, name)

    def code(self, name: str = "code") -> str | None:
        value = self.param(name)
        if value is None:
            return None
        if not _CODE_RE.match(value.upper()):
            raise ApiError(
                400, f"Invalid {name}: {value!r}. Specify a 4 or 5 character issue code."
            )
        return normalize_code(value)

    def require(self, *names: str) -> None:
        if all(self.param(n) is None for n in names):
            raise ApiError(400, required_message(*names))

    def day(self, name: str) -> dt.date | None:
        """A single-date parameter, which must lie inside the window (400 otherwise)."""
        day = self.date(name)
        if day is not None and not self.window.contains(day):
            raise ApiError(400, self.window.message())
        return day

    def span(self, first_name: str = "from", last_name: str = "to") -> tuple[dt.date, dt.date]:
        """``from``..``to`` (either open) clipped to the window and today; a range wholly
        outside the window is a 400."""
        first = self.date(first_name) or dt.date.min
        last = self.date(last_name) or dt.date.max
        window = self.window
        upper = min(last, self.today)
        clipped = window.clip(max(first, DATA_START), upper)
        if clipped is None:
            if first > upper or last < DATA_START:
                return (dt.date.max, dt.date.min)  # nothing exists there: an empty answer
            raise ApiError(400, window.message())
        return clipped


@dataclass(frozen=True)
class Endpoint:
    path: str
    plan: str
    handler: Callable[[Dataset, Query], Rows]
    windowed: bool = True
    day: Callable[[Dataset, dt.date, str], Table] | None = None
    """The rows of one day (``date=`` query): the unit of the bulk files (None: no files)."""


def _empty(keys: tuple[str, ...]) -> Table:
    return Table.empty(keys)


# -- equities ---------------------------------------------------------------------------------
def _master(ds: Dataset, q: Query) -> Rows:
    code = q.code()
    asked = q.date("date")
    effective = ds.master_date(asked)
    if effective is not None and not q.window.contains(effective):
        raise ApiError(400, q.window.message())
    rows = ds.master_rows(asked, q.plan)
    return rows if code is None else [r for r in rows if r["Code"] == code]


def _master_day(ds: Dataset, day: dt.date, plan: str) -> Table:
    if not ds.is_business_day(day) or ds.master_date(day) != day:
        return Table.empty(("Date",))
    return ds.master_table(day, plan in ("standard", "premium"))


def _bars(ds: Dataset, q: Query) -> Rows:
    q.require("date", "code")
    code, day = q.code(), q.day("date")
    if code is None:
        return ds.bars_rows_on(day, q.plan)
    first, last = (day, day) if day is not None else q.span()
    return ds.bars_table_for_code(code, first, last, q.plan)


def _bars_day(ds: Dataset, day: dt.date, plan: str) -> Table:
    return ds.bars_table_on(day, plan)


class NoData(Exception):
    """J-Quants' 210: no data for this request (the morning session outside its hours)."""


def _bars_am(ds: Dataset, q: Query) -> Rows:
    code = q.code()
    today = ds.today
    if not ds.is_business_day(today):
        raise NoData
    table = ds.bars_table_on(today, "premium")
    keep = [j for j, c in enumerate(table.column("Code")) if code is None or c == code]
    picked = table.take(keep)
    keys = ("Date", "Code", "MO", "MH", "ML", "MC", "MVo", "MVa")
    return Table(keys, tuple(picked.column(k) for k in keys))


def _valuation_pairs(ds: Dataset, q: Query) -> tuple[np.ndarray, np.ndarray]:
    q.require("date", "code")
    code, day = q.code(), q.day("date")
    if code is None:
        if day > ds.today or not ds.is_business_day(day) or day < DATA_START:
            return np.zeros(0, np.int64), np.zeros(0, np.int64)
        idx = ds.listed(day)
        return idx, np.full(len(idx), day.toordinal(), dtype=np.int64)
    first, last = (day, day) if day is not None else q.span()
    return ds.issue_days(code, first, last)


def _valuation(ds: Dataset, q: Query) -> Rows:
    return ds.fundamentals.valuation_table(*_valuation_pairs(ds, q))


def _valuation_day(ds: Dataset, day: dt.date, plan: str) -> Table:
    return _as_table(_valuation(ds, Query({"date": day.isoformat()}, "premium", ds.today, False)))


def _investor_types(ds: Dataset, q: Query) -> Rows:
    section = q.param("section")
    first, last = q.span()
    if section is not None and section not in SECTIONS:
        return []
    m = ds.markets
    return m.investor_table(m.investor_positions(first, last, section))


def _investor_day(ds: Dataset, day: dt.date, plan: str) -> Table:
    m = ds.markets
    return m.investor_table(m.investor_positions(day, day))


def _earnings_calendar(ds: Dataset, q: Query) -> Rows:
    return ds.fundamentals.earnings_calendar_table()


# -- fins -------------------------------------------------------------------------------------
def _fins_positions(ds: Dataset, q: Query) -> np.ndarray:
    q.require("date", "code")
    code, day = q.code(), q.day("date")
    f = ds.fundamentals
    if day is not None:
        pos = f.positions_on(day)
    else:
        first, last = q.span()
        pos = f.positions_between(first, last) if first <= last else np.zeros(0, np.int64)
    if code is not None:
        i = ds.issue(code)
        pos = pos[f.events.issue[pos] == (-1 if i is None else i)]
    return pos


def _summary(ds: Dataset, q: Query) -> Rows:
    return ds.fundamentals.summary_table(_fins_positions(ds, q))


def _summary_day(ds: Dataset, day: dt.date, plan: str) -> Table:
    return ds.fundamentals.summary_table(ds.fundamentals.positions_on(day))


def _details(ds: Dataset, q: Query) -> Rows:
    return ds.fundamentals.details_table(_fins_positions(ds, q))


def _details_day(ds: Dataset, day: dt.date, plan: str) -> Table:
    return ds.fundamentals.details_table(ds.fundamentals.positions_on(day))


def _dividend(ds: Dataset, q: Query) -> Rows:
    q.require("date", "code")
    code, day = q.code(), q.day("date")
    first, last = (day, day) if day is not None else q.span()
    issue = None
    if code is not None:
        issue = ds.issue(code)
        if issue is None:
            return []
    if first > last:
        return []
    return ds.fundamentals.dividend_table(first, last, issue)


def _dividend_day(ds: Dataset, day: dt.date, plan: str) -> Table:
    return ds.fundamentals.dividend_table(day, day)


def _earnings_date(ds: Dataset, q: Query) -> Rows:
    names = ("code", "date", "scheduled_date")
    given = [n for n in names if q.param(n) is not None]
    if not given:
        raise ApiError(400, required_message(*names))
    if len(given) > 1:
        listed = ",".join(f"'{n}'" for n in names)
        raise ApiError(400, f"Only one of the following parameters can be specified; {listed}.")
    f = ds.fundamentals
    if given[0] == "date":
        day = q.day("date")
        return f.earnings_date_table(f.schedule_published_on(day, day))
    window = q.window
    if given[0] == "code":
        code = q.code()
        issue = ds.issue(code)
        select = f.schedule_of(issue) if issue is not None else np.zeros(0, np.int64)
    else:
        select = f.schedule_for(q.date("scheduled_date"))
    pub = f.schedule["pub"][select]
    last = window.last.toordinal() if window.last else 10**9
    return f.earnings_date_table(select[(pub >= window.first.toordinal()) & (pub <= last)])


def _earnings_date_day(ds: Dataset, day: dt.date, plan: str) -> Table:
    f = ds.fundamentals
    return f.earnings_date_table(f.schedule_published_on(day, day))


# -- markets ----------------------------------------------------------------------------------
def _calendar(ds: Dataset, q: Query) -> Rows:
    hol_div = q.param("hol_div")
    if hol_div is not None and hol_div not in ("0", "1", "2", "3"):
        raise ApiError(400, f"Invalid hol_div: {hol_div!r}. Specify one of 0, 1, 2, 3.")
    first, last = q.date("from"), q.date("to")
    window = q.window
    if (first and window.last and first > window.last) or (last and last < window.first):
        raise ApiError(400, window.message())
    lo = max(first or window.first, window.first)
    hi = min(x for x in (last, window.last, dt.date.max) if x is not None)
    return ds.calendar(lo, hi, hol_div) if lo <= hi else []


def _margin_pairs(ds: Dataset, q: Query) -> tuple[np.ndarray, np.ndarray]:
    q.require("date", "code")
    code, day = q.code(), q.day("date")
    m = ds.markets
    if code is None:
        if m.margin_published(day) is None:
            return np.zeros(0, np.int64), np.zeros(0, np.int64)
        idx = m.margin_issues(day)
        return idx, np.full(len(idx), day.toordinal(), dtype=np.int64)
    first, last = (day, day) if day is not None else q.span()
    i = ds.issue(code)
    if i is None or ds.margin_types[i] > 1 or first > last:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    start, gone = ds.listing_span(np.array([i]))
    days = [d for d in m.margin_dates(first, last) if start[0] <= d.toordinal() < gone[0]]
    return np.full(len(days), i, dtype=np.int64), np.array([d.toordinal() for d in days], np.int64)


def _margin_interest(ds: Dataset, q: Query) -> Rows:
    return ds.markets.margin_interest_table(*_margin_pairs(ds, q))


def _margin_interest_day(ds: Dataset, day: dt.date, plan: str) -> Table:
    return _as_table(
        _margin_interest(ds, Query({"date": day.isoformat()}, "premium", ds.today, False))
    )


def _margin_alert(ds: Dataset, q: Query) -> Rows:
    q.require("date", "code")
    code, day = q.code(), q.day("date")
    first, last = (day, day) if day is not None else q.span()
    issue = None
    if code is not None:
        issue = ds.issue(code)
        if issue is None:
            return []
    if first > last:
        return []
    m = ds.markets
    return m.margin_alert_table(m.alert_positions(first, last, issue))


def _margin_alert_day(ds: Dataset, day: dt.date, plan: str) -> Table:
    return ds.markets.margin_alert_table(ds.markets.alert_positions(day, day))


def _short_ratio(ds: Dataset, q: Query) -> Rows:
    q.require("date", "s33")
    s33, day = q.param("s33"), q.day("date")
    sector = None
    if s33 is not None:
        sector = _S33.get(s33.zfill(4))
        if sector is None:
            return []
    if day is not None:
        days = [day] if ds.is_business_day(day) and DATA_START <= day <= ds.today else []
    else:
        first, last = q.span()
        days = ds.business_days(first, last) if first <= last else []
    days = [d for d in days if d != dt.date(2020, 10, 1)]
    sectors = list(_S33.values()) if sector is None else [sector]
    ords = np.repeat(np.array([d.toordinal() for d in days], np.int64), len(sectors))
    secs = np.tile(np.array(sectors, np.int64), len(days))
    return ds.markets.short_ratio_table(ords, secs)


def _short_ratio_day(ds: Dataset, day: dt.date, plan: str) -> Table:
    return _as_table(_short_ratio(ds, Query({"date": day.isoformat()}, "premium", ds.today, False)))


def _short_sale(ds: Dataset, q: Query) -> Rows:
    q.require("code", "disc_date", "calc_date")
    code = q.code()
    disc, calc = q.day("disc_date"), q.day("calc_date")
    m = ds.markets
    if disc is not None:
        pos = m.short_report_positions(disc, disc)
    elif calc is not None:
        pos = m.short_report_positions(calc, calc + dt.timedelta(days=10))
        pos = pos[m.short_reports["calc"][pos] == calc.toordinal()]
    else:
        first, last = q.span("disc_date_from", "disc_date_to")
        pos = (
            m.short_report_positions(max(first, SHORT_SALE_FROM), last)
            if first <= last
            else np.zeros(0, np.int64)
        )
    if code is not None:
        i = ds.issue(code)
        pos = pos[m.short_reports["issue"][pos] == (-1 if i is None else i)]
    return m.short_sale_table(pos)


def _short_sale_day(ds: Dataset, day: dt.date, plan: str) -> Table:
    return ds.markets.short_sale_table(ds.markets.short_report_positions(day, day))


def _breakdown_pairs(ds: Dataset, q: Query) -> tuple[np.ndarray, np.ndarray]:
    return _valuation_pairs(ds, q)


def _breakdown(ds: Dataset, q: Query) -> Rows:
    return ds.markets.breakdown_table(*_breakdown_pairs(ds, q))


def _breakdown_day(ds: Dataset, day: dt.date, plan: str) -> Table:
    return _as_table(_breakdown(ds, Query({"date": day.isoformat()}, "premium", ds.today, False)))


# -- indices ----------------------------------------------------------------------------------
def _topix(ds: Dataset, q: Query) -> Rows:
    first, last = q.span()
    if first > last:
        return []
    ords = ds.business_day_ordinals
    ords = ords[(ords >= first.toordinal()) & (ords <= last.toordinal())]
    return ds.indices.topix_table(ords)


def _topix_day(ds: Dataset, day: dt.date, plan: str) -> Table:
    return _as_table(
        _topix(
            ds, Query({"from": day.isoformat(), "to": day.isoformat()}, "premium", ds.today, False)
        )
    )


def _indices(ds: Dataset, q: Query) -> Rows:
    q.require("date", "code")
    code, day = q.param("code"), q.day("date")
    ix = ds.indices
    if code is not None:
        code = code.upper()
        if code not in INDEX_CODES:
            return []
        first, last = (day, day) if day is not None else q.span()
        if first > last:
            return []
        ords = ds.business_day_ordinals
        ords = ords[(ords >= first.toordinal()) & (ords <= last.toordinal())]
        ords = np.array(
            [o for o in ords.tolist() if ix.active(code, dt.date.fromordinal(o))], np.int64
        )
        return ix.table([code] * len(ords), ords)
    if not ds.is_business_day(day) or not DATA_START <= day <= ds.today:
        return []
    codes = [c for c in INDEX_CODES if ix.active(c, day)]
    return ix.table(codes, np.full(len(codes), day.toordinal(), dtype=np.int64))


def _indices_day(ds: Dataset, day: dt.date, plan: str) -> Table:
    return _as_table(_indices(ds, Query({"date": day.isoformat()}, "premium", ds.today, False)))


# -- derivatives ----------------------------------------------------------------------------
def _derivative_day(ds: Dataset, q: Query) -> dt.date | None:
    """The trading day asked for, if its data is out (published 03:00 the next day)."""
    q.require("date")
    day = q.day("date")
    if not ds.is_business_day(day) or day < DATA_START or day >= ds.today:
        return None
    return day


def _futures(ds: Dataset, q: Query) -> Rows:
    day = _derivative_day(ds, q)
    if day is None:
        return []
    table = ds.derivatives.futures_table(day)
    category, flag = q.param("category"), q.param("contract_flag")
    return _filter(table, {"ProdCat": category, "CCMFlag": flag})


def _options(ds: Dataset, q: Query) -> Rows:
    day = _derivative_day(ds, q)
    if day is None:
        return []
    table = ds.derivatives.options_table(day)
    category, flag, code = q.param("category"), q.param("contract_flag"), q.param("code")
    under = normalize_code(code) if code is not None else None
    return _filter(table, {"ProdCat": category, "CCMFlag": flag, "UndSSO": under})


def _options_225(ds: Dataset, q: Query) -> Rows:
    day = _derivative_day(ds, q)
    return [] if day is None else ds.derivatives.options_225_table(day)


def _drv_day(handler: Callable[[Dataset, Query], Rows]) -> Callable[[Dataset, dt.date, str], Table]:
    def day_rows(ds: Dataset, day: dt.date, plan: str) -> Table:
        return _as_table(handler(ds, Query({"date": day.isoformat()}, "premium", ds.today, False)))

    return day_rows


def _filter(table: Table, wanted: Mapping[str, str | None]) -> Table:
    conditions = [(table.column(k), v) for k, v in wanted.items() if v is not None]
    if not conditions:
        return table
    keep = [j for j in range(len(table)) if all(col[j] == v for col, v in conditions)]
    return table.take(keep)


def _as_table(rows: Rows) -> Table:
    if isinstance(rows, Table):
        return rows
    if not rows:
        return Table.empty(("Date",))
    return Table.from_rows(tuple(rows[0]), (list(r.values()) for r in rows))


ENDPOINTS: dict[str, Endpoint] = {
    e.path: e
    for e in (
        Endpoint("/equities/master", "free", _master, day=_master_day),
        Endpoint("/equities/bars/daily", "free", _bars, day=_bars_day),
        Endpoint("/equities/bars/daily/am", "premium", _bars_am, windowed=False),
        Endpoint("/equities/valuation", "free", _valuation, day=_valuation_day),
        Endpoint("/equities/investor-types", "light", _investor_types, day=_investor_day),
        Endpoint("/equities/earnings-calendar", "free", _earnings_calendar, windowed=False),
        Endpoint("/fins/summary", "free", _summary, day=_summary_day),
        Endpoint("/fins/details", "premium", _details, day=_details_day),
        Endpoint("/fins/dividend", "premium", _dividend, day=_dividend_day),
        Endpoint("/fins/earnings-date", "free", _earnings_date, day=_earnings_date_day),
        Endpoint("/markets/calendar", "free", _calendar),
        Endpoint(
            "/markets/margin-interest", "standard", _margin_interest, day=_margin_interest_day
        ),
        Endpoint("/markets/margin-alert", "standard", _margin_alert, day=_margin_alert_day),
        Endpoint("/markets/short-ratio", "standard", _short_ratio, day=_short_ratio_day),
        Endpoint("/markets/short-sale-report", "standard", _short_sale, day=_short_sale_day),
        Endpoint("/markets/breakdown", "premium", _breakdown, day=_breakdown_day),
        Endpoint("/indices/bars/daily/topix", "light", _topix, day=_topix_day),
        Endpoint("/indices/bars/daily", "standard", _indices, day=_indices_day),
        Endpoint(
            "/derivatives/bars/daily/options/225",
            "standard",
            _options_225,
            day=_drv_day(_options_225),
        ),
        Endpoint("/derivatives/bars/daily/futures", "premium", _futures, day=_drv_day(_futures)),
        Endpoint("/derivatives/bars/daily/options", "premium", _options, day=_drv_day(_options)),
    )
}
"""Every V2 REST dataset the simulator serves, by path (without the ``/v2`` prefix)."""


def rows(ds: Dataset, path: str, params: Mapping[str, str], plan: str) -> list[dict[str, Any]]:
    """What ``GET /v2{path}?{params}`` answers for a ``plan`` key (all pages, fresh dicts;
    raises :class:`ApiError`/:class:`NoData` like the server would). For tests and tools."""
    endpoint = ENDPOINTS[path]
    answer = endpoint.handler(ds, Query(params, plan, ds.today, endpoint.windowed))
    return [dict(r) for r in answer] if isinstance(answer, list) else answer.rows()


def day_rows(ds: Dataset, path: str, day: dt.date, plan: str) -> Table:
    """The rows of ``path`` for ``date=day``, window aside: one day of a bulk file."""
    endpoint = ENDPOINTS[path]
    if endpoint.day is None:
        raise ValueError(f"{path} has no bulk files")
    return endpoint.day(ds, day, plan)

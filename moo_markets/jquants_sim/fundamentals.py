"""Company fundamentals: statement summaries and details, dividends, earnings dates and the
daily valuation derived from them.

Every disclosure is an *event*: an issue, a disclosure day and time, a kind (statement,
earnings or dividend forecast revision, correction of a statement) and the fiscal period it
covers. The event table is generated once, vectorised over every issue and fiscal year, and
every dataset here is a view of it: ``/fins/summary`` and ``/fins/details`` format events,
``/fins/dividend`` and ``/fins/earnings-date`` are derived from the statement events,
``/equities/earnings-calendar`` picks tomorrow's, and ``/equities/valuation`` joins the latest
event known before each day with that day's close - so all of them tell one story about the
same issues, share counts (split-aware) and prices.
"""

from __future__ import annotations

import calendar as pycal
import datetime as dt
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from moo_markets.jquants_sim import noise
from moo_markets.jquants_sim.plans import DATA_START
from moo_markets.jquants_sim.table import Table

if TYPE_CHECKING:
    from moo_markets.jquants_sim.dataset import Dataset

SUMMARY_KEYS = (
    "DiscDate", "DiscTime", "Code", "DiscNo", "DocType", "CurPerType", "CurPerSt", "CurPerEn",
    "CurFYSt", "CurFYEn", "NxtFYSt", "NxtFYEn", "Sales", "OP", "OdP", "NP", "EPS", "DEPS", "TA",
    "Eq", "EqAR", "BPS", "CFO", "CFI", "CFF", "CashEq", "Div1Q", "Div2Q", "Div3Q", "DivFY",
    "DivAnn", "DivUnit", "DivTotalAnn", "PayoutRatioAnn", "FDiv1Q", "FDiv2Q", "FDiv3Q", "FDivFY",
    "FDivAnn", "FDivUnit", "FDivTotalAnn", "FPayoutRatioAnn", "NxFDiv1Q", "NxFDiv2Q", "NxFDiv3Q",
    "NxFDivFY", "NxFDivAnn", "NxFDivUnit", "NxFPayoutRatioAnn", "FSales2Q", "FOP2Q", "FOdP2Q",
    "FNP2Q", "FEPS2Q", "NxFSales2Q", "NxFOP2Q", "NxFOdP2Q", "NxFNp2Q", "NxFEPS2Q", "FSales",
    "FOP", "FOdP", "FNP", "FEPS", "NxFSales", "NxFOP", "NxFOdP", "NxFNp", "NxFEPS", "MatChgSub",
    "SigChgInC", "ChgByASRev", "ChgNoASRev", "ChgAcEst", "RetroRst", "ShOutFY", "TrShFY",
    "AvgSh", "NCSales", "NCOP", "NCOdP", "NCNP", "NCEPS", "NCTA", "NCEq", "NCEqAR", "NCBPS",
    "FNCSales2Q", "FNCOP2Q", "FNCOdP2Q", "FNCNP2Q", "FNCEPS2Q", "NxFNCSales2Q", "NxFNCOP2Q",
    "NxFNCOdP2Q", "NxFNCNP2Q", "NxFNCEPS2Q", "FNCSales", "FNCOP", "FNCOdP", "FNCNP", "FNCEPS",
    "NxFNCSales", "NxFNCOP", "NxFNCOdP", "NxFNCNP", "NxFNCEPS", "ShEq", "NCShEq", "ROE", "NCROE",
)  # fmt: skip
DETAILS_KEYS = ("DiscDate", "DiscTime", "Code", "DiscNo", "DocType", "FS")
DIVIDEND_KEYS = (
    "PubDate", "PubTime", "Code", "RefNo", "StatCode", "BoardDate", "IFCode", "FRCode", "IFTerm",
    "DivRate", "RecDate", "ExDate", "ActRecDate", "PayDate", "CARefNo", "DistAmt", "RetEarn",
    "DeemDiv", "DeemCapGains", "NetAssetDecRatio", "CommSpecCode", "CommDivRate", "SpecDivRate",
)  # fmt: skip
EARNINGS_DATE_KEYS = ("PubDate", "SchDate", "FQName", "FYE", "Code", "CoName", "CoNameEn")
EARNINGS_CALENDAR_KEYS = ("Date", "Code", "CoName", "FY", "SectorNm", "FQ", "Section")
VALUATION_KEYS = (
    "Date", "Code", "EPS", "FwdEPS", "BPS", "ROE", "FwdROE", "PER", "FwdPER", "PBR", "MktCap",
)  # fmt: skip

STATEMENT, EARN_REVISION, DIV_REVISION, CORRECTION = 0, 1, 2, 3
_KIND_DOC = {EARN_REVISION: "EarnForecastRevision", DIV_REVISION: "DividendForecastRevision"}
_STANDARDS = ("JP", "IFRS", "US")
_TIMES = ("11:30:00", "12:00:00", "13:00:00", "14:00:00", "15:00:00", "15:30:00", "16:00:00")
_TIME_WEIGHTS = np.array([0.04, 0.04, 0.08, 0.1, 0.42, 0.26, 0.06])
_FYE_MONTHS = np.array([3, 12, 9, 6, 2, 5, 8, 10, 11, 1])
_FYE_WEIGHTS = np.array([0.70, 0.13, 0.04, 0.03, 0.03, 0.02, 0.02, 0.01, 0.01, 0.01])
_FQ_JA = {1: "第１四半期", 2: "第２四半期", 3: "第３四半期", 4: "本決算"}
SIG_CHG_FROM = dt.date(2024, 7, 22)
COMM_SPEC_FROM = dt.date(2022, 6, 6)
T_PLUS_2_FROM = dt.date(2019, 7, 16)
_BASE = dt.date(2006, 1, 1).toordinal()
_SHIFT = 1 << 21


def _month_ends() -> tuple[int, np.ndarray]:
    """Ordinal of the last day of every month from 2005-01, indexed by year*12 + month-1."""
    first = 2005 * 12
    ends = [
        dt.date(mi // 12, mi % 12 + 1, pycal.monthrange(mi // 12, mi % 12 + 1)[1]).toordinal()
        for mi in range(first, 2045 * 12)
    ]
    return first, np.array(ends, dtype=np.int64)


_MONTH0, _MONTH_END = _month_ends()


def month_end(mi: np.ndarray) -> np.ndarray:
    return _MONTH_END[mi - _MONTH0]


@dataclass
class _Events:
    """Every disclosure, sorted by (day, serial); parallel arrays."""

    issue: np.ndarray
    disc: np.ndarray  # ordinal
    time: np.ndarray  # index into _TIMES
    kind: np.ndarray
    fy: np.ndarray  # fiscal-year label: year of the fiscal year end
    q: np.ndarray  # 1..4 (4 = full year); revisions cover the full year
    serial: np.ndarray  # DiscNo = disclosure date + serial; never changes once given
    key: np.ndarray  # a stable per-event noise key (positions move when events are added)

    def __len__(self) -> int:
        return len(self.issue)


class Fundamentals:
    """Statements and everything derived from them, for one :class:`Dataset`."""

    def __init__(self, ds: Dataset) -> None:
        self.ds = ds
        seed = ds.seed
        n = ds.n_issues
        ids = np.arange(n, dtype=np.int64)
        size = np.clip(ds.sizes, -3.0, 6.0)
        self.fye = _FYE_MONTHS[
            np.searchsorted(np.cumsum(_FYE_WEIGHTS), noise.uniform(seed, ids, 0xF1E), "right")
        ]
        u = noise.uniform(seed, ids, 0xACC7)
        self.standard = np.where(u < 0.82, 0, np.where(u < 0.97, 1, 2))
        self.consolidated = (noise.uniform(seed, ids, 0xC0) < 0.86) | (self.standard > 0)
        # Sales scale with the market value the price model gives the issue (so PER, PBR and
        # dividend yields land in believable ranges).
        cap0 = np.exp(ds.price_model.base) * ds.base_shares
        self.sales0 = cap0 * 1.3 * np.exp(0.45 * noise.normal(seed, ids, 0x5A1E) + 0.05 * size)
        self.growth = 0.025 + 0.04 * noise.normal(seed, ids, 0x6407)
        self.margin = np.clip(0.07 + 0.05 * noise.normal(seed, ids, 0x3A26), -0.12, 0.35)
        self.assets_ratio = 0.6 + 1.2 * noise.uniform(seed, ids, 0xA55E)
        self.eq_ratio = 0.22 + 0.5 * noise.uniform(seed, ids, 0xE9A)
        self.div_payer = noise.uniform(seed, ids, 0xD1F) < 0.78
        self.interim_payer = self.div_payer & (noise.uniform(seed, ids, 0x1D1F) < 0.7)
        self.payout = 0.2 + 0.25 * noise.uniform(seed, ids, 0x9A40)
        self.edinet = [f"E{(1000 + (i * 7919) % 90000):05d}" for i in range(n)]
        self._lock = threading.Lock()
        self._events: _Events | None = None
        self._extra: list[tuple[int, int, int, int, int]] = []  # (issue, day, kind, fy, q)
        self._overrides: dict[str, dict[str, Any]] = {}
        self._cache: dict[Any, Any] = {}
        self._months: dict[Any, Table] = {}

    def invalidate(self) -> None:
        with self._lock:
            self._cache.clear()
            self._months.clear()

    # -- the event table ---------------------------------------------------------------
    @property
    def events(self) -> _Events:
        with self._lock:
            if self._events is None:
                self._events = self._build_events()
            return self._events

    def _build_events(self) -> _Events:
        ds, seed = self.ds, self.ds.seed
        bd = ds.business_day_ordinals
        n = ds.n_issues
        years = np.arange(2008, dt.date.fromordinal(int(bd[-1])).year + 1, dtype=np.int64)
        issue = np.repeat(np.arange(n, dtype=np.int64), len(years) * 4)
        fy = np.tile(np.repeat(years, 4), n)
        q = np.tile(np.arange(1, 5, dtype=np.int64), n * len(years))
        fy_end_mi = fy * 12 + self.fye[issue] - 1
        period_end = month_end(fy_end_mi - 3 * (4 - q))
        lag = np.where(
            q == 4,
            38 + 14 * noise.uniform(seed, issue, fy, q, 0x1A6),
            29 + 14 * noise.uniform(seed, issue, fy, q, 0x1A6),
        )
        disc = self._next_business_day(period_end + lag.astype(np.int64))
        first_ok, gone = ds.listing_span(issue)
        keep = (disc >= max(DATA_START.toordinal(), 0)) & (disc >= first_ok + 25) & (disc < gone)
        keep &= disc <= bd[-1]
        issue, fy, q, disc = issue[keep], fy[keep], q[keep], disc[keep]
        kind = np.full(len(issue), STATEMENT, dtype=np.int64)

        # Forecast revisions: some issues revise their full-year forecast once a year.
        revising = (noise.uniform(seed, issue, fy, 0x7E1) < 0.07) & (q == 3)
        rev_disc = self._shift_business_days(
            disc[revising], -(3 + noise.choice(seed, 20, issue[revising], fy[revising], 0x7E2))
        )
        div_rev = (noise.uniform(seed, issue, fy, 0x7E3) < 0.02) & (q == 2) & self.div_payer[issue]
        div_disc = self._shift_business_days(
            disc[div_rev], 2 + noise.choice(seed, 20, issue[div_rev], fy[div_rev], 0x7E4)
        )
        # Corrections (訂正): a new disclosure of the same period a few days later.
        correcting = noise.uniform(seed, issue, fy, q, 0xC0E) < 0.012
        cor_disc = self._shift_business_days(
            disc[correcting],
            3 + noise.choice(seed, 25, issue[correcting], fy[correcting], q[correcting], 0xC0F),
        )

        issue = np.concatenate([issue, issue[revising], issue[div_rev], issue[correcting]])
        fy = np.concatenate([fy, fy[revising], fy[div_rev], fy[correcting]])
        q = np.concatenate(
            [q, np.full(revising.sum(), 4), np.full(div_rev.sum(), 4), q[correcting]]
        )
        kind = np.concatenate([
            kind, np.full(revising.sum(), EARN_REVISION), np.full(div_rev.sum(), DIV_REVISION),
            np.full(correcting.sum(), CORRECTION),
        ])  # fmt: skip
        disc = np.concatenate([disc, rev_disc, div_disc, cor_disc])
        ok = disc <= bd[-1]
        issue, disc, kind, fy, q = issue[ok], disc[ok], kind[ok], fy[ok], q[ok]
        key = noise.hash_keys(seed, issue, disc, kind, fy, q, 0x5E41).view(np.int64)
        order = np.lexsort((key, disc))
        issue, disc, kind, fy, q, key = (a[order] for a in (issue, disc, kind, fy, q, key))
        serial = 500_000 + np.arange(len(disc)) - np.searchsorted(disc, disc, side="left")
        # Disclosures added later (restatements) take the next free serial of their day, so
        # no existing DiscNo ever changes.
        for n, (i, day, knd, fy_, q_) in enumerate(self._extra):
            issue, disc, kind = np.append(issue, i), np.append(disc, day), np.append(kind, knd)
            fy, q = np.append(fy, fy_), np.append(q, q_)
            key = np.append(key, np.int64(-1 - n))
            serial = np.append(serial, 900_000 + n)
        order = np.lexsort((serial, disc))
        issue, disc, kind, fy, q, key, serial = (
            a[order] for a in (issue, disc, kind, fy, q, key, serial)
        )
        time = np.searchsorted(np.cumsum(_TIME_WEIGHTS), noise.uniform(seed, key, 0x71E), "right")
        time = np.minimum(time, len(_TIMES) - 1)
        return _Events(issue, disc, time, kind, fy, q, serial, key)

    def _next_business_day(self, ords: np.ndarray) -> np.ndarray:
        bd = self.ds.business_day_ordinals
        pos = np.minimum(np.searchsorted(bd, ords, side="left"), len(bd) - 1)
        return bd[pos]

    def _shift_business_days(self, ords: np.ndarray, by: np.ndarray | int) -> np.ndarray:
        bd = self.ds.business_day_ordinals
        pos = np.searchsorted(bd, ords, side="left") + by
        return bd[np.clip(pos, 0, len(bd) - 1)]

    def disc_no(self, positions: np.ndarray) -> list[str]:
        ev = self.events
        out = []
        for o, s in zip(ev.disc[positions].tolist(), ev.serial[positions].tolist(), strict=True):
            d = dt.date.fromordinal(o)
            out.append(f"{d.year:04d}{d.month:02d}{d.day:02d}{s:06d}")
        return out

    # -- selections ----------------------------------------------------------------------
    def _visible(self) -> int:
        """Events disclosed by "now" (the evening of today) are visible."""
        ev = self.events
        return int(np.searchsorted(ev.disc, self.ds.today.toordinal(), side="right"))

    def positions_on(self, day: dt.date, kinds: tuple[int, ...] | None = None) -> np.ndarray:
        ev = self.events
        o = day.toordinal()
        lo = int(np.searchsorted(ev.disc, o, side="left"))
        hi = min(int(np.searchsorted(ev.disc, o, side="right")), self._visible())
        pos = np.arange(lo, max(lo, hi), dtype=np.int64)
        return pos if kinds is None else pos[np.isin(ev.kind[pos], kinds)]

    def positions_between(
        self, first: dt.date, last: dt.date, kinds: tuple[int, ...] | None = None
    ) -> np.ndarray:
        ev = self.events
        lo = int(np.searchsorted(ev.disc, first.toordinal(), side="left"))
        hi = min(int(np.searchsorted(ev.disc, last.toordinal(), side="right")), self._visible())
        pos = np.arange(lo, max(lo, hi), dtype=np.int64)
        return pos if kinds is None else pos[np.isin(ev.kind[pos], kinds)]

    def positions_of(
        self, issue: int, first: dt.date, last: dt.date, kinds: tuple[int, ...] | None = None
    ) -> np.ndarray:
        pos = self.positions_between(first, last, kinds)
        return pos[self.events.issue[pos] == issue]

    # -- figures -----------------------------------------------------------------------
    def _fy_figures(self, i: np.ndarray, y: np.ndarray) -> dict[str, np.ndarray]:
        seed = self.ds.seed
        sales = self.sales0[i] * np.exp(
            self.growth[i] * (y - 2008) + 0.07 * noise.normal(seed, i, y, 0x11)
        )
        margin = self.margin[i] + 0.025 * noise.normal(seed, i, y, 0x12)
        op = sales * margin
        odp = op * (1.0 + 0.04 * noise.normal(seed, i, y, 0x13))
        np_ = np.where(odp > 0, odp * (0.64 + 0.04 * noise.normal(seed, i, y, 0x14)), odp * 1.05)
        return {"Sales": sales, "OP": op, "OdP": odp, "NP": np_}

    def figures(self, pos: np.ndarray) -> dict[str, np.ndarray]:
        """Numbers behind each event (NaN = not disclosed), in yen, shares and yen/share."""
        ds, seed = self.ds, self.ds.seed
        ev = self.events
        i, y, q, kind = ev.issue[pos], ev.fy[pos], ev.q[pos], ev.kind[pos]
        key = ev.key[pos]
        fy = self._fy_figures(i, y)
        prev = self._fy_figures(i, y - 1)
        nxt = self._fy_figures(i, y + 1)
        frac = np.where(q == 4, 1.0, q / 4.0 * (1.0 + 0.04 * noise.normal(seed, i, y, q, 0x15)))
        out: dict[str, np.ndarray] = {}
        for k in ("Sales", "OP", "OdP", "NP"):
            out[k] = np.round(fy[k] * frac, -6)
        # A correction restates its original's profit figures.
        cor = kind == CORRECTION
        if cor.any():
            bump = 1.0 + 0.03 * noise.normal(seed, key, 0xC1)
            for k in ("OP", "OdP", "NP"):
                out[k] = np.where(cor, np.round(out[k] * bump, -6), out[k])
        period_end = month_end(y * 12 + self.fye[i] - 1 - 3 * (4 - q))
        shares = ds.shares_outstanding(i, period_end)
        treasury = np.round(shares * self.treasury_frac_of(i))
        avg = np.round((shares - treasury) * (1.0 - 0.002 * noise.uniform(seed, i, y, q, 0x16)))
        out["ShOutFY"], out["TrShFY"], out["AvgSh"] = shares, treasury, avg
        out["EPS"] = np.round(out["NP"] / avg, 2)
        ta = fy["Sales"] * self.assets_ratio[i] * (1.0 + 0.02 * noise.normal(seed, i, y, q, 0x17))
        eq = ta * self.eq_ratio[i] * (1.0 + 0.02 * noise.normal(seed, i, y, q, 0x18))
        out["TA"], out["Eq"] = np.round(ta, -6), np.round(eq, -6)
        out["EqAR"] = np.round(out["Eq"] / out["TA"], 3)
        out["BPS"] = np.round(out["Eq"] / (shares - treasury), 2)
        cf = (q == 2) | (q == 4)
        cfo = out["NP"] * (1.3 + 0.2 * noise.normal(seed, i, y, q, 0x19))
        out["CFO"] = np.where(cf, np.round(cfo, -6), np.nan)
        out["CFI"] = np.where(
            cf,
            np.round(-0.6 * np.abs(cfo) * (1 + 0.3 * noise.normal(seed, i, y, q, 0x1A)), -6),
            np.nan,
        )
        out["CFF"] = np.where(
            cf,
            np.round(-0.3 * np.abs(cfo) * (1 + 0.3 * noise.normal(seed, i, y, q, 0x1B)), -6),
            np.nan,
        )
        out["CashEq"] = np.where(
            cf, np.round(ta * (0.08 + 0.1 * noise.uniform(seed, i, y, q, 0x1C)), -6), np.nan
        )
        # Dividends per share: annual = payout x full-year EPS, in half-yen steps.
        fy_eps = fy["NP"] / np.maximum(avg, 1)
        dps = np.where(
            self.div_payer[i], np.maximum(np.round(self.payout[i] * fy_eps * 2) / 2, 0.0), 0.0
        )
        interim = np.where(self.interim_payer[i], np.round(dps / 2 * 2) / 2, 0.0)
        out["Div2Q"] = np.where(q >= 2, interim, np.nan)
        out["DivFY"] = np.where(q == 4, dps - interim, np.nan)
        out["DivAnn"] = np.where(q == 4, dps, np.nan)
        out["DivTotalAnn"] = np.where(q == 4, np.round(dps * (shares - treasury), -6), np.nan)
        out["PayoutRatioAnn"] = np.where(
            (q == 4) & (fy_eps > 0), np.round(dps / np.maximum(fy_eps, 1e-9) * 100, 1), np.nan
        )
        f_dps = np.round(dps * (1 + 0.04 * noise.normal(seed, i, y, 0x1D)) * 2) / 2
        n_dps = np.where(
            self.div_payer[i],
            np.maximum(np.round(self.payout[i] * nxt["NP"] / np.maximum(avg, 1) * 2) / 2, 0.0),
            0.0,
        )
        quarterly = q < 4
        out["FDiv2Q"] = np.where(
            q == 1, np.where(self.interim_payer[i], np.round(f_dps / 2 * 2) / 2, 0.0), np.nan
        )
        out["FDivFY"] = np.where(
            quarterly,
            f_dps - np.where(self.interim_payer[i], np.round(f_dps / 2 * 2) / 2, 0.0),
            np.nan,
        )
        out["FDivAnn"] = np.where(quarterly, f_dps, np.nan)
        out["NxFDiv2Q"] = np.where(
            q == 4, np.where(self.interim_payer[i], np.round(n_dps / 2 * 2) / 2, 0.0), np.nan
        )
        out["NxFDivFY"] = np.where(q == 4, n_dps - out["NxFDiv2Q"], np.nan)
        out["NxFDivAnn"] = np.where(q == 4, n_dps, np.nan)
        # Forecasts: the current year during the year, next year at the full-year statement.
        err = 1.0 + 0.03 * noise.normal(seed, i, y, q, 0x20)
        for k, short in (("Sales", "Sales"), ("OP", "OP"), ("OdP", "OdP"), ("NP", "NP")):
            out["F" + short] = np.where(quarterly, np.round(fy[k] * err, -6), np.nan)
            out["F" + short + "2Q"] = np.where(q == 1, np.round(fy[k] * 0.49 * err, -6), np.nan)
            nx = "NxFNp" if k == "NP" else "NxF" + short
            out[nx] = np.where(q == 4, np.round(nxt[k] * err, -6), np.nan)
            out[nx + "2Q"] = np.where(q == 4, np.round(nxt[k] * 0.49 * err, -6), np.nan)
        out["FEPS"] = np.round(out["FNP"] / avg, 2)
        out["FEPS2Q"] = np.round(out["FNP2Q"] / avg, 2)
        out["NxFEPS"] = np.round(out["NxFNp"] / avg, 2)
        out["NxFEPS2Q"] = np.round(out["NxFNp2Q"] / avg, 2)
        # Revisions carry only the revised forecast.
        rev = kind == EARN_REVISION
        if rev.any():
            bump = 1.0 + 0.06 * noise.normal(seed, key, 0x21)
            for k in ("Sales", "OP", "OdP", "NP"):
                out["F" + k] = np.where(rev, np.round(fy[k] * bump, -6), out["F" + k])
            out["FEPS"] = np.where(rev, np.round(out["FNP"] / avg, 2), out["FEPS"])
        div_rev = kind == DIV_REVISION
        if div_rev.any():
            bump = np.round(dps * (1.1 + 0.1 * noise.uniform(seed, key, 0x22)) * 2) / 2
            out["FDivAnn"] = np.where(div_rev, bump, out["FDivAnn"])
            out["FDivFY"] = np.where(div_rev, bump - interim, out["FDivFY"])
        ttm = fy["NP"] * q / 4.0 + prev["NP"] * (1.0 - q / 4.0)
        out["TTM_NP"] = ttm
        out["ShEq"] = np.round(out["Eq"] * 0.95, -6)
        out["ROE"] = np.round(ttm / out["Eq"], 4)
        out["FWD_NP"] = np.where(q == 4, nxt["NP"] * err, out["FNP"])
        out["period_end"] = period_end
        out["fy_start"] = month_end(y * 12 + self.fye[i] - 1 - 12) + 1
        out["fy_end"] = month_end(y * 12 + self.fye[i] - 1)
        return out

    def treasury_frac_of(self, i: np.ndarray) -> np.ndarray:
        return self.ds.treasury_frac[i]

    # -- /fins/summary ------------------------------------------------------------------
    def summary_table(self, pos: np.ndarray) -> Table:
        if len(pos) == 0:
            return Table.empty(SUMMARY_KEYS)
        ev = self.events
        f = self.figures(pos)
        i, q, kind = ev.issue[pos], ev.q[pos], ev.kind[pos]
        n = len(pos)
        statement = kind != EARN_REVISION
        statement &= kind != DIV_REVISION
        std = self.standard[i]
        cols: dict[str, list[Any]] = {}
        cols["DiscDate"] = [_iso(o) for o in ev.disc[pos].tolist()]
        cols["DiscTime"] = [_TIMES[t] for t in ev.time[pos].tolist()]
        cols["Code"] = self.ds.code_of(i)
        cols["DiscNo"] = self.disc_no(pos)
        cols["DocType"] = self._doc_types(pos)
        cols["CurPerType"] = [("FY" if qq == 4 else f"{qq}Q") for qq in q.tolist()]
        cols["CurPerSt"] = [_iso(o) for o in f["fy_start"].tolist()]
        cols["CurPerEn"] = [
            _iso(o) for o in np.where(statement, f["period_end"], f["fy_end"]).tolist()
        ]
        cols["CurFYSt"] = list(cols["CurPerSt"])
        cols["CurFYEn"] = [_iso(o) for o in f["fy_end"].tolist()]
        nx = (q == 4) & statement
        nxt_end = month_end(ev.fy[pos] * 12 + self.fye[i] - 1 + 12)
        cols["NxtFYSt"] = [
            (_iso(a + 1) if b else "")
            for a, b in zip(f["fy_end"].tolist(), nx.tolist(), strict=True)
        ]
        cols["NxtFYEn"] = [
            (_iso(a) if b else "") for a, b in zip(nxt_end.tolist(), nx.tolist(), strict=True)
        ]
        no_odp = std > 0
        money = (
            "Sales",
            "OP",
            "OdP",
            "NP",
            "TA",
            "Eq",
            "CFO",
            "CFI",
            "CFF",
            "CashEq",
            "DivTotalAnn",
            "ShEq",
        )
        for k in SUMMARY_KEYS[12:]:
            if k in cols:
                continue
            values = f.get(k)
            if values is None:
                cols[k] = [""] * n
                continue
            mask = np.isnan(values)
            if k in ("OdP", "FOdP", "FOdP2Q", "NxFOdP", "NxFOdP2Q"):
                mask = mask | no_odp
            if k not in ("FSales", "FOP", "FOdP", "FNP", "FEPS", "FDivFY", "FDivAnn"):
                mask = mask | ~statement  # revisions carry only their forecasts
            if k in ("EPS", "FEPS", "FEPS2Q", "NxFEPS", "NxFEPS2Q", "BPS"):
                cols[k] = _fmt(values, mask, "{:.2f}")
            elif k == "EqAR":
                cols[k] = _fmt(values, mask, "{:.3f}")
            elif k == "ROE":
                cols[k] = _fmt(values, mask, "{:.4f}")
            elif k == "PayoutRatioAnn":
                cols[k] = _fmt(values, mask, "{:.1f}")
            elif k in money or k in ("ShOutFY", "TrShFY", "AvgSh"):
                cols[k] = _fmt(values, mask, "{:.0f}")
            elif k.startswith(("Div", "FDiv", "NxFDiv")):
                cols[k] = _fmt(values, mask, None)
            elif k.startswith(("F", "NxF")):
                cols[k] = _fmt(values, mask, "{:.0f}")
            else:
                cols[k] = _fmt(values, mask, None)
        eps = f["EPS"]
        cols["DEPS"] = [
            (f"{e * 0.996:.2f}" if s and h < 0.45 and e == e else "")
            for e, s, h in zip(
                eps.tolist(),
                statement.tolist(),
                noise.uniform(self.ds.seed, i, 0xDE95).tolist(),
                strict=True,
            )
        ]
        flags = np.where(statement, "false", "")
        for k in ("MatChgSub", "ChgByASRev", "ChgNoASRev", "ChgAcEst", "RetroRst"):
            cols[k] = flags.tolist()
        sig = np.where(statement & (ev.disc[pos] >= SIG_CHG_FROM.toordinal()), "false", "")
        cols["SigChgInC"] = sig.tolist()
        cols["ChgAcEst"] = np.where(
            statement & (noise.uniform(self.ds.seed, ev.key[pos], 0xAC) < 0.03),
            "true",
            cols["ChgAcEst"],
        ).tolist()
        cols["RetroRst"] = np.where(kind == CORRECTION, "true", cols["RetroRst"]).tolist()
        table = Table(SUMMARY_KEYS, tuple(cols[k] for k in SUMMARY_KEYS))
        return self._apply_overrides(table)

    def _doc_types(self, pos: np.ndarray) -> list[str]:
        ev = self.events
        out = []
        for i, q, kind in zip(
            ev.issue[pos].tolist(), ev.q[pos].tolist(), ev.kind[pos].tolist(), strict=True
        ):
            if kind in _KIND_DOC:
                out.append(_KIND_DOC[kind])
                continue
            period = "FY" if q == 4 else f"{q}Q"
            scope = "Consolidated" if self.consolidated[i] else "NonConsolidated"
            out.append(f"{period}FinancialStatements_{scope}_{_STANDARDS[self.standard[i]]}")
        return out

    def _apply_overrides(self, table: Table) -> Table:
        """In-place corrections (same DiscNo, changed values), newest wins."""
        if not self._overrides or not len(table):
            return table
        numbers = table.column("DiscNo")
        columns = [list(c) for c in table.columns]
        for r, no in enumerate(numbers):
            change = self._overrides.get(no)
            if change:
                for key, value in change.items():
                    columns[table.keys.index(key)][r] = value
        return Table(table.keys, tuple(columns))

    # -- /fins/details ------------------------------------------------------------------
    def details_table(self, pos: np.ndarray) -> Table:
        ev = self.events
        pos = pos[np.isin(ev.kind[pos], (STATEMENT, CORRECTION))]
        if len(pos) == 0:
            return Table.empty(DETAILS_KEYS)
        summary = self.summary_table(pos)
        f = self.figures(pos)
        i = ev.issue[pos]
        names = self.ds.name_of(i, ev.disc[pos])
        rows = []
        get = summary.column
        for r in range(len(pos)):
            std = int(self.standard[i[r]])
            suffix = " (IFRS)" if std == 1 else (" (US GAAP)" if std == 2 else "")
            fs: dict[str, str] = {
                "EDINET code, DEI": self.edinet[int(i[r])],
                "Security code, DEI": get("Code")[r],
                "Filer name in Japanese, DEI": names[r][0],
                "Filer name in English, DEI": names[r][1],
                "Accounting standards, DEI": ("Japan GAAP", "IFRS", "US GAAP")[std],
                "Type of current period, DEI": get("CurPerType")[r],
                "Current fiscal year start date, DEI": get("CurFYSt")[r],
                "Current period end date, DEI": get("CurPerEn")[r],
                "Current fiscal year end date, DEI": get("CurFYEn")[r],
                "Amendment flag, DEI": "true" if int(ev.kind[pos[r]]) == CORRECTION else "false",
            }
            sales, op, np_ = f["Sales"][r], f["OP"][r], f["NP"][r]
            items = {
                "Revenue" if std else "Net sales": sales,
                "Cost of sales": round(sales * 0.72, -6),
                "Gross profit": round(sales * 0.28, -6),
                "Operating profit (loss)": op,
                "Profit (loss) before tax" if std else "Ordinary profit (loss)": f["OdP"][r]
                if std == 0
                else round(op * 1.02, -6),
                "Income tax expense" if std else "Income taxes - current": round(
                    max(op, 0) * 0.3, -6
                ),
                "Profit (loss) attributable to owners of parent": np_,
                "Assets": f["TA"][r],
                "Liabilities": f["TA"][r] - f["Eq"][r],
                "Equity" if std else "Net assets": f["Eq"][r],
                "Cash and cash equivalents": f["CashEq"][r],
                "Net cash provided by (used in) operating activities": f["CFO"][r],
                "Net cash provided by (used in) investing activities": f["CFI"][r],
                "Net cash provided by (used in) financing activities": f["CFF"][r],
            }
            for label, value in items.items():
                if value == value:  # not NaN
                    fs[label + suffix] = f"{value:.0f}"
            fs["Basic earnings (loss) per share" + suffix] = get("EPS")[r]
            rows.append([get(k)[r] for k in DETAILS_KEYS[:-1]] + [fs])
        return Table.from_rows(DETAILS_KEYS, rows)

    # -- /fins/dividend -----------------------------------------------------------------
    def dividend_table(self, first: dt.date, last: dt.date, issue: int | None = None) -> Table:
        """Dividend notices published in ``first..last`` (of one issue, or all).

        Built a month at a time (RefNo serials count every notice of a day), then filtered."""
        last = min(last, self.ds.today)
        if first > last:
            return Table.empty(DIVIDEND_KEYS)
        code = None if issue is None else self.ds.code_of(np.array([issue]))[0]
        lo, hi = first.isoformat(), last.isoformat()
        out: Table | None = None
        month = first.replace(day=1)
        while month <= last:
            table = self._dividend_month(month)
            dates, codes = table.column("PubDate"), table.column("Code")
            keep = [
                j for j, d in enumerate(dates)
                if lo <= d <= hi and (code is None or codes[j] == code)
            ]  # fmt: skip
            part = table if len(keep) == len(table) else table.take(keep)
            out = part if out is None else out.concat(part)
            month = (month + dt.timedelta(days=32)).replace(day=1)
        return out if out is not None else Table.empty(DIVIDEND_KEYS)

    def _dividend_month(self, month: dt.date) -> Table:
        """Every notice published in ``month`` (up to today)."""
        today = self.ds.today
        key = ("dividend-month", month, min(today, month + dt.timedelta(days=31)))
        with self._lock:
            cached = self._months.get(key)
        if cached is not None:
            return cached
        last = (month + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1)
        ev = self.events
        # Corrections follow their notice by up to ~2 weeks: start from earlier statements.
        pos = self.positions_between(month - dt.timedelta(days=21), last, (STATEMENT,))
        pos = pos[self.div_payer[ev.issue[pos]] & ((ev.q[pos] == 2) | (ev.q[pos] == 4))]
        table = self._dividend_rows(pos, month.toordinal(), last.toordinal())
        with self._lock:
            if len(self._months) > 400:
                self._months.clear()
            self._months[key] = table
        return table

    def _dividend_rows(self, pos: np.ndarray, first: int, last: int) -> Table:
        if len(pos) == 0:
            return Table.empty(DIVIDEND_KEYS)
        ds, seed = self.ds, self.ds.seed
        ev = self.events
        f = self.figures(pos)
        n = len(pos)
        i, q, keys, days = ev.issue[pos], ev.q[pos], ev.key[pos], ev.disc[pos]
        interim = q == 2
        fy_end = ev.fy[pos] * 12 + self.fye[i] - 1
        # Notices: the decided dividend of every statement; with a full-year statement also
        # next year's forecasts (interim one only for interim payers).
        fi = np.flatnonzero(~interim & self.interim_payer[i])
        fa = np.flatnonzero(~interim)
        undecided = noise.uniform(seed, keys[fa], 0xD1) < 0.03
        src = np.concatenate([np.arange(n), fi, fa])
        sub = np.concatenate(
            [np.zeros(n, np.int64), np.ones(len(fi), np.int64), np.full(len(fa), 2)]
        )
        rec = np.concatenate(
            [
                f["period_end"].astype(np.int64),
                month_end(fy_end[fi] + 6),
                month_end(fy_end[fa] + 12),
            ]
        )
        rate = np.concatenate([
            np.where(interim, f["Div2Q"], f["DivFY"]), f["NxFDiv2Q"][fi],
            np.where(undecided, np.nan, f["NxFDivFY"][fa]),
        ])  # fmt: skip
        if_code = np.where(sub == 0, np.where(interim[src], 1, 2), np.where(sub == 1, 1, 2))
        decided = sub == 0
        bd = ds.business_day_ordinals
        effective = bd[np.clip(np.searchsorted(bd, rec, side="right") - 1, 0, len(bd) - 1)]
        ex = self._shift_business_days(effective, -np.where(rec >= T_PLUS_2_FROM.toordinal(), 1, 2))
        pay = self._next_business_day(rec + np.where(if_code == 2, 80, 65))
        day = days[src]
        k = keys[src]
        comm = (day >= COMM_SPEC_FROM.toordinal()) & (noise.uniform(seed, k, sub, 0xC5) < 0.02)
        fix = decided & (noise.uniform(seed, k, 0xD2) < 0.01)  # corrected a few days later
        later = self._shift_business_days(day, 1 + noise.choice(seed, 8, k, 0xD3))
        codes = ds.code_of(i)
        times = [_TIMES[t][:5] for t in ev.time[pos].tolist()]
        # (day, issue, row, corrected row or None)
        notices: list[tuple[int, int, list[Any], list[Any] | None]] = []
        columns = zip(
            src.tolist(), day.tolist(), if_code.tolist(), decided.tolist(), rec.tolist(),
            rate.tolist(), ex.tolist(), effective.tolist(), pay.tolist(), comm.tolist(),
            fix.tolist(), later.tolist(), strict=True,
        )  # fmt: skip
        for r, d, ifc, dec, rc, rt, x, eff, py, cm, fx, lt in columns:
            rate_cell: Any = "-" if rt != rt else rt
            rec_iso = _iso(rc)
            row = [
                _iso(d), times[r], codes[r], "", "1", _iso(d), str(ifc), "1" if dec else "2",
                rec_iso[:7], rate_cell, rec_iso, _iso(x), _iso(eff), _iso(py) if dec else "-",
                "", "", "", "", "", "", "2" if cm else "0", "",
                round(rt * 0.2, 1) if cm and rate_cell != "-" else "",
            ]  # fmt: skip
            issue = int(i[r])
            notices.append((d, issue, row, None))
            if fx:
                fixed = list(row)
                fixed[0] = fixed[5] = _iso(lt)
                fixed[4] = "2"
                if rate_cell != "-":
                    fixed[9] = rate_cell + 1.0
                notices.append((lt, issue, fixed, row))
        today = ds.today.toordinal()
        notices.sort(key=lambda n: (n[0], n[1], n[2][6], n[2][7], n[2][4]))
        serial: dict[int, int] = {}
        for d, _, row, corrected in notices:
            s = serial[d] = serial.get(d, 0) + 1
            row[3] = f"{row[0].replace('-', '')}1B{s:05d}"
            row[14] = row[3] if corrected is None else corrected[3]
        rows = [row for d, _, row, _ in notices if first <= d <= min(last, today)]
        return Table.from_rows(DIVIDEND_KEYS, rows)

    # -- /fins/earnings-date ------------------------------------------------------------
    @property
    def schedule(self) -> dict[str, np.ndarray]:
        """Announcement-date records: one per statement, plus changes and undecided ones."""
        with self._lock:
            cached = self._cache.get("schedule")
        if cached is not None:
            return cached
        seed = self.ds.seed
        ev = self.events
        pos = np.flatnonzero(ev.kind == STATEMENT)
        key = ev.key[pos]
        lead = 8 + noise.choice(seed, 30, key, 0xED1)
        pub = self._shift_business_days(ev.disc[pos], -lead)
        sched = ev.disc[pos]
        status = np.zeros(len(pos), dtype=np.int64)  # 0 final, 1 superseded date, 2 undecided
        changed = noise.uniform(seed, key, 0xED2) < 0.06
        early_pub = self._shift_business_days(
            pub[changed], -(5 + noise.choice(seed, 10, key[changed], 0xED3))
        )
        early_sched = self._shift_business_days(
            sched[changed], 1 + noise.choice(seed, 3, key[changed], 0xED4)
        )
        undecided = noise.uniform(seed, key, 0xED5) < 0.015
        und_pub = self._shift_business_days(
            pub[undecided], -(2 + noise.choice(seed, 3, key[undecided], 0xED6))
        )
        src = np.concatenate([pos, pos[changed], pos[undecided]])
        pub = np.concatenate([pub, early_pub, und_pub])
        sched = np.concatenate([sched, early_sched, np.zeros(undecided.sum(), dtype=np.int64)])
        status = np.concatenate(
            [status, np.ones(changed.sum(), dtype=np.int64), np.full(undecided.sum(), 2)]
        )
        keep = pub >= DATA_START.toordinal()
        src, pub, sched, status = src[keep], pub[keep], sched[keep], status[keep]
        order = np.lexsort((ev.issue[src], pub))
        out = {
            "event": src[order],
            "pub": pub[order],
            "sched": sched[order],
            "status": status[order],
        }
        with self._lock:
            self._cache["schedule"] = out
        return out

    def earnings_date_table(self, select: np.ndarray) -> Table:
        """Records at positions ``select`` of :attr:`schedule` (only those published by now)."""
        s = self.schedule
        select = select[s["pub"][select] <= self.ds.today.toordinal()]
        if len(select) == 0:
            return Table.empty(EARNINGS_DATE_KEYS)
        ev = self.events
        e = s["event"][select]
        i = ev.issue[e]
        names = self.ds.name_of(i, s["pub"][select])
        fye = [f"{m:02d}{pycal.monthrange(2001, m)[1]:02d}" for m in self.fye[i].tolist()]
        q = ev.q[e].tolist()
        rows = [
            [_iso(p), ("" if st == 2 else _iso(sd)), ("FY" if qq == 4 else f"{qq}Q"), fy, code, ja, en]
            for p, sd, st, qq, fy, code, (ja, en) in zip(
                s["pub"][select].tolist(), s["sched"][select].tolist(), s["status"][select].tolist(),
                q, fye, self.ds.code_of(i), names, strict=True,
            )
        ]  # fmt: skip
        return Table.from_rows(EARNINGS_DATE_KEYS, rows)

    def schedule_published_on(self, first: dt.date, last: dt.date) -> np.ndarray:
        s = self.schedule
        lo = int(np.searchsorted(s["pub"], first.toordinal(), side="left"))
        hi = int(np.searchsorted(s["pub"], last.toordinal(), side="right"))
        return np.arange(lo, hi, dtype=np.int64)

    def schedule_of(self, issue: int) -> np.ndarray:
        s = self.schedule
        return np.flatnonzero(self.events.issue[s["event"]] == issue)

    def schedule_for(self, day: dt.date) -> np.ndarray:
        """Latest record per issue and quarter (as of now) whose date is ``day``."""
        s = self.schedule
        visible = np.flatnonzero(s["pub"] <= self.ds.today.toordinal())
        # The latest record of an event is the one with the greatest publication date.
        ev_ids = s["event"][visible]
        order = np.lexsort((s["pub"][visible], ev_ids))
        last_of_event = np.r_[ev_ids[order][1:] != ev_ids[order][:-1], True]
        latest = visible[order[last_of_event]]
        hit = latest[(s["sched"][latest] == day.toordinal()) & (s["status"][latest] != 2)]
        return np.sort(hit)

    # -- /equities/earnings-calendar ----------------------------------------------------
    def earnings_calendar_table(self) -> Table:
        ds = self.ds
        tomorrow = ds.next_business_day(ds.today + dt.timedelta(days=1))
        if tomorrow is None:
            return Table.empty(EARNINGS_CALENDAR_KEYS)
        ev = self.events
        o = tomorrow.toordinal()
        lo = int(np.searchsorted(ev.disc, o, side="left"))
        hi = int(np.searchsorted(ev.disc, o, side="right"))
        pos = np.arange(lo, hi, dtype=np.int64)
        pos = pos[(ev.kind[pos] == STATEMENT) & np.isin(self.fye[ev.issue[pos]], (3, 9))]
        i = ev.issue[pos]
        order = np.argsort(np.array(ds.code_of(i)), kind="stable")
        pos, i = pos[order], i[order]
        today = np.full(len(i), ds.today.toordinal(), dtype=np.int64)
        names = ds.name_of(i, today)
        from moo_markets.jquants_sim.dataset import MARKETS, SECTOR33

        mkts = ds.market_of(i, today).tolist()
        rows = [
            [tomorrow.isoformat(), code, ja, f"{m}月{pycal.monthrange(2001, m)[1]}日",
             SECTOR33[s][1], _FQ_JA[qq], MARKETS[mk][1]]
            for code, (ja, _), m, s, qq, mk in zip(
                ds.code_of(i), names, self.fye[i].tolist(), ds.sectors[i].tolist(),
                ev.q[pos].tolist(), mkts, strict=True,
            )
        ]  # fmt: skip
        return Table.from_rows(EARNINGS_CALENDAR_KEYS, rows)

    # -- /equities/valuation -----------------------------------------------------------
    def valuation_table(self, idx: np.ndarray, ords: np.ndarray) -> Table:
        """Valuation of (issue, business day) pairs; statement figures count from the day after."""
        if len(idx) == 0:
            return Table.empty(VALUATION_KEYS)
        ds = self.ds
        bars = ds.bar_arrays(idx, ords)
        close = bars["C"]
        floating = bars["float_shares"]
        stmt = self._latest(idx, ords, (STATEMENT, CORRECTION))
        fwd = self._latest(idx, ords, (STATEMENT, CORRECTION, EARN_REVISION))
        known = stmt >= 0
        has_fwd = fwd >= 0
        f_s = self.figures(np.maximum(stmt, 0))
        f_f = self.figures(np.maximum(fwd, 0))
        eq = np.where(known, f_s["Eq"], np.nan)
        eps = np.where(known, f_s["TTM_NP"] / floating, np.nan)
        fwd_eps = np.where(has_fwd, f_f["FWD_NP"] / floating, np.nan)
        bps = eq / floating
        roe = np.where(known, f_s["TTM_NP"] / eq, np.nan)
        fwd_roe = np.where(has_fwd & known, f_f["FWD_NP"] / eq, np.nan)
        with np.errstate(divide="ignore", invalid="ignore"):
            per = np.where(eps > 0, close / eps, np.nan)
            fwd_per = np.where(fwd_eps > 0, close / fwd_eps, np.nan)
            pbr = np.where(bps > 0, close / bps, np.nan)
        cal_iso = [dt.date.fromordinal(o).isoformat() for o in ords.tolist()]
        columns = (
            cal_iso, ds.code_of(idx),
            _num(eps, 2), _num(fwd_eps, 2), _num(bps, 2), _num(roe, 4), _num(fwd_roe, 4),
            _num(per, 2), _num(fwd_per, 2), _num(pbr, 2), _num(np.round(close * floating / 1e6), 0),
        )  # fmt: skip
        return Table(VALUATION_KEYS, tuple(list(c) for c in columns))

    def _latest(self, idx: np.ndarray, ords: np.ndarray, kinds: tuple[int, ...]) -> np.ndarray:
        """Position of the latest event of ``kinds`` disclosed strictly before each day (-1: none)."""
        key = ("latest", kinds)
        with self._lock:
            cached = self._cache.get(key)
        if cached is None:
            ev = self.events
            pos = np.flatnonzero(np.isin(ev.kind, kinds))
            keys = ev.issue[pos] * _SHIFT + (ev.disc[pos] - _BASE)
            order = np.argsort(keys, kind="stable")
            cached = (keys[order], pos[order])
            with self._lock:
                self._cache[key] = cached
        keys, pos = cached
        want = idx * _SHIFT + (ords - 1 - _BASE)
        at = np.searchsorted(keys, want, side="right") - 1
        ok = (at >= 0) & ((keys[np.maximum(at, 0)] // _SHIFT) == idx)
        return np.where(ok, pos[np.maximum(at, 0)], -1)

    # -- corrections (issue 15) ---------------------------------------------------------
    def restate(
        self, code: str, disc_no: str | None = None, *, in_place: bool = False,
        changes: dict[str, str] | None = None, on: dt.date | None = None,
    ) -> str:  # fmt: skip
        """Restate ``code``'s latest statement (or ``disc_no``): either J-Quants' usual way, a new
        disclosure (new DiscNo) of the same period disclosed ``on`` (default today), or an
        in-place correction of the same DiscNo (``in_place``). Returns the DiscNo that changed.
        """
        ds = self.ds
        i = ds.issue(code)
        if i is None:
            raise ValueError(f"unknown code {code!r}")
        ev = self.events
        pos = self.positions_of(i, DATA_START, ds.today, (STATEMENT, CORRECTION))
        if disc_no is not None:
            numbers = self.disc_no(pos)
            if disc_no not in numbers:
                raise ValueError(f"{code} has no statement {disc_no}")
            p = int(pos[numbers.index(disc_no)])
        elif len(pos):
            p = int(pos[-1])
        else:
            raise ValueError(f"{code} has no statement yet")
        if in_place:
            number = self.disc_no(np.array([p]))[0]
            row = self.summary_table(np.array([p])).rows()[0]
            change = changes or {
                "NP": _scale_text(row["NP"], 1.05),
                "EPS": _scale_text(row["EPS"], 1.05),
            }
            unknown = set(change) - set(SUMMARY_KEYS[5:])
            if unknown:
                raise ValueError(f"cannot change {sorted(unknown)}")
            with self._lock:
                self._overrides.setdefault(number, {}).update(change)
            ds.invalidate()
            return number
        day = (on or ds.today).toordinal()
        with self._lock:
            self._extra.append((i, day, CORRECTION, int(ev.fy[p]), int(ev.q[p])))
            self._events = None
        ds.invalidate()
        new = self.positions_of(
            i, dt.date.fromordinal(day), dt.date.fromordinal(day), (CORRECTION,)
        )
        number = self.disc_no(new[-1:])[0]
        if changes:
            with self._lock:
                self._overrides.setdefault(number, {}).update(changes)
        return number


def _iso(ordinal: int) -> str:
    return dt.date.fromordinal(int(ordinal)).isoformat()


def _fmt(values: np.ndarray, missing: np.ndarray, pattern: str | None) -> list[str]:
    """Numbers as J-Quants' statement strings; "" where missing."""
    out = []
    for v, m in zip(values.tolist(), missing.tolist(), strict=True):
        if m or v != v:
            out.append("")
        elif pattern is None:
            out.append(repr(float(round(v, 2))))
        else:
            out.append(pattern.format(v))
    return out


def _num(values: np.ndarray, decimals: int) -> list[float | None]:
    """Rounded numbers, None for NaN/inf (the API's null)."""
    rounded = np.round(values, decimals)
    ok = np.isfinite(rounded)
    return [float(v) if k else None for v, k in zip(rounded.tolist(), ok.tolist(), strict=True)]


def _scale_text(value: str, factor: float) -> str:
    if not value:
        return value
    decimals = len(value.split(".")[1]) if "." in value else 0
    return f"{float(value) * factor:.{decimals}f}"

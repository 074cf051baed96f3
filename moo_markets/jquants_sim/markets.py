"""Market statistics: margin balances and alerts, short selling (by sector and reported
positions), the trading breakdown and trading by investor type.

Per-issue series are elementwise formulas of (issue, business day) on the same universe as the
bars - margin data only for margin-eligible issues while listed, breakdown rows split each
day's actual bar volume and turnover - and event-like series (alerts, short reports, weekly
investor statistics) are generated once, vectorised, and sliced per query.
"""

from __future__ import annotations

import datetime as dt
import threading
from typing import TYPE_CHECKING, Any

import numpy as np

from moo_markets.jquants_sim import noise
from moo_markets.jquants_sim.plans import DATA_START
from moo_markets.jquants_sim.table import Table

if TYPE_CHECKING:
    from moo_markets.jquants_sim.dataset import Dataset

MARGIN_INTEREST_KEYS = (
    "PubDate", "Date", "Code", "IssType", "ShrtVol", "LongVol", "ShrtNegVol", "LongNegVol",
    "ShrtStdVol", "LongStdVol", "ShrtVal", "LongVal", "ShrtNegVal", "LongNegVal", "ShrtStdVal",
    "LongStdVal",
)  # fmt: skip
MARGIN_ALERT_KEYS = (
    "PubDate", "Code", "AppDate", "PubReason", "ShrtOut", "ShrtOutChg", "ShrtOutRatio", "LongOut",
    "LongOutChg", "LongOutRatio", "SLRatio", "ShrtNegOut", "ShrtNegOutChg", "ShrtStdOut",
    "ShrtStdOutChg", "LongNegOut", "LongNegOutChg", "LongStdOut", "LongStdOutChg", "TSEMrgnRegCls",
)  # fmt: skip
PUB_REASONS = (
    "Restricted", "DailyPublication", "Monitoring", "RestrictedByJSF", "PrecautionByJSF",
    "UnclearOrSecOnAlert",
)  # fmt: skip
SHORT_RATIO_KEYS = ("Date", "S33", "SellExShortVa", "ShrtWithResVa", "ShrtNoResVa")
SHORT_SALE_KEYS = (
    "DiscDate", "CalcDate", "Code", "SSName", "SSAddr", "DICName", "DICAddr", "FundName",
    "ShrtPosToSO", "ShrtPosShares", "ShrtPosUnits", "PrevRptDate", "PrevRptRatio", "Notes",
)  # fmt: skip
BREAKDOWN_KEYS = (
    "Date", "Code", "LongSellVa", "ShrtNoMrgnVa", "MrgnSellNewVa", "MrgnSellCloseVa", "LongBuyVa",
    "MrgnBuyNewVa", "MrgnBuyCloseVa", "LongSellVo", "ShrtNoMrgnVo", "MrgnSellNewVo",
    "MrgnSellCloseVo", "LongBuyVo", "MrgnBuyNewVo", "MrgnBuyCloseVo",
)  # fmt: skip
INVESTOR_GROUPS = (
    "Prop", "Brk", "Tot", "Ind", "Frgn", "SecCo", "InvTr", "BusCo", "OthCo", "InsCo", "Bank",
    "TrstBnk", "OthFin",
)  # fmt: skip
INVESTOR_KEYS = ("PubDate", "StDate", "EnDate", "Section") + tuple(
    g + side for g in INVESTOR_GROUPS for side in ("Sell", "Buy", "Tot", "Bal")
)
SECTIONS_BEFORE = ("TSE1st", "TSE2nd", "TSEMothers", "TSEJASDAQ", "TokyoNagoya")
SECTIONS_AFTER = ("TSEPrime", "TSEStandard", "TSEGrowth", "TokyoNagoya")
SECTIONS = SECTIONS_BEFORE[:4] + SECTIONS_AFTER
_SECTION_SCALE = {  # weekly turnover (thousand JPY, both sides) of a five-day week
    "TSE1st": 1.6e10, "TSE2nd": 3.0e8, "TSEMothers": 9.0e8, "TSEJASDAQ": 5.0e8,
    "TSEPrime": 1.9e10, "TSEStandard": 6.0e8, "TSEGrowth": 7.0e8, "TokyoNagoya": 2.0e10,
}  # fmt: skip
# Share of the brokerage ("Brk") turnover by investor type (the rest of the total is "Prop").
_INVESTOR_SHARE = {
    "Ind": 0.22, "Frgn": 0.62, "SecCo": 0.01, "InvTr": 0.03, "BusCo": 0.02, "OthCo": 0.004,
    "InsCo": 0.003, "Bank": 0.003, "TrstBnk": 0.035, "OthFin": 0.005,
}  # fmt: skip
DAILY_MARGIN_FROM = dt.date(2026, 9, 25)
"""Application date of the first daily margin-balance row (weekly before; PubDate null)."""
SHORT_SALE_FROM = dt.date(2013, 11, 7)
CORRECTED_INVESTOR_ROWS_FROM = dt.date(2023, 4, 3)
OUTAGE_DAY = dt.date(2020, 10, 1)
_REPORTERS = (
    ("Goldman Sachs International", "Plumtree Court, 25 Shoe Lane, London EC4A 4AU, UK"),
    ("Morgan Stanley & Co. International plc", "25 Cabot Square, Canary Wharf, London E14 4QA, UK"),
    ("Merrill Lynch International", "2 King Edward Street, London EC1A 1HQ, UK"),
    ("JPモルガン証券株式会社", "東京都千代田区丸の内二丁目7番3号"),
    ("UBS AG", "Bahnhofstrasse 45, 8001 Zurich, Switzerland"),
    ("BNPパリバ証券株式会社", "東京都千代田区丸の内一丁目9番1号"),
    ("Citigroup Global Markets Limited", "Citigroup Centre, Canada Square, London E14 5LB, UK"),
    ("Barclays Capital Securities Limited", "1 Churchill Place, London E14 5HP, UK"),
    ("ソシエテ・ジェネラル証券株式会社", "東京都千代田区丸の内一丁目1番1号"),
    ("Nomura International plc", "1 Angel Lane, London EC4R 3AB, UK"),
    ("Millennium International Management LP", "399 Park Avenue, New York, NY 10022, USA"),
    ("Citadel Advisors LLC", "Southeast Financial Center, 200 S. Biscayne Blvd., Miami, FL 33131, USA"),
    ("Marshall Wace LLP", "George House, 131 Sloane Street, London SW1X 9AT, UK"),
    ("Two Sigma Investments, LP", "100 Avenue of the Americas, New York, NY 10013, USA"),
    ("個人", ""),
)  # fmt: skip
_FUNDS = ("", "", "", "Global Equity Long Short Fund", "Japan Opportunities Master Fund Ltd.")


def _iso(ordinal: int) -> str:
    return dt.date.fromordinal(int(ordinal)).isoformat()


class Markets:
    """Market statistics of one :class:`Dataset`."""

    def __init__(self, ds: Dataset) -> None:
        self.ds = ds
        self._lock = threading.Lock()
        self._cache: dict[Any, Any] = {}

    def invalidate(self) -> None:
        with self._lock:
            self._cache.clear()

    def _cached(self, key: Any, build: Any) -> Any:
        with self._lock:
            if key in self._cache:
                return self._cache[key]
        value = build()
        with self._lock:
            self._cache[key] = value
        return value

    # -- margin balances ------------------------------------------------------------------
    def margin_dates(self, first: dt.date, last: dt.date) -> list[dt.date]:
        """Application dates with margin-balance rows in ``first..last`` published by now:
        Fridays (the week's last business day, weeks of 3+ business days) until 2026-09-24,
        every business day from 2026-09-25."""
        ds = self.ds
        out = []
        for day in ds.business_days(max(first, DATA_START), last):
            if self.margin_published(day) is None:
                continue
            out.append(day)
        return out

    def margin_published(self, day: dt.date) -> dt.date | None:
        """When the balances of application date ``day`` are published (None: no such row or
        not yet published)."""
        ds = self.ds
        if not ds.is_business_day(day) or day < DATA_START:
            return None
        if day >= DAILY_MARGIN_FROM:
            pub = ds.next_business_day(day + dt.timedelta(days=1))
        else:
            monday = day - dt.timedelta(days=day.weekday())
            week = ds.business_days(monday, monday + dt.timedelta(days=6))
            if len(week) < 3 or week[-1] != day:
                return None
            following = ds.business_days(
                monday + dt.timedelta(days=7), monday + dt.timedelta(days=20)
            )
            pub = following[1] if len(following) > 1 else None
        if pub is None or pub > ds.today:
            return None
        return pub

    def margin_issues(self, day: dt.date) -> np.ndarray:
        """Margin-eligible (信用 / 貸借) issues listed on ``day``, in code order."""
        idx = self.ds.listed(day)
        return idx[self.ds.margin_types[idx] < 2]

    def _balances(self, idx: np.ndarray, ords: np.ndarray) -> dict[str, np.ndarray]:
        ds, seed = self.ds, self.ds.seed
        t = ds.day_index(ords).astype(np.float64)
        shares = ds.shares_outstanding(idx, ords) * (1.0 - ds.treasury_frac[idx])
        level = 0.002 + 0.02 * noise.uniform(seed, idx, 0x3A1) ** 2
        period = 60.0 + 120.0 * noise.uniform(seed, idx, 0x3A2)
        phase = 2 * np.pi * noise.uniform(seed, idx, 0x3A3)
        slow = 0.5 * np.sin(2 * np.pi * t / period + phase) + 0.12 * noise.normal(
            seed, idx, ords, 0x3A4
        )
        long = np.round(shares * level * np.exp(slow), -2)
        loan = ds.margin_types[idx] == 1  # 貸借銘柄 can be sold short on standardized margin
        short_share = np.where(loan, 0.15 + 0.5 * noise.uniform(seed, idx, 0x3A5), 0.03)
        short = np.round(
            long * short_share * np.exp(0.2 * noise.normal(seed, idx, ords, 0x3A6)), -2
        )
        long_std = np.round(long * (0.6 + 0.3 * noise.uniform(seed, idx, 0x3A7)), -2)
        short_std = np.where(loan, np.round(short * 0.8, -2), 0.0)
        return {
            "ShrtVol": short, "LongVol": long, "ShrtNegVol": short - short_std,
            "LongNegVol": long - long_std, "ShrtStdVol": short_std, "LongStdVol": long_std,
            "shares": shares,
        }  # fmt: skip

    def margin_interest_table(self, idx: np.ndarray, ords: np.ndarray) -> Table:
        """Margin balances of (issue, application date) pairs."""
        if len(idx) == 0:
            return Table.empty(MARGIN_INTEREST_KEYS)
        ds = self.ds
        b = self._balances(idx, ords)
        price = ds.model_close(idx, ords)
        daily = ords >= DAILY_MARGIN_FROM.toordinal()
        pub_of: dict[int, str | None] = {}
        for o in set(ords.tolist()):
            pub = self.margin_published(dt.date.fromordinal(o))
            pub_of[o] = (
                pub.isoformat() if pub is not None and o >= DAILY_MARGIN_FROM.toordinal() else None
            )
        columns: list[list[Any]] = [
            [pub_of[o] for o in ords.tolist()],
            [_iso(o) for o in ords.tolist()],
            ds.code_of(idx),
            [str(m + 1) for m in ds.margin_types[idx].tolist()],
        ]
        for k in MARGIN_INTEREST_KEYS[4:10]:
            columns.append(b[k].tolist())
        for k in MARGIN_INTEREST_KEYS[4:10]:
            value = np.round(b[k] * price)
            columns.append(
                [
                    float(v) if d else None
                    for v, d in zip(value.tolist(), daily.tolist(), strict=True)
                ]
            )
        return Table(MARGIN_INTEREST_KEYS, tuple(columns))

    # -- margin alerts (日々公表) ----------------------------------------------------------
    @property
    def alerts(self) -> dict[str, np.ndarray]:
        """Every alert row: issue, publication and application ordinals, first-day flag,
        reason, and whether the row is a correction (a later re-publication)."""
        return self._cached("alerts", self._build_alerts)

    def _build_alerts(self) -> dict[str, np.ndarray]:
        ds, seed = self.ds, self.ds.seed
        bd = ds.business_day_ordinals
        bd = bd[bd >= DATA_START.toordinal()]
        years = sorted(
            {dt.date.fromordinal(int(o)).year for o in bd[::200].tolist()}
            | {dt.date.fromordinal(int(bd[-1])).year}
        )
        starts, issues, lengths, reasons = [], [], [], []
        for y in years:
            k = 110 + int(noise.choice(seed, 60, y, 0xA1))
            j = np.arange(k, dtype=np.int64)
            in_year = bd[
                (bd >= dt.date(y, 1, 1).toordinal()) & (bd <= dt.date(y, 12, 31).toordinal())
            ]
            if not len(in_year):
                continue
            start = in_year[noise.choice(seed, len(in_year), y, j, 0xA2)]
            issue = noise.choice(seed, ds.n_issues, y, j, 0xA3)
            first, gone = ds.listing_span(issue)
            ok = (first <= start) & (start < gone) & (ds.margin_types[issue] < 2)
            starts.append(start[ok])
            issues.append(issue[ok])
            lengths.append(5 + noise.choice(seed, 35, y, j, 0xA4)[ok])
            reasons.append(
                np.where(
                    noise.uniform(seed, y, j, 0xA5) < 0.6, 1, noise.choice(seed, 6, y, j, 0xA6)
                )[ok]
            )
        start, issue = np.concatenate(starts), np.concatenate(issues)
        length, reason = np.concatenate(lengths), np.concatenate(reasons)
        episode = np.repeat(np.arange(len(start)), length)
        step = np.arange(len(episode)) - np.repeat(np.cumsum(length) - length, length)
        at = np.searchsorted(bd, start[episode]) + step
        keep = at < len(bd)
        episode, step, at = episode[keep], step[keep], at[keep]
        pub = bd[at]
        app = bd[np.maximum(at - 1, 0)]
        iss = issue[episode]
        _, gone = ds.listing_span(iss)
        keep = pub < gone
        pub, app, iss, step, episode = pub[keep], app[keep], iss[keep], step[keep], episode[keep]
        fix = (noise.uniform(seed, iss, pub, 0xA7) < 0.004) & (
            pub >= dt.date(2012, 1, 1).toordinal()
        )
        fix_pub = bd[np.minimum(np.searchsorted(bd, pub[fix]) + 1, len(bd) - 1)]
        out = {
            "issue": np.concatenate([iss, iss[fix]]),
            "pub": np.concatenate([pub, fix_pub]),
            "app": np.concatenate([app, app[fix]]),
            "first": np.concatenate([step == 0, step[fix] == 0]),
            "reason": np.concatenate([reason[episode], reason[episode][fix]]),
            "fixed": np.concatenate([np.zeros(len(pub), bool), np.ones(int(fix.sum()), bool)]),
        }
        order = np.lexsort((out["fixed"], out["issue"], out["pub"]))
        return {k: v[order] for k, v in out.items()}

    def alert_positions(
        self, first: dt.date, last: dt.date, issue: int | None = None
    ) -> np.ndarray:
        a = self.alerts
        hi_day = min(last, self.ds.today).toordinal()
        lo = int(np.searchsorted(a["pub"], first.toordinal(), side="left"))
        hi = int(np.searchsorted(a["pub"], hi_day, side="right"))
        pos = np.arange(lo, max(lo, hi), dtype=np.int64)
        return pos if issue is None else pos[a["issue"][pos] == issue]

    def margin_alert_table(self, pos: np.ndarray) -> Table:
        if len(pos) == 0:
            return Table.empty(MARGIN_ALERT_KEYS)
        ds, seed = self.ds, self.ds.seed
        a = self.alerts
        idx, app = a["issue"][pos], a["app"][pos]
        bd = ds.business_day_ordinals
        prev_app = bd[np.maximum(np.searchsorted(bd, app) - 1, 0)]
        now = self._balances(idx, app)
        before = self._balances(idx, prev_app)
        fixed = a["fixed"][pos]
        scale = np.where(fixed, 1.0 + 0.02 * noise.normal(seed, idx, app, 0xA8), 1.0)
        total = ds.shares_outstanding(idx, app)
        first = a["first"][pos].tolist()
        columns: list[list[Any]] = [
            [_iso(o) for o in a["pub"][pos].tolist()], ds.code_of(idx), [_iso(o) for o in app.tolist()],
            [
                {name: ("1" if n == r else "0") for n, name in enumerate(PUB_REASONS)}
                for r in a["reason"][pos].tolist()
            ],
        ]  # fmt: skip
        values = {}
        for k_out, k_in in (("ShrtOut", "ShrtVol"), ("LongOut", "LongVol"), ("ShrtNegOut", "ShrtNegVol"),
                            ("ShrtStdOut", "ShrtStdVol"), ("LongNegOut", "LongNegVol"), ("LongStdOut", "LongStdVol")):  # fmt: skip
            values[k_out] = np.round(now[k_in] * scale, -2)
            values[k_out + "Chg"] = values[k_out] - before[k_in]

        def chg(key: str) -> list[Any]:
            return [
                "-" if f else float(v) for v, f in zip(values[key].tolist(), first, strict=True)
            ]

        with np.errstate(divide="ignore", invalid="ignore"):
            sl = np.where(
                values["LongOut"] > 0, np.round(values["ShrtOut"] / values["LongOut"] * 100, 2), 0.0
            )
        columns += [
            values["ShrtOut"].tolist(), chg("ShrtOutChg"), np.round(values["ShrtOut"] / total * 100, 2).tolist(),
            values["LongOut"].tolist(), chg("LongOutChg"), np.round(values["LongOut"] / total * 100, 2).tolist(),
            sl.tolist(),
            values["ShrtNegOut"].tolist(), chg("ShrtNegOutChg"), values["ShrtStdOut"].tolist(), chg("ShrtStdOutChg"),
            values["LongNegOut"].tolist(), chg("LongNegOutChg"), values["LongStdOut"].tolist(), chg("LongStdOutChg"),
            np.where(a["reason"][pos] == 0, "002", "001").tolist(),
        ]  # fmt: skip
        return Table(MARGIN_ALERT_KEYS, tuple(columns))

    # -- short selling by sector ----------------------------------------------------------
    def short_ratio_table(self, ords: np.ndarray, sectors: np.ndarray) -> Table:
        """Short-selling turnover of (business day, sector index into SECTOR33) pairs."""
        if len(ords) == 0:
            return Table.empty(SHORT_RATIO_KEYS)
        from moo_markets.jquants_sim.dataset import SECTOR33

        ds, seed = self.ds, self.ds.seed
        t = ds.day_index(ords)
        market = ds.price_model.market(t)
        weight = (1.0 + (sectors * 7919) % 13) / 7.0
        total = (
            4.0e10
            * weight
            * np.exp(
                0.25 * noise.normal(seed, ords, 0x5E)
                + 0.15 * noise.normal(seed, ords, sectors, 0x5F)
                + 0.8 * market
            )
        )
        short = 0.30 + 0.08 * np.sin(t / 400.0) + 0.03 * noise.normal(seed, ords, sectors, 0x60)
        with_res = np.round(total * short * 0.86, -2)
        no_res = np.round(total * short * 0.14, -2)
        real = np.round(total * (1 - short), -2)
        columns = (
            [_iso(o) for o in ords.tolist()], [SECTOR33[s][0] for s in sectors.tolist()],
            real.tolist(), with_res.tolist(), no_res.tolist(),
        )  # fmt: skip
        return Table(SHORT_RATIO_KEYS, tuple(list(c) for c in columns))

    # -- short positions reported (空売り残高報告) ----------------------------------------------
    @property
    def short_reports(self) -> dict[str, np.ndarray]:
        return self._cached("short_reports", self._build_short_reports)

    def _build_short_reports(self) -> dict[str, np.ndarray]:
        ds, seed = self.ds, self.ds.seed
        bd = ds.business_day_ordinals
        days = bd[(bd >= SHORT_SALE_FROM.toordinal()) & (bd != OUTAGE_DAY.toordinal())]
        count = 30 + noise.choice(seed, 60, days, 0xB1)
        day = np.repeat(days, count)
        j = np.arange(len(day)) - np.repeat(np.cumsum(count) - count, count)
        issue = noise.choice(seed, ds.n_issues, day, j, 0xB2)
        first, gone = ds.listing_span(issue)
        ok = (first <= day) & (day < gone)
        day, issue, j = day[ok], issue[ok], j[ok]
        where = np.searchsorted(bd, day)
        calc = bd[np.maximum(where - 1 - (noise.uniform(seed, day, j, 0xB3) < 0.2), 0)]
        reporter = noise.choice(seed, len(_REPORTERS), day, j, 0xB4)
        order = np.lexsort((reporter, issue, day))
        return {"day": day[order], "issue": issue[order], "calc": calc[order],
                "reporter": reporter[order], "j": j[order]}  # fmt: skip

    def short_report_positions(self, first: dt.date, last: dt.date) -> np.ndarray:
        r = self.short_reports
        hi_day = min(last, self.ds.today).toordinal()
        lo = int(np.searchsorted(r["day"], first.toordinal(), side="left"))
        hi = int(np.searchsorted(r["day"], hi_day, side="right"))
        return np.arange(lo, max(lo, hi), dtype=np.int64)

    def short_sale_table(self, pos: np.ndarray) -> Table:
        if len(pos) == 0:
            return Table.empty(SHORT_SALE_KEYS)
        ds, seed = self.ds, self.ds.seed
        r = self.short_reports
        day, idx, calc, rep, j = (r[k][pos] for k in ("day", "issue", "calc", "reporter", "j"))
        ratio = np.round(0.005 + 0.03 * noise.uniform(seed, day, j, 0xB5) ** 2, 4)
        shares = np.round(ratio * ds.shares_outstanding(idx, calc))
        bd = ds.business_day_ordinals
        has_prev = noise.uniform(seed, day, j, 0xB6) < 0.75
        prev = bd[
            np.maximum(np.searchsorted(bd, calc) - 3 - noise.choice(seed, 25, day, j, 0xB7), 0)
        ]
        prev_ratio = np.round(np.maximum(ratio + 0.002 * noise.normal(seed, day, j, 0xB8), 0.0), 4)
        fund = noise.choice(seed, len(_FUNDS), day, j, 0xB9)
        individual = rep == len(_REPORTERS) - 1
        columns = (
            [_iso(o) for o in day.tolist()], [_iso(o) for o in calc.tolist()], ds.code_of(idx),
            [_REPORTERS[k][0] for k in rep.tolist()], [_REPORTERS[k][1] for k in rep.tolist()],
            ["" for _ in range(len(pos))], ["" for _ in range(len(pos))],
            [("" if ind else _FUNDS[f]) for f, ind in zip(fund.tolist(), individual.tolist(), strict=True)],
            ratio.tolist(), shares.tolist(), np.floor(shares / 100).tolist(),
            [(_iso(p) if h else "") for p, h in zip(prev.tolist(), has_prev.tolist(), strict=True)],
            [(float(p) if h else "") for p, h in zip(prev_ratio.tolist(), has_prev.tolist(), strict=True)],
            ["" for _ in range(len(pos))],
        )  # fmt: skip
        return Table(SHORT_SALE_KEYS, tuple(list(c) for c in columns))

    # -- trading breakdown ----------------------------------------------------------------
    def breakdown_table(self, idx: np.ndarray, ords: np.ndarray) -> Table:
        """Sell/buy breakdown of each traded (issue, day): parts add up to the bar's Vo/Va."""
        keep = ords != OUTAGE_DAY.toordinal()
        idx, ords = idx[keep], ords[keep]
        if len(idx) == 0:
            return Table.empty(BREAKDOWN_KEYS)
        ds, seed = self.ds, self.ds.seed
        bars = ds.bar_arrays(idx, ords)
        traded = ~bars["no_trade"]
        idx, ords = idx[traded], ords[traded]
        vo, va = bars["Vo"][traded], bars["Va"][traded]
        u = [noise.uniform(seed, idx, ords, 0xBD0 + k) for k in range(5)]
        sell = (0.45 + 0.15 * u[0], 0.2 + 0.1 * u[1], 0.06 + 0.04 * u[2])
        buy = (0.6 + 0.1 * u[3], 0.15 + 0.05 * u[4])

        def split(
            total: np.ndarray, shares: tuple[np.ndarray, ...], step: float
        ) -> list[np.ndarray]:
            parts = [np.round(total * s / step) * step for s in shares]
            parts.append(total - sum(parts))
            return parts

        va_sell, va_buy = split(va, sell, 1000.0), split(va, buy, 1000.0)
        vo_sell, vo_buy = split(vo, sell, 100.0), split(vo, buy, 100.0)
        columns = [[_iso(o) for o in ords.tolist()], ds.code_of(idx)]
        columns += [p.tolist() for p in va_sell + va_buy + vo_sell + vo_buy]
        return Table(BREAKDOWN_KEYS, tuple(columns))

    # -- trading by investor type (weekly) -----------------------------------------------------
    @property
    def investor_weeks(self) -> dict[str, np.ndarray]:
        return self._cached("investor_weeks", self._build_weeks)

    def _build_weeks(self) -> dict[str, np.ndarray]:
        ds, seed = self.ds, self.ds.seed
        bd = ds.business_day_ordinals
        bd = bd[bd >= DATA_START.toordinal()]
        monday = bd - np.array([dt.date.fromordinal(int(o)).weekday() for o in bd.tolist()])
        weeks, first_at = np.unique(monday, return_index=True)
        last_at = np.r_[first_at[1:], len(bd)] - 1
        start, end = bd[first_at], bd[last_at]
        pub_at = last_at + 4  # the 4th business day of the following week
        ok = pub_at < len(bd)
        start, end, pub = start[ok], end[ok], bd[pub_at[ok]]
        days = (last_at - first_at + 1)[ok]
        reorg = dt.date(2022, 4, 4).toordinal()
        rows_w, rows_s = [], []
        for w in range(len(start)):
            sections = SECTIONS_BEFORE if start[w] < reorg else SECTIONS_AFTER
            for s in sections:
                rows_w.append(w)
                rows_s.append(SECTIONS.index(s))
        w, s = np.array(rows_w, dtype=np.int64), np.array(rows_s, dtype=np.int64)
        fix = (pub[w] >= CORRECTED_INVESTOR_ROWS_FROM.toordinal()) & (
            noise.uniform(seed, w, s, 0x1F) < 0.0125
        )
        fix_pub = bd[np.minimum(np.searchsorted(bd, pub[w][fix]) + 5, len(bd) - 1)]
        out = {
            "start": np.concatenate([start[w], start[w][fix]]),
            "end": np.concatenate([end[w], end[w][fix]]),
            "pub": np.concatenate([pub[w], fix_pub]),
            "days": np.concatenate([days[w], days[w][fix]]),
            "section": np.concatenate([s, s[fix]]),
            "fixed": np.concatenate([np.zeros(len(w), bool), np.ones(int(fix.sum()), bool)]),
        }
        order = np.lexsort((out["section"], out["pub"]))
        return {k: v[order] for k, v in out.items()}

    def investor_positions(
        self, first: dt.date, last: dt.date, section: str | None = None
    ) -> np.ndarray:
        wk = self.investor_weeks
        hi_day = min(last, self.ds.today).toordinal()
        lo = int(np.searchsorted(wk["pub"], first.toordinal(), side="left"))
        hi = int(np.searchsorted(wk["pub"], hi_day, side="right"))
        pos = np.arange(lo, max(lo, hi), dtype=np.int64)
        if section is not None:
            pos = (
                pos[wk["section"][pos] == SECTIONS.index(section)]
                if section in SECTIONS
                else pos[:0]
            )
        return pos

    def investor_table(self, pos: np.ndarray) -> Table:
        if len(pos) == 0:
            return Table.empty(INVESTOR_KEYS)
        seed = self.ds.seed
        wk = self.investor_weeks
        start, sec, days, fixed = (
            wk["start"][pos],
            wk["section"][pos],
            wk["days"][pos],
            wk["fixed"][pos],
        )
        scale = np.array([_SECTION_SCALE[SECTIONS[k]] for k in sec.tolist()])
        t = self.ds.day_index(start)
        total = (
            scale
            * days
            / 5.0
            * np.exp(0.35 * np.sin(t / 300.0) + 0.15 * noise.normal(seed, start, sec, 0x1E))
        )
        prop = 0.15 + 0.05 * noise.uniform(seed, start, sec, 0x1D)
        sides: dict[str, dict[str, np.ndarray]] = {"Sell": {}, "Buy": {}}
        for side, k in (("Sell", 1), ("Buy", 2)):
            half = total / 2.0 * (1.0 + 0.01 * noise.normal(seed, start, sec, k, 0x1C))
            brk_total = np.zeros(len(pos))
            for n, (g, share) in enumerate(_INVESTOR_SHARE.items()):
                wiggle = 1.0 + 0.08 * noise.normal(seed, start, sec, k, 0x100 + n)
                tweak = np.where(fixed, 1.0 + 0.005 * noise.normal(seed, start, sec, k, 0x1B), 1.0)
                value = np.round(half * (1 - prop) * share * wiggle * tweak)
                sides[side][g] = value
                brk_total = brk_total + value
            sides[side]["Brk"] = brk_total
            sides[side]["Prop"] = np.round(half * prop)
            sides[side]["Tot"] = sides[side]["Prop"] + brk_total
        columns: list[list[Any]] = [
            [_iso(o) for o in wk["pub"][pos].tolist()], [_iso(o) for o in start.tolist()],
            [_iso(o) for o in wk["end"][pos].tolist()], [SECTIONS[k] for k in sec.tolist()],
        ]  # fmt: skip
        for g in INVESTOR_GROUPS:
            sell, buy = sides["Sell"][g], sides["Buy"][g]
            for values in (sell, buy, sell + buy, buy - sell):
                columns.append([int(v) for v in values.tolist()])
        return Table(INVESTOR_KEYS, tuple(columns))

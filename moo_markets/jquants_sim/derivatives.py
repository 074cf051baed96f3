"""OSE futures and options: real product categories, contract months, SQ and last trading days,
strike grids around the money, Black-Scholes theoretical prices.

Underlyings are the simulated index series (TOPIX, Nikkei 225, REIT, Growth 250, JPX-Nikkei
400, DJIA), so a derivatives day agrees with the indices and, through the market factor, with
the equities. Contract codes are synthetic 9-digit codes, unique per contract.
"""

from __future__ import annotations

import datetime as dt
import math
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from moo_markets.jquants_sim import noise
from moo_markets.jquants_sim.table import Table

if TYPE_CHECKING:
    from moo_markets.jquants_sim.dataset import Dataset

_D = dt.date
FUTURES_KEYS = (
    "Code", "ProdCat", "Date", "O", "H", "L", "C", "MO", "MH", "ML", "MC", "EO", "EH", "EL", "EC",
    "AO", "AH", "AL", "AC", "Vo", "OI", "Va", "CM", "VoOA", "EmMrgnTrgDiv", "LTD", "SQD", "Settle",
    "CCMFlag",
)  # fmt: skip
OPTIONS_KEYS = (
    "Code", "ProdCat", "UndSSO", "Date", "O", "H", "L", "C", "MO", "MH", "ML", "MC", "EO", "EH",
    "EL", "EC", "AO", "AH", "AL", "AC", "Vo", "OI", "Va", "CM", "Strike", "VoOA", "EmMrgnTrgDiv",
    "PCDiv", "LTD", "SQD", "Settle", "Theo", "BaseVol", "UnderPx", "IV", "IR", "CCMFlag",
)  # fmt: skip
OPTIONS_225_KEYS = (
    "Date", "Code", "O", "H", "L", "C", "EO", "EH", "EL", "EC", "AO", "AH", "AL", "AC", "Vo", "OI",
    "Va", "CM", "Strike", "VoOA", "EmMrgnTrgDiv", "PCDiv", "LTD", "SQD", "Settle", "Theo",
    "BaseVol", "UnderPx", "IV", "IR",
)  # fmt: skip
DETAIL_FROM = _D(2016, 7, 19)
"""Fields marked (※1) by J-Quants - VoOA, LTD, SQD, Settle, Theo... - exist only from here."""


@dataclass(frozen=True)
class Product:
    category: str
    number: int
    start: dt.date
    underlying: str  # an index code, an UNDERLYINGS name, or a special series
    months: str  # "quarterly", "monthly", "march", "weekly"
    listed: int  # contracts traded at once
    tick: float
    multiplier: float
    volume: float  # contracts a day in the central contract


FUTURES = (
    Product("TOPIXF", 1, _D(2008, 5, 7), "0000", "quarterly", 5, 0.5, 10_000, 60_000),
    Product("TOPIXMF", 2, _D(2008, 6, 16), "0000", "quarterly", 3, 0.25, 1_000, 20_000),
    Product("MOTF", 3, _D(2016, 7, 19), "0070", "quarterly", 5, 1.0, 1_000, 8_000),
    Product("NKVIF", 4, _D(2012, 2, 27), "VI", "monthly", 8, 0.05, 10_000, 1_500),
    Product("NKYDF", 5, _D(2010, 7, 26), "NKYD", "march", 3, 0.1, 1_000, 300),
    Product("NK225F", 6, _D(2008, 5, 7), "NK225", "quarterly", 5, 10.0, 1_000, 45_000),
    Product("NK225MF", 7, _D(2008, 5, 7), "NK225", "quarterly", 5, 5.0, 100, 500_000),
    Product("JN400F", 8, _D(2014, 11, 25), "JPX400", "quarterly", 5, 5.0, 100, 15_000),
    Product("REITF", 9, _D(2008, 6, 16), "0075", "quarterly", 5, 0.5, 1_000, 2_000),
    Product("DJIAF", 10, _D(2012, 5, 28), "DJIA", "quarterly", 4, 1.0, 100, 500),
    Product("JGBLF", 11, _D(2008, 5, 7), "JGB", "quarterly", 3, 0.01, 1_000_000, 30_000),
    Product("NK225MCF", 12, _D(2023, 5, 29), "NK225", "quarterly", 3, 5.0, 10, 30_000),
    Product("TOA3MF", 13, _D(2023, 5, 29), "TONA", "quarterly", 8, 0.005, 2_500, 200),
)
OPTIONS = (
    Product("NK225E", 1, _D(2008, 5, 7), "NK225", "monthly", 8, 1.0, 1_000, 20_000),
    Product("TOPIXE", 2, _D(2008, 5, 7), "0000", "quarterly", 4, 0.1, 10_000, 500),
    Product("JGBLFE", 3, _D(2008, 5, 7), "JGB", "monthly", 2, 0.01, 1_000_000, 300),
    Product("EQOP", 4, _D(2014, 11, 17), "EQUITY", "monthly", 2, 0.1, 100, 50),
    Product("NK225MWE", 5, _D(2023, 5, 29), "NK225", "weekly", 2, 1.0, 100, 5_000),
)
_STRIKES = {
    "NK225E": (125.0, 16),
    "TOPIXE": (25.0, 10),
    "JGBLFE": (0.5, 8),
    "EQOP": (0.0, 5),
    "NK225MWE": (125.0, 10),
}
EQOP_UNDERLYINGS = 20


def _iso(o: int) -> str:
    return dt.date.fromordinal(int(o)).isoformat()


def _norm_cdf(x: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + np.vectorize(math.erf)(x / math.sqrt(2.0)))


def _black_scholes(s: np.ndarray, k: np.ndarray, t: np.ndarray, r: np.ndarray, vol: np.ndarray,
                   put: np.ndarray) -> np.ndarray:  # fmt: skip
    sq = vol * np.sqrt(t)
    d1 = (np.log(s / k) + (r + 0.5 * vol**2) * t) / sq
    d2 = d1 - sq
    call = s * _norm_cdf(d1) - k * np.exp(-r * t) * _norm_cdf(d2)
    return np.where(put, call - s + k * np.exp(-r * t), call)


class Derivatives:
    def __init__(self, ds: Dataset) -> None:
        self.ds = ds
        self._lock = threading.Lock()
        self._cache: dict[Any, Table] = {}

    def invalidate(self) -> None:
        with self._lock:
            self._cache.clear()

    # -- contract calendar -----------------------------------------------------------------
    def _sq(self, year: int, month: int) -> dt.date:
        """Special quotation day: the second Friday (the business day before when closed)."""
        first = dt.date(year, month, 1)
        friday = first + dt.timedelta(days=(4 - first.weekday()) % 7 + 7)
        while not self.ds.is_business_day(friday):
            friday -= dt.timedelta(days=1)
        return friday

    def _contracts(
        self, product: Product, day: dt.date
    ) -> list[tuple[str, dt.date, dt.date, dt.date]]:
        """(contract month label, SQ day, last trading day, first trading day) traded on ``day``."""
        ds = self.ds
        out: list[tuple[str, dt.date, dt.date]] = []
        if product.months == "weekly":
            friday = day + dt.timedelta(days=(4 - day.weekday()) % 7)
            for n in range(product.listed + 2):
                sq = friday + dt.timedelta(weeks=n)
                while not ds.is_business_day(sq):
                    sq -= dt.timedelta(days=1)
                iso = sq.isocalendar()
                out.append((f"{iso[0]}-{iso[1]:02d}", sq, sq - dt.timedelta(days=1)))
        else:
            step = {"quarterly": 3, "monthly": 1, "march": 12}[product.months]
            y, m = day.year, day.month
            m = m + (-m % step) if product.months != "march" else 3
            if product.months == "march" and day.month > 3:
                y += 1
            for _ in range(product.listed + 3):
                sq = self._sq(y, m)
                ltd = ds.previous_business_day(sq) or sq
                out.append((f"{y}-{m:02d}", sq, ltd))
                m += step
                y, m = y + (m - 1) // 12, (m - 1) % 12 + 1
        live = [c for c in out if c[2] >= day][: product.listed]
        result = []
        for n, (label, sq, ltd) in enumerate(live):
            # A contract lists the business day after the contract `listed` places earlier expires.
            earlier = [c for c in out if c[2] < day]
            first = (
                ds.next_business_day(earlier[-1][2] + dt.timedelta(days=1))
                if earlier and n == len(live) - 1
                else None
            )
            result.append((label, sq, ltd, first or dt.date.min))
        return result

    # -- underlyings ---------------------------------------------------------------------------
    def _underlying(self, name: str, day: dt.date) -> dict[str, float]:
        ds, seed = self.ds, self.ds.seed
        o = np.array([day.toordinal()])
        if name in ("VI", "NKYD", "JGB", "TONA"):
            t = float(ds.day_index(o)[0])
            m = float(ds.price_model.market(ds.day_index(o))[0])
            level = {
                "VI": 20.0 * math.exp(-1.5 * m + 0.1 * math.sin(t / 50)),
                "NKYD": 250.0 + 0.09 * t + 20 * math.sin(t / 90),
                "JGB": 145.0
                + 4.0 * math.sin(t / 700)
                + 0.2 * float(noise.normal(seed, int(t), 0xD1)),
                "TONA": 99.9 - 0.4 * max(0.0, math.sin(t / 900)),
            }[name]
            c = float(level)
            return {"O": c * 0.999, "H": c * 1.003, "L": c * 0.997, "C": c}
        lv = ds.indices.underlying(name, o)
        return {k: float(v[0]) for k, v in lv.items()}

    # -- futures ---------------------------------------------------------------------------
    def futures_table(self, day: dt.date) -> Table:
        key = ("futures", day, self.ds.today)
        with self._lock:
            if key in self._cache:
                return self._cache[key]
        rows = []
        seed = self.ds.seed
        detail = day >= DETAIL_FROM
        for p in FUTURES:
            if day < p.start:
                continue
            u = self._underlying(p.underlying, day)
            for n, (label, sq, ltd, first) in enumerate(self._contracts(p, day)):
                tau = max((sq - day).days, 0) / 365.0
                basis = 1.0 + (0.05 if p.category == "NKVIF" else -0.002) * tau
                h = int(noise.hash_keys(seed, p.number, day.toordinal(), n, 0xF0).view(np.int64))
                vo = round(
                    p.volume * (0.5 + float(noise.uniform(seed, h, 1))) * (0.04**n if n else 1.0)
                )
                oi = round(p.volume * (4 + 8 * float(noise.uniform(seed, h, 2))) * (0.3**n))
                px = {k: self._tick(v * basis, p.tick) for k, v in u.items()}
                px["H"], px["L"] = max(px.values()), min(px.values())
                if vo == 0:
                    o = h_ = l_ = c = 0.0
                    eo = eh = el = ec = ao = ah = al = ac = 0.0
                else:
                    o, h_, l_, c = px["O"], px["H"], px["L"], px["C"]
                    ec = self._tick((o + c) / 2.0, p.tick)
                    eo, eh, el = o, max(o, ec), min(o, ec)
                    ao, ah, al, ac = ec, max(ec, c, h_), min(ec, c, l_), c
                    h_, l_ = max(eh, ah), min(el, al)
                night: list[Any] = ["", "", "", ""] if day == first else [eo, eh, el, ec]
                settle = px["C"]
                code = f"1{p.number:02d}{sq.year % 100:02d}{sq.month:02d}18"
                rows.append([
                    code, p.category, day.isoformat(), o, h_, l_, c, "", "", "", "", *night,
                    ao, ah, al, ac, float(vo), float(oi), float(round(vo * c * p.multiplier)), label,
                    float(round(vo * 0.92)) if detail else "", "002",
                    ltd.isoformat() if detail else "", sq.isoformat() if detail else "",
                    settle if detail else "", ("1" if n == 0 else "0") if detail else "",
                ])  # fmt: skip
        table = Table.from_rows(FUTURES_KEYS, rows)
        with self._lock:
            if len(self._cache) > 16:
                self._cache.clear()
            self._cache[key] = table
        return table

    @staticmethod
    def _tick(value: float, tick: float) -> float:
        return float(round(round(value / tick) * tick, 6))

    # -- options ---------------------------------------------------------------------------
    def _equity_underlyings(self) -> list[int]:
        """Issues with securities options: the largest issues (the pinned ones first)."""
        return list(np.argsort(-self.ds.sizes, kind="stable")[:EQOP_UNDERLYINGS].tolist())

    def options_table(self, day: dt.date) -> Table:
        key = ("options", day, self.ds.today)
        with self._lock:
            if key in self._cache:
                return self._cache[key]
        parts = [self._option_rows(p, day) for p in OPTIONS if day >= p.start]
        rows = [r for part in parts for r in part]
        table = Table.from_rows(OPTIONS_KEYS, rows)
        with self._lock:
            if len(self._cache) > 16:
                self._cache.clear()
            self._cache[key] = table
        return table

    def _option_rows(self, p: Product, day: dt.date) -> list[list[Any]]:
        ds, seed = self.ds, self.ds.seed
        detail = day >= DETAIL_FROM
        if p.underlying == "EQUITY":
            under = []
            o = np.array([day.toordinal()])
            for i in self._equity_underlyings():
                first, gone = ds.listing_span(np.array([i]))
                if not first[0] <= o[0] < gone[0]:
                    continue
                bars = ds.bar_arrays(np.array([i]), o)
                price = float(bars["C"][0])
                under.append((ds.code_of(np.array([i]))[0], price, i))
        else:
            under = [("-", self._underlying(p.underlying, day)["C"], 0)]
        rows: list[list[Any]] = []
        equity_index = {u: n for n, u in enumerate(self._equity_underlyings())}
        for und_code, s, uid in under:
            step, wings = _STRIKES[p.category]
            if step == 0.0:  # securities options: about 2.5% of the price, rounded to 1-2-5
                raw = s * 0.025
                mag = 10 ** math.floor(math.log10(raw))
                step = min((1, 2, 5, 10), key=lambda m: abs(m * mag - raw)) * mag
            atm = round(s / step) * step
            strikes = atm + step * np.arange(-wings, wings + 1)
            strikes = strikes[strikes > 0]
            for n, (label, sq, ltd, first) in enumerate(self._contracts(p, day)):
                t = max((sq - day).days, 1) / 365.0
                h = int(
                    noise.hash_keys(seed, p.number, uid, day.toordinal(), n, 0x0F).view(np.int64)
                )
                base_vol = (
                    0.16
                    + 0.12 * float(noise.uniform(seed, day.toordinal(), 0x0E))
                    + (0.1 if p.category == "EQOP" else 0.0)
                )
                r = 0.001 + 0.003 * float(noise.uniform(seed, day.year, 0x0D))
                k = np.concatenate([strikes, strikes]).astype(np.float64)
                put = np.r_[np.ones(len(strikes), bool), np.zeros(len(strikes), bool)]
                money = np.log(k / s)
                vol = base_vol * (1.0 + 3.0 * money**2 - 0.3 * money)
                theo = _black_scholes(
                    np.full(len(k), s), k, np.full(len(k), t), np.full(len(k), r), vol, put
                )
                tick = np.where(theo < 100 * p.tick, p.tick, p.tick * 5)
                # Multiples of the tick, rounded again so 68 * 0.1 is sent as 6.8 (as J-Quants
                # does), not 6.800000000000001.
                settle = np.round(np.maximum(np.round(theo / tick) * tick, p.tick), 6)
                activity = np.exp(-(money**2) / (2 * (0.04 + vol * vol * t)))
                j = np.arange(len(k))
                vo = np.round(p.volume * activity * (0.3**n) * noise.uniform(seed, h, j, 1) / wings)
                vo = np.where(activity < 0.05, 0.0, vo)
                oi = np.round(
                    p.volume * 3 * activity * (0.5**n) * noise.uniform(seed, h, j, 2) / wings
                )
                iv = np.round(vol * 100 + 0.5 * noise.normal(seed, h, j, 3), 4)
                traded = vo > 0
                c_ = np.where(traded, settle, 0.0)
                hi_ = np.where(traded, np.round(np.round(c_ * 1.08 / tick) * tick, 6), 0.0)
                lo_ = np.where(
                    traded, np.round(np.maximum(np.round(c_ * 0.93 / tick) * tick, p.tick), 6), 0.0
                )
                o__ = np.where(traded, np.round(np.round(c_ * 1.02 / tick) * tick, 6), 0.0)
                va_ = np.round(vo * c_ * p.multiplier)
                voa_ = np.round(vo * 0.95)
                theo_ = np.round(theo, 4)
                info = [
                    round(base_vol * 100, 4), round(s, 2), round(r * 100, 4),
                ] if detail else ["", "", ""]  # fmt: skip
                date_iso, ltd_iso, sq_iso = day.isoformat(), ltd.isoformat(), sq.isoformat()
                flag = "1" if n == 0 else "0"
                columns = zip(
                    put.tolist(), c_.tolist(), hi_.tolist(), lo_.tolist(), o__.tolist(),
                    vo.tolist(), oi.tolist(), va_.tolist(), k.tolist(), voa_.tolist(),
                    settle.tolist(), theo_.tolist(), iv.tolist(), strict=True,
                )  # fmt: skip
                for m, (is_put, c, hi, lo, o_, v, oi_m, va, strike, voa, st, th, iv_m) in enumerate(
                    columns
                ):
                    night: list[Any] = ["", "", "", ""] if day == first else [o_, hi, lo, c]
                    cls = "1" if is_put else "2"
                    if p.category == "EQOP":
                        code = f"{3 if is_put else 4}{equity_index[uid]:02d}{sq.year % 100:02d}{sq.month:02d}{m % len(strikes):02d}"
                    else:
                        code = f"{cls}{p.number}{sq.year % 100:02d}{sq.month:02d}{n}{m % len(strikes):02d}"
                    rows.append([
                        code, p.category, und_code, date_iso, o_, hi, lo, c, "", "", "", "",
                        *night, o_, hi, lo, c, v, oi_m, va, label, strike,
                        voa if detail else "", "002", cls,
                        ltd_iso if detail else "", sq_iso if detail else "",
                        st if detail else "", th if detail else "",
                        info[0], info[1], iv_m if detail else "", info[2],
                        flag if detail else "",
                    ])  # fmt: skip
        return rows

    def options_225_table(self, day: dt.date) -> Table:
        table = self.options_table(day)
        keep = [j for j, c in enumerate(table.column("ProdCat")) if c == "NK225E"]
        picked = table.take(keep)
        return Table(OPTIONS_225_KEYS, tuple(picked.column(k) for k in OPTIONS_225_KEYS))

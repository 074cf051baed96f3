"""Index levels (TOPIX and the ~75 indices J-Quants distributes).

Each index follows the price model's market factor M(t) - the same factor every simulated
issue loads on - with its own beta, drift and slow sector cycles, so TOPIX and the sector
indices move with the simulated market (they are not exact cap-weighted aggregates of the
simulated closes: that would need every issue's whole history for every day).
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

import numpy as np

from moo_markets.jquants_sim import noise
from moo_markets.jquants_sim.plans import DATA_START
from moo_markets.jquants_sim.table import Table

if TYPE_CHECKING:
    from moo_markets.jquants_sim.dataset import Dataset

INDEX_KEYS = ("Date", "Code", "O", "H", "L", "C")
TOPIX_KEYS = ("Date", "O", "H", "L", "C")
OUTAGE_DAY = dt.date(2020, 10, 1)
_D = dt.date

# (code, start, end or None, first day with O/H/L (close only before), level at start)
INDEX_CODES: tuple[tuple[str, dt.date, dt.date | None, dt.date | None, float], ...] = (
    ("0000", DATA_START, None, None, 1350.0),
    ("0001", DATA_START, _D(2022, 4, 1), None, 3100.0),
    ("0028", DATA_START, None, None, 680.0),
    ("0029", DATA_START, None, None, 1450.0),
    ("002A", DATA_START, None, None, 880.0),
    ("002B", DATA_START, None, None, 1400.0),
    ("002C", DATA_START, None, None, 1100.0),
    ("002D", DATA_START, None, None, 1650.0),
    ("002E", DATA_START, None, None, 1250.0),
    ("002F", _D(2018, 9, 3), None, _D(2018, 10, 9), 1000.0),
    *((f"{0x40 + k:04X}", DATA_START, None, None, 300.0 + 97.0 * ((k * 37) % 41)) for k in range(33)),
    ("0070", DATA_START, None, None, 690.0),
    ("0075", DATA_START, None, None, 1500.0),
    *((f"{0x80 + k:04X}", _D(2009, 2, 2), None, None, 100.0 + 13.0 * ((k * 11) % 17)) for k in range(17)),
    ("0091", DATA_START, _D(2022, 4, 1), None, 60.0),
    ("0500", _D(2022, 6, 27), None, None, 1000.0),
    ("0501", _D(2022, 6, 27), None, None, 1000.0),
    ("0502", _D(2022, 6, 27), None, None, 1000.0),
    ("0503", _D(2023, 5, 29), None, _D(2023, 7, 3), 1000.0),
    ("8100", _D(2009, 2, 9), None, None, 1100.0),
    ("812C", _D(2009, 2, 9), None, None, 1050.0),
    ("812D", _D(2009, 2, 9), None, None, 1200.0),
    ("8200", _D(2009, 2, 9), None, None, 900.0),
    ("822C", _D(2009, 2, 9), None, None, 950.0),
    ("822D", _D(2009, 2, 9), None, None, 850.0),
    ("8501", _D(2010, 3, 1), None, _D(2010, 3, 8), 1000.0),
    ("8502", _D(2010, 3, 1), None, _D(2010, 3, 8), 1000.0),
    ("8503", _D(2010, 3, 1), None, _D(2010, 3, 8), 1000.0),
)  # fmt: skip
CODES = tuple(c[0] for c in INDEX_CODES)
# Series that are not J-Quants indices but underlie derivatives (Nikkei 225, JPX-Nikkei 400,
# DJIA, Nikkei VI, the Nikkei dividend index).
UNDERLYINGS: dict[str, tuple[dt.date, float, float]] = {  # name: (start, level at start, beta)
    "NK225": (DATA_START, 13900.0, 1.15),
    "JPX400": (_D(2014, 1, 6), 13000.0, 1.0),
    "DJIA": (_D(2012, 5, 28), 12500.0, 0.6),
}


class Indices:
    """Levels of every index and underlying, computed for many (series, day) pairs at once."""

    def __init__(self, ds: Dataset) -> None:
        self.ds = ds
        seed = ds.seed
        names = list(CODES) + list(UNDERLYINGS)
        self._sid = {name: s for s, name in enumerate(names)}
        n_codes = len(CODES)
        # The noise key of a series: its position among the codes, 1000+ for underlyings.
        self._key = np.array(list(range(n_codes)) + [1000 + u for u in range(len(UNDERLYINGS))])
        k = self._key
        self._beta = np.where(k == 0, 1.0, 0.6 + 0.8 * noise.uniform(seed, k, 0x1D1))
        self._drift = np.where(k == 0, 0.0001, 0.00002 + 0.00016 * noise.uniform(seed, k, 0x1D2))
        for u, (_, _, beta) in enumerate(UNDERLYINGS.values()):
            self._beta[n_codes + u] = beta
            self._drift[n_codes + u] = 0.00014
        j = np.arange(3)
        self._cyc_div = 120.0 * (j + 1) + 40 * noise.uniform(seed, k[:, None], j[None, :], 0x1D3)
        self._cyc_phase = 6.28 * noise.uniform(seed, k[:, None], j[None, :], 0x1D4)
        self._cyc_amp = 0.08 / (j + 1)
        starts = [c[1] for c in INDEX_CODES] + [u[0] for u in UNDERLYINGS.values()]
        levels = np.array([c[4] for c in INDEX_CODES] + [u[1] for u in UNDERLYINGS.values()])
        first = np.array([ds.next_business_day(d).toordinal() for d in starts])
        sids = np.arange(len(names))
        self._base = np.log(levels) - self._log_level(sids, ds.day_index(first))
        self._ohl_from = np.array(
            [c[3].toordinal() if c[3] else 0 for c in INDEX_CODES] + [0] * len(UNDERLYINGS)
        )

    def invalidate(self) -> None:
        """Index levels do not depend on corrections."""

    def _log_level(self, sid: np.ndarray, t: np.ndarray) -> np.ndarray:
        seed = self.ds.seed
        k = self._key[sid]
        tt = t.astype(np.float64)
        cycles = (
            self._cyc_amp * np.sin(tt[:, None] / self._cyc_div[sid] + self._cyc_phase[sid])
        ).sum(axis=1)
        market = self.ds.price_model.market(t)
        return (
            self._beta[sid] * market + self._drift[sid] * tt + cycles
            + 0.002 * noise.normal(seed, k, t, 0x1D5)
        )  # fmt: skip

    def _levels(self, sid: np.ndarray, ords: np.ndarray) -> dict[str, np.ndarray]:
        """O/H/L/C of series ``sid[j]`` on business day ``ords[j]`` (the outage day repeats
        the day before)."""
        seed = self.ds.seed
        k = self._key[sid]
        t = self.ds.day_index(ords)
        outage = ords == OUTAGE_DAY.toordinal()
        t = np.where(outage, t - 1, t)
        lc = self._base[sid] + self._log_level(sid, t)
        lp = self._base[sid] + self._log_level(sid, t - 1)
        close = np.exp(lc)
        open_ = np.exp(lp + 0.3 * (lc - lp) + 0.002 * noise.normal(seed, k, t, 0x1D6))
        high = np.maximum(open_, close) * (1 + 0.004 * np.abs(noise.normal(seed, k, t, 0x1D7)))
        low = np.minimum(open_, close) * (1 - 0.004 * np.abs(noise.normal(seed, k, t, 0x1D8)))
        out = {
            key: np.round(v, 2) for key, v in (("O", open_), ("H", high), ("L", low), ("C", close))
        }
        for key in ("O", "H", "L"):
            out[key] = np.where(outage, out["C"], out[key])
        return out

    def levels(self, code: str, ords: np.ndarray) -> dict[str, np.ndarray]:
        return self._levels(np.full(len(ords), self._sid[code]), np.asarray(ords, np.int64))

    def underlying(self, name: str, ords: np.ndarray) -> dict[str, np.ndarray]:
        """Levels of a derivatives underlying: an index code, or one of :data:`UNDERLYINGS`."""
        return self.levels(name, ords)

    def active(self, code: str, day: dt.date) -> bool:
        _, start, end, _, _ = INDEX_CODES[CODES.index(code)]
        return start <= day and (end is None or day <= end)

    def table(self, codes: list[str], ords: np.ndarray) -> Table:
        """Rows for each (code, day) pair: ``codes[j]`` on ``ords[j]``."""
        if not len(ords):
            return Table.empty(INDEX_KEYS)
        ords = np.asarray(ords, np.int64)
        sid = np.array([self._sid[c] for c in codes])
        lv = self._levels(sid, ords)
        close_only = ords < self._ohl_from[sid]
        dates = [dt.date.fromordinal(o).isoformat() for o in ords.tolist()]

        def ohl(key: str) -> list[Any]:
            return [
                None if c else v for c, v in zip(close_only.tolist(), lv[key].tolist(), strict=True)
            ]

        return Table(
            INDEX_KEYS, (dates, list(codes), ohl("O"), ohl("H"), ohl("L"), lv["C"].tolist())
        )

    def topix_table(self, ords: np.ndarray) -> Table:
        table = self.table(["0000"] * len(ords), ords)
        return Table(TOPIX_KEYS, (table.columns[0], *table.columns[2:]))

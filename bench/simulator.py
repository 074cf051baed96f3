"""Simulator speed: how long it takes to generate one day of data and serve it.

Prints milliseconds for one day of daily bars, one master snapshot (both generated
fresh, no cache) and one HTTP answer of a full day of bars. Typical figures here:
~15 / ~8 / ~50 ms. Tests never time anything; this script is where speed is watched.

    .venv/bin/python bench/simulator.py
"""

from __future__ import annotations

import datetime as dt
import time

import requests

from moo_markets.jquants_sim import Dataset, JQuantsSimulator, SimulatorConfig

KEY = "bench-key"
TODAY = dt.date(2026, 3, 2)
DAY = dt.date(2026, 2, 27)


def _ms(started: float) -> float:
    return (time.perf_counter() - started) * 1000


def main() -> None:
    fresh = Dataset(seed=7, today=TODAY)
    started = time.perf_counter()
    bars = fresh.bars_on(DAY)
    bars_ms = _ms(started)
    started = time.perf_counter()
    fresh.master(DAY)
    master_ms = _ms(started)

    config = SimulatorConfig(api_key=KEY, seed=42, today=TODAY, rate_limit_per_minute=None)
    with JQuantsSimulator(config, port=0) as sim, requests.Session() as http:
        started = time.perf_counter()
        response = http.get(
            f"{sim.base_url}/equities/bars/daily",
            params={"date": DAY.isoformat()},
            headers={"x-api-key": KEY},
            timeout=30,
        )
        http_ms = _ms(started)
        response.raise_for_status()
    print(f"bars of one day ({len(bars)} rows): {bars_ms:.1f} ms")
    print(f"master snapshot:                    {master_ms:.1f} ms")
    print(f"HTTP answer of one day of bars:     {http_ms:.1f} ms")


if __name__ == "__main__":
    main()

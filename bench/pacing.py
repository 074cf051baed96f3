"""Pacing benchmark: a long fetch against the simulator enforcing the same limit.

Prints the achieved request rate against the allowed one and the 429 count.
The simulator counts over a sliding 60 s window exactly as J-Quants does.

    .venv/bin/python bench/pacing.py --rate 120 --requests 400 --threads 4
"""

from __future__ import annotations

import argparse
import datetime as dt
import time
from concurrent.futures import ThreadPoolExecutor

from moo_markets.jquants import JQuantsResource
from moo_markets.jquants_sim import JQuantsSimulator, SimulatorConfig, max_in_window

KEY = "bench-key"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=int, default=600, help="allowed requests per minute")
    parser.add_argument("--requests", type=int, default=1200)
    parser.add_argument("--threads", type=int, default=4)
    args = parser.parse_args()

    config = SimulatorConfig(api_key=KEY, rate_limit_per_minute=args.rate)
    with JQuantsSimulator(config, port=0) as sim:
        resource = JQuantsResource(
            api_key=KEY, base_url=sim.base_url, requests_per_minute=args.rate
        )
        day = dt.date(2026, 3, 2)

        def one(_i: int) -> None:
            resource.client.fetch_all("markets/calendar", {"from": day, "to": day})

        started = time.monotonic()
        with ThreadPoolExecutor(args.threads) as pool:
            list(pool.map(one, range(args.requests)))
        wall = time.monotonic() - started
        times = sorted(t for t, *_ in sim.stats.log)
        # Rate over the steady part: N-1 gaps between first and last arrival.
        achieved = (len(times) - 1) / (times[-1] - times[0]) * 60
        window_max = max_in_window(times)
        print(f"requests            {sim.stats.requests}")
        print(f"429s                {sim.stats.by_status.get(429, 0)}")
        print(f"wall time           {wall:.1f} s")
        print(f"allowed rate        {args.rate} /min")
        print(f"achieved rate       {achieved:.1f} /min")
        print(f"achieved / allowed  {achieved / args.rate:.3f}")
        print(f"max in any 60 s     {window_max} (limit {args.rate})")


if __name__ == "__main__":
    main()

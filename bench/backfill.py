"""Backfill benchmark: N business days of daily bars in one run, at a J-Quants rate limit.

Materializes the ``daily_bars`` asset for the partition range covering the
last N business days before ``--end`` - one run, as a UI backfill with the
asset's single-run backfill policy does - against the simulator enforcing
``--rate`` requests per minute over a sliding 60 s window, with the client
configured for the same rate. The simulator runs in its own process (as
J-Quants would be elsewhere), so the peak RSS printed is ours alone.

Prints requests (counted by the simulator), 429s, wall time of the run, the
floor ``requests / rate``, their ratio, and peak RSS. Targets for
``--days 250``: ratio <= 1.05, zero 429s, peak RSS <= 400 MB.

    .venv/bin/python bench/backfill.py                       # 250 days at 500/min (Premium), ~31 s
    .venv/bin/python bench/backfill.py --days 250 --rate 120 # Standard plan, ~2 min
    .venv/bin/python bench/backfill.py --postgres-url postgresql://postgres@127.0.0.1:5432/postgres
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import resource
import sys
import tempfile
import threading
import time
from pathlib import Path

import dagster as dg
import psutil
import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parent))
from ingest import KEY, SimulatorProcess, _create_database, _drop_database  # noqa: E402

from moo_markets.daily_bars.assets import daily_bars  # noqa: E402
from moo_markets.daily_bars.partitions import DAILY_PARTITIONS  # noqa: E402
from moo_markets.jquants import JQuantsResource  # noqa: E402
from moo_markets.jquants_sim import max_in_window  # noqa: E402
from moo_markets.warehouse.engine import dispose_engines, get_engine  # noqa: E402
from moo_markets.warehouse.migrate import upgrade  # noqa: E402
from moo_markets.warehouse.resource import WarehouseResource  # noqa: E402
from moo_markets.warehouse.schema import daily_bars as bars_table  # noqa: E402

RANGE_TAGS = ("dagster/asset_partition_range_start", "dagster/asset_partition_range_end")


class RssSampler(threading.Thread):
    """Samples this process's RSS every ``interval`` seconds, to show it stays flat."""

    def __init__(self, interval: float = 0.5) -> None:
        super().__init__(daemon=True)
        self.interval = interval
        self.samples: list[tuple[float, float]] = []
        self._halt = threading.Event()
        self._process = psutil.Process()

    def run(self) -> None:
        while not self._halt.is_set():
            self.samples.append((time.monotonic(), self._process.memory_info().rss / 2**20))
            self._halt.wait(self.interval)

    def stop(self) -> None:
        self._halt.set()
        self.join()

    def at_fractions(
        self, started: float, ended: float, fractions=(0.1, 0.25, 0.5, 0.75, 1.0)
    ) -> str:
        out = []
        for fraction in fractions:
            moment = started + fraction * (ended - started)
            before = [rss for t, rss in self.samples if t <= moment]
            out.append(f"{int(fraction * 100)}%: {before[-1]:.0f}" if before else f"{fraction}: -")
        return ", ".join(out) + " MB"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=250, help="business days to backfill")
    parser.add_argument(
        "--rate", type=int, default=500, help="requests per minute (simulator limit = client rate)"
    )
    parser.add_argument("--end", type=dt.date.fromisoformat, default=dt.date(2026, 10, 30))
    parser.add_argument("--prefetch", type=int, default=4)
    parser.add_argument(
        "--concurrency", type=int, default=2, help="fetch threads (asset default 2)"
    )
    parser.add_argument(
        "--postgres-url", help="benchmark on PostgreSQL (temporary database) instead of SQLite"
    )
    args = parser.parse_args()

    first_guess = args.end - dt.timedelta(days=args.days * 7 // 5 + 60)
    if args.postgres_url:
        url = _create_database(args.postgres_url)
    else:
        url = f"sqlite:///{Path(tempfile.mkdtemp(prefix='moo_bench_')) / 'warehouse.db'}"
    upgrade(get_engine(url))  # migrate the schema before the clock starts
    try:
        with SimulatorProcess(first_guess, args.end, rate_limit_per_minute=args.rate) as sim:
            days = sim.business_days[-args.days :]
            first, last = days[0], days[-1]
            resources = {
                "jquants": JQuantsResource(
                    api_key=KEY, base_url=sim.base_url, requests_per_minute=args.rate
                ),
                "warehouse": WarehouseResource(database_url=url),
            }
            tags = dict(zip(RANGE_TAGS, (first.isoformat(), last.isoformat()), strict=True))
            run_config = {
                "ops": {
                    "daily_bars": {
                        "config": {
                            "prefetch_days": args.prefetch,
                            "fetch_concurrency": args.concurrency,
                        }
                    }
                }
            }
            instance = dg.DagsterInstance.ephemeral()
            baseline = psutil.Process().memory_info().rss / 2**20
            sampler = RssSampler()
            sampler.start()
            cpu_before = time.process_time()
            started = time.monotonic()
            result = dg.materialize(
                [daily_bars], resources=resources, instance=instance, tags=tags, run_config=run_config,
                raise_on_error=False,
            )  # fmt: skip
            ended = time.monotonic()
            cpu = time.process_time() - cpu_before
            sampler.stop()
            requests, by_status, arrivals, sim_cpu = sim.stats()
        with get_engine(url).connect() as connection:
            stored_rows = connection.execute(
                sa.select(sa.func.count()).select_from(bars_table)
            ).scalar_one()
            stored_days = connection.execute(
                sa.select(sa.func.count(sa.distinct(bars_table.c.date)))
            ).scalar_one()

        wall = ended - started
        floor = requests * 60.0 / args.rate
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        partitions = len(
            DAILY_PARTITIONS.get_partition_keys_in_range(
                dg.PartitionKeyRange(first.isoformat(), last.isoformat())
            )
        )
        print(f"run succeeded         {result.success}")
        print(
            f"partitions            {partitions} (weekdays), {len(days)} business days ({first} .. {last})"
        )
        print(
            f"stored                {stored_rows:,} rows on {stored_days} days ({'PostgreSQL' if args.postgres_url else 'SQLite'})"
        )
        print(f"requests              {requests} (statuses {by_status})")
        print(f"429s                  {by_status.get(429, 0)}")
        print(f"max in any 60 s       {max_in_window(sorted(arrivals))} (limit {args.rate})")
        print(f"wall time             {wall:.1f} s")
        print(f"floor                 {floor:.1f} s ({requests} requests / {args.rate} per min)")
        print(f"ratio                 {wall / floor:.3f}  (target <= 1.05)")
        arrivals.sort()
        if arrivals:  # CLOCK_MONOTONIC is shared by the two processes
            print(
                f"  of which             start-up to 1st request {arrivals[0] - started:.2f} s, "
                f"requests {arrivals[-1] - arrivals[0]:.2f} s, after last request {ended - arrivals[-1]:.2f} s"
            )
        print(
            f"CPU                   ours {cpu:.1f} s ({cpu / len(days) * 1000:.0f} ms per business day), "
            f"simulator {sim_cpu:.1f} s in total"
        )
        print(f"RSS before run        {baseline:.0f} MB")
        print(f"RSS during run        {sampler.at_fractions(started, ended)}")
        print(f"peak RSS              {peak:.0f} MB  (target <= 400)")
        print(
            f"load average          {' '.join(f'{x:.1f}' for x in os.getloadavg())} ({os.cpu_count()} CPUs)"
        )
    finally:
        dispose_engines()
        if args.postgres_url:
            _drop_database(args.postgres_url, url)


if __name__ == "__main__":
    main()

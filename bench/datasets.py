"""One business day of every dataset a plan allows, at that plan's pace, against the simulator.

Materializes each declared dataset (``moo_markets/datasets``) the plan includes for one day
(its week for weekly ones, the latest snapshot for latest-only ones), one after the other as
the ``jquants`` pool would run them, into a fresh SQLite warehouse. The simulator runs in its
own process and enforces the plan's rate limit; the client paces itself to the same rate with
one key, so the pacing carries over from one dataset to the next.

Prints per dataset: rows stored, requests (counted by the simulator), wall seconds; then the
totals, the floor ``requests / rate`` and their ratio, and the 429s (target: none).

    .venv/bin/python bench/datasets.py                    # Standard: 120 requests per minute
    .venv/bin/python bench/datasets.py --plan premium     # every dataset, 500 per minute
"""

from __future__ import annotations

import argparse
import datetime as dt
import multiprocessing
import sys
import tempfile
import time
from pathlib import Path

import dagster as dg

from moo_markets.core import plans
from moo_markets.datasets.registry import GENERIC_SPECS
from moo_markets.datasets.spec import Partitioning
from moo_markets.ingest.assets import build_asset
from moo_markets.jquants import JQuantsResource
from moo_markets.jquants.pacing import PLAN_REQUESTS_PER_MINUTE
from moo_markets.warehouse.engine import dispose_engines, get_engine
from moo_markets.warehouse.migrate import upgrade
from moo_markets.warehouse.resource import WarehouseResource

KEY = "bench-datasets-key"
DAY = dt.date(2026, 11, 13)
"""A Friday with many statements, after margin interest went daily."""
SIM_TODAY = dt.date(2026, 11, 16)
"""The simulator's today: the next business day, so overnight data of DAY exist."""


def _serve(conn, plan: str) -> None:
    from moo_markets.jquants_sim import JQuantsSimulator, SimulatorConfig

    config = SimulatorConfig(api_keys={KEY: plan}, seed=42, today=SIM_TODAY)
    with JQuantsSimulator(config, port=0) as sim:
        conn.send(sim.base_url)
        while True:
            message = conn.recv()
            if message == "stats":
                stats = sim.stats
                conn.send((stats.requests, dict(stats.by_status)))
            else:
                return


def partition_of(spec) -> str | None:
    """DAY itself (its week for weekly datasets), whatever day the schedule would fetch it."""
    if spec.partitioning is Partitioning.LATEST:
        return None
    if spec.partitioning is Partitioning.WEEKLY:
        return spec.partition_for(DAY)
    return DAY.isoformat()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--plan", choices=plans.PLANS[1:], default="standard")
    args = parser.parse_args()
    rate = PLAN_REQUESTS_PER_MINUTE[args.plan]
    specs = [s for s in GENERIC_SPECS if plans.includes(args.plan, s.plan)]

    ctx = multiprocessing.get_context("spawn")
    conn, child = ctx.Pipe()
    process = ctx.Process(target=_serve, args=(child, args.plan), daemon=True)
    process.start()
    base_url = conn.recv()

    def stats() -> tuple[int, dict[int, int]]:
        conn.send("stats")
        return conn.recv()

    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{Path(folder) / 'bench.db'}"
        upgrade(get_engine(url))
        jquants = JQuantsResource(api_key=KEY, base_url=base_url, plan=args.plan)
        warehouse = WarehouseResource(database_url=url)
        print(f"{len(specs)} datasets of the {args.plan} plan at {rate} requests/min, day {DAY}")
        print(f"{'dataset':<20} {'partition':<11} {'rows':>7} {'requests':>8} {'seconds':>8}")
        total_requests, started_all = 0, time.monotonic()
        with dg.instance_for_test() as instance:
            for spec in specs:
                before, _ = stats()
                started = time.monotonic()
                result = dg.materialize(
                    [build_asset(spec)],
                    partition_key=partition_of(spec),
                    resources={"jquants": jquants, "warehouse": warehouse},
                    instance=instance,
                    raise_on_error=False,
                )
                seconds = time.monotonic() - started
                after, _ = stats()
                requests = after - before
                total_requests += requests
                rows = "failed"
                if result.success:
                    (event,) = [
                        m
                        for m in result.asset_materializations_for_node(spec.name)
                        if m.asset_key == dg.AssetKey(spec.name)
                    ]
                    rows = str(event.metadata["fetched_rows"].value)
                print(
                    f"{spec.name:<20} {partition_of(spec) or 'latest':<11} {rows:>7} "
                    f"{requests:>8} {seconds:>8.1f}"
                )
        wall = time.monotonic() - started_all
        requests, by_status = stats()
        floor = total_requests / (rate / 60.0)
        print(
            f"total: {total_requests} requests in {wall:.1f} s; floor requests/rate = {floor:.1f} s "
            f"(ratio {wall / floor if floor else float('nan'):.2f}); 429s: {by_status.get(429, 0)}"
        )
        dispose_engines()
    conn.send("stop")
    process.join(timeout=10)
    return 0


if __name__ == "__main__":
    sys.exit(main())

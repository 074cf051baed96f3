"""History benchmark: years of daily bars into PostgreSQL from bulk files, at the Light plan.

One run of the ``daily_bars`` asset over the partition range from the first whole month of
the Light plan's five-year window to the simulator's today - as a UI backfill with the
asset's single-run policy does - against a simulator in its own process that enforces the
Light limit (60 requests per sliding minute) on every API call (``/bulk/list``,
``/bulk/get`` and REST alike). Whole months come from the monthly bulk files, the current
month by REST.

Prints: wall time; the REST rate floor for the same days (business days / 60 per minute);
raw ``COPY`` of the same rows pre-serialized (read back with ``COPY TO`` into a file, then
``COPY FROM`` it into an empty table with the same primary key: the write floor); the
run's own write time; peak RSS (ours; the simulator is another process) and RSS through the
run; requests and 429s. Targets: wall <= REST floor / 10, wall <= 1.5 x raw COPY, peak RSS
<= 400 MB and flat in the number of years, zero 429s.

    .venv/bin/python bench/history.py                 # five years, ~5.5 M rows (heavy)
    .venv/bin/python bench/history.py --years 1       # the quick variant
"""

from __future__ import annotations

import argparse
import datetime as dt
import multiprocessing
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

import dagster as dg
import psutil
import psycopg
import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parent))
from backfill import RANGE_TAGS, RssSampler  # noqa: E402
from ingest import DEFAULT_POSTGRES, _create_database, _drop_database, _plain  # noqa: E402

from moo_markets.daily_bars.assets import daily_bars  # noqa: E402
from moo_markets.jquants import JQuantsResource  # noqa: E402
from moo_markets.jquants_sim import max_in_window  # noqa: E402
from moo_markets.warehouse.bulk import copy_statement  # noqa: E402
from moo_markets.warehouse.engine import dispose_engines, get_engine  # noqa: E402
from moo_markets.warehouse.migrate import upgrade  # noqa: E402
from moo_markets.warehouse.resource import WarehouseResource  # noqa: E402
from moo_markets.warehouse.schema import daily_bars as bars_table  # noqa: E402

KEY = "bench-light-key"
BARS = "/equities/bars/daily"
RATE = 60  # Light


def _serve(conn, config: dict) -> None:
    """The simulator (child process): builds the bulk files before the clock starts."""
    from moo_markets.jquants_sim import JQuantsSimulator, SimulatorConfig
    from moo_markets.jquants_sim.plans import history_window

    with JQuantsSimulator(SimulatorConfig(**config), port=0) as sim:
        today = sim.dataset.today
        window = history_window("light", today)
        for f in sim.bulk.candidates(BARS, "light"):
            if not f.live:
                sim.bulk.built(f)  # cached on disk across bench runs (bulk_cache_dir)
        first = window.first.replace(day=1)
        if first < window.first:
            first = (first + dt.timedelta(days=32)).replace(day=1)
        conn.send((sim.base_url, today, first))
        while (message := conn.recv()) != "stop":
            _, day_one, day_last = message  # ("stats", first, last)
            stats = sim.stats
            business = len(sim.dataset.business_days(day_one, day_last))
            conn.send((stats.requests, stats.by_status, [t for t, *_ in stats.log], business))


def raw_copy_seconds(url: str) -> tuple[float, int]:
    """COPY the stored rows out to a file, then time COPY of that file into an empty table
    with daily_bars' columns and primary key (the write floor)."""
    columns = [c.name for c in bars_table.columns]
    with tempfile.TemporaryDirectory(prefix="moo_bench_copy_") as tmp:
        path = Path(tmp) / "bars.csv"
        with psycopg.connect(_plain(url)) as connection, path.open("wb") as out:
            with connection.cursor() as cursor:
                with cursor.copy(
                    psycopg.sql.SQL("COPY {} ({}) TO STDOUT (FORMAT csv)").format(
                        psycopg.sql.Identifier(bars_table.name),
                        psycopg.sql.SQL(", ").join(map(psycopg.sql.Identifier, columns)),
                    )
                ) as copy:
                    for block in copy:
                        out.write(block)
        floor = sa.Table("bars_floor", sa.MetaData(), *(c._copy() for c in bars_table.columns))
        floor.create(get_engine(url))
        with psycopg.connect(_plain(url)) as connection, path.open("rb") as source:
            started = time.monotonic()
            with connection.cursor() as cursor:
                with cursor.copy(
                    copy_statement("bars_floor", columns, psycopg.sql.SQL("(FORMAT csv)"))
                ) as copy:
                    while block := source.read(1 << 20):
                        copy.write(block)
                rows = cursor.rowcount
            connection.commit()
            return time.monotonic() - started, rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--years", type=int, default=5, help="years of history (Light: <= 5)")
    parser.add_argument("--postgres-url", default=DEFAULT_POSTGRES)
    parser.add_argument(
        "--cache-dir",
        default=str(Path(tempfile.gettempdir()) / "moo_bench_history_bulk"),
        help="the simulator's bulk file cache (kept between runs)",
    )
    args = parser.parse_args()

    url = _create_database(args.postgres_url)
    upgrade(get_engine(url))
    config = {
        "api_key": KEY, "plan": "light", "seed": 42, "rate_limit_per_minute": "plan",
        "bulk_cache_dir": args.cache_dir,
    }  # fmt: skip
    ctx = multiprocessing.get_context("spawn")
    parent, child = ctx.Pipe()
    process = ctx.Process(target=_serve, args=(child, config), daemon=True)
    process.start()
    try:
        base_url, today, window_first = parent.recv()
        first = max(window_first, dt.date(today.year - args.years, today.month, 1))
        if args.years < 5:
            first = dt.date(today.year - args.years, today.month, 1) + dt.timedelta(days=31)
            first = first.replace(day=1)
        last = today
        resources = {
            "jquants": JQuantsResource(api_key=KEY, base_url=base_url, plan="light"),
            "warehouse": WarehouseResource(database_url=url),
        }
        tags = dict(zip(RANGE_TAGS, (first.isoformat(), last.isoformat()), strict=True))
        instance = dg.DagsterInstance.ephemeral()
        baseline = psutil.Process().memory_info().rss / 2**20
        sampler = RssSampler()
        sampler.start()
        started = time.monotonic()
        result = dg.materialize(
            [daily_bars], resources=resources, instance=instance, tags=tags, raise_on_error=False
        )
        ended = time.monotonic()
        sampler.stop()
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        parent.send(("stats", first, last))
        requests, by_status, arrivals, business_days = parent.recv()

        metadata = [
            {k: v.value for k, v in e.materialization.metadata.items()}
            for e in result.get_asset_materialization_events()
            if e.materialization.asset_key == daily_bars.key
        ]
        bulk_days = sum(1 for md in metadata if md.get("source") == "bulk" and "rows" in md)
        rest_days = sum(1 for md in metadata if md.get("source") == "rest" and "rows" in md)
        write = sum(
            md.get("write_seconds", 0) or 0 for md in metadata if md.get("source") == "bulk"
        )
        with get_engine(url).connect() as connection:
            stored = connection.execute(
                sa.select(sa.func.count()).select_from(bars_table)
            ).scalar_one()
        raw, raw_rows = raw_copy_seconds(url)
        wall = ended - started
        floor = business_days * 60.0 / RATE
        print(f"run succeeded         {result.success}")
        print(f"range                 {first} .. {last} ({business_days} business days)")
        print(
            f"stored                {stored:,} rows (PostgreSQL); sessions: {bulk_days} from bulk files, {rest_days} by REST"
        )
        print(
            f"requests              {requests} (statuses {by_status}); max in any 60 s {max_in_window(sorted(arrivals))} (limit {RATE})"
        )
        print(f"429s                  {by_status.get(429, 0)}  (target 0)")
        print(f"wall time             {wall:.1f} s")
        print(
            f"REST rate floor       {floor:.1f} s ({business_days} days / {RATE} per min); speed-up {floor / wall:.1f}x  (target >= 10x)"
        )
        print(
            f"raw COPY              {raw:.1f} s ({raw_rows:,} rows, {raw_rows / raw:,.0f} rows/s)"
        )
        print(f"wall / raw COPY       {wall / raw:.2f}  (target <= 1.5)")
        print(
            f"bulk write time       {write:.1f} s (COPY + checks of the months; {write / raw:.2f} x raw COPY)"
        )
        print(f"RSS before run        {baseline:.0f} MB")
        print(f"RSS during run        {sampler.at_fractions(started, ended)}")
        print(f"peak RSS              {peak:.0f} MB  (target <= 400)")
        print(
            f"load average          {' '.join(f'{x:.1f}' for x in os.getloadavg())} ({os.cpu_count()} CPUs)"
        )
    finally:
        parent.send("stop")
        process.join(timeout=30)
        dispose_engines()
        _drop_database(args.postgres_url, url)


if __name__ == "__main__":
    main()

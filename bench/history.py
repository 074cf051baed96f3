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
    .venv/bin/python bench/history.py --plan light,standard,premium   # the same rows per plan

Also prints the request floor (the run's paced API requests x the pacer's gap: a fresh
pacer waits one gap, then sends one request per gap) and the floor of the run, max(request
floor, raw COPY): at Light the ~80 requests alone take ~82 s and at Standard ~41 s, both
over 1.5 x raw COPY (~15-40 s on the shared 2-core machine), so that target can only be met
where requests do not bind (Premium, ~10 s of requests).
"""

from __future__ import annotations

import argparse
import datetime as dt
import multiprocessing
import os
import resource
import subprocess
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
from moo_markets.jquants.pacing import PLAN_REQUESTS_PER_MINUTE, Pacer  # noqa: E402
from moo_markets.jquants_sim import max_in_window  # noqa: E402
from moo_markets.warehouse.bulk import copy_statement  # noqa: E402
from moo_markets.warehouse.engine import dispose_engines, get_engine  # noqa: E402
from moo_markets.warehouse.migrate import upgrade  # noqa: E402
from moo_markets.warehouse.resource import WarehouseResource  # noqa: E402
from moo_markets.warehouse.schema import daily_bars as bars_table  # noqa: E402

KEY = "bench-light-key"
BARS = "/equities/bars/daily"


def _serve(conn, config: dict) -> None:
    """The simulator (child process): builds the bulk files before the clock starts.

    The range is the Light plan's five-year window whatever the plan, so every plan loads the
    same rows."""
    from moo_markets.jquants_sim import JQuantsSimulator, SimulatorConfig
    from moo_markets.jquants_sim.plans import history_window

    with JQuantsSimulator(SimulatorConfig(**config), port=0) as sim:
        today = sim.dataset.today
        window = history_window("light", today)
        first = window.first.replace(day=1)
        if first < window.first:
            first = (first + dt.timedelta(days=32)).replace(day=1)
        for f in sim.bulk.candidates(BARS, config["plan"]):
            if not f.live and f.first >= first:
                sim.bulk.built(f)  # cached on disk across bench runs (bulk_cache_dir)
        conn.send((sim.base_url, today, first))
        while (message := conn.recv()) != "stop":
            _, day_one, day_last = message  # ("stats", first, last)
            stats = sim.stats
            business = len(sim.dataset.business_days(day_one, day_last))
            downloads = [(d.at, d.path, d.status) for d in sim.storage_stats.downloads]
            conn.send(
                (
                    stats.requests,
                    stats.by_status,
                    [(t, path, query, status) for t, path, query, status in stats.log],
                    downloads,
                    business,
                )
            )


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


def run_plan(plan: str, args: argparse.Namespace) -> dict:
    """One backfill of the range at ``plan``'s limit into a fresh database; its figures."""
    url = _create_database(args.postgres_url)
    upgrade(get_engine(url))
    config = {
        "api_key": KEY, "plan": plan, "seed": 42, "rate_limit_per_minute": "plan",
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
            "jquants": JQuantsResource(api_key=KEY, base_url=base_url, plan=plan),
            "warehouse": WarehouseResource(database_url=url),
        }
        tags = dict(zip(RANGE_TAGS, (first.isoformat(), last.isoformat()), strict=True))
        instance = dg.DagsterInstance.ephemeral()
        baseline = psutil.Process().memory_info().rss / 2**20
        sampler = RssSampler()
        sampler.start()
        load_before = os.getloadavg()
        wall_offset = time.time() - time.monotonic()
        started = time.monotonic()
        result = dg.materialize(
            [daily_bars], resources=resources, instance=instance, tags=tags, raise_on_error=False
        )
        ended = time.monotonic()
        sampler.stop()
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        parent.send(("stats", first, last))
        requests, by_status, log, downloads, business_days = parent.recv()

        events = [
            (e.timestamp - wall_offset, e.asset_materialization)
            for e in instance.all_logs(
                result.run_id, of_type=dg.DagsterEventType.ASSET_MATERIALIZATION
            )
            if e.asset_materialization and e.asset_materialization.asset_key == daily_bars.key
        ]
        metadata = [{k: v.value for k, v in m.metadata.items()} for _, m in events]
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
        if args.timeline:
            print_timeline(started, ended, log, downloads, events)
        return {
            "plan": plan, "success": result.success, "first": first, "last": last,
            "business_days": business_days, "stored": stored, "bulk_days": bulk_days,
            "rest_days": rest_days, "requests": requests, "by_status": by_status,
            "max_window": max_in_window(sorted(t for t, *_ in log)),
            "wall": ended - started, "raw": raw, "raw_rows": raw_rows, "write": write,
            "baseline": baseline, "rss": sampler.at_fractions(started, ended), "peak": peak,
            "load": (load_before, os.getloadavg()),
        }  # fmt: skip
    finally:
        parent.send("stop")
        process.join(timeout=30)
        dispose_engines()
        _drop_database(args.postgres_url, url)


def print_timeline(started: float, ended: float, log: list, downloads: list, events: list) -> None:
    """When each request, download and commit happened, in seconds from the run's start."""

    def at(t: float) -> str:
        return f"{t - started:7.2f}"

    print("timeline (s from start)")
    rows = []
    for t, path, query, status in log:
        what = path.rsplit("/v2", 1)[-1]
        detail = query.get("key", "").rsplit("/", 1)[-1] or query.get("date", "")
        rows.append((t, f"request  {what} {detail} -> {status}"))
    for t, path, status in downloads:
        rows.append((t, f"download {path.rsplit('/', 1)[-1].split('?')[0]} -> {status}"))
    committed: dict[str, float] = {}
    for t, m in events:
        md = m.metadata
        source = md["source"].value if "source" in md else "?"
        name = md["bulk_file"].value.rsplit("/", 1)[-1] if "bulk_file" in md else m.partition
        committed[f"{source} {name}"] = max(committed.get(f"{source} {name}", t), t)
    rows.extend((t, f"logged   {name}") for name, t in committed.items())
    for t, text in sorted(rows):
        print(f"  {at(t)}  {text}")
    print(f"  {at(ended)}  run returned")


def print_figures(f: dict) -> None:
    rate = PLAN_REQUESTS_PER_MINUTE[f["plan"]]
    gap = Pacer(rate).interval
    api = f["requests"]
    request_floor = api * gap  # a fresh pacer waits one gap, then one request per gap
    floor = max(request_floor, f["raw"])
    rest_floor = f["business_days"] * 60.0 / rate
    wall, raw = f["wall"], f["raw"]
    print(f"== plan {f['plan']} ({rate} requests/min) ==")
    print(f"run succeeded         {f['success']}")
    print(f"range                 {f['first']} .. {f['last']} ({f['business_days']} business days)")
    print(
        f"stored                {f['stored']:,} rows (PostgreSQL); sessions: {f['bulk_days']} from bulk files, {f['rest_days']} by REST"
    )
    print(
        f"requests              {api} (statuses {f['by_status']}); max in any 60 s {f['max_window']} (limit {rate})"
    )
    print(f"429s                  {f['by_status'].get(429, 0)}  (target 0)")
    print(f"wall time             {wall:.1f} s")
    print(
        f"REST rate floor       {rest_floor:.1f} s ({f['business_days']} days / {rate} per min); speed-up {rest_floor / wall:.1f}x  (target >= 10x)"
    )
    print(
        f"raw COPY              {raw:.1f} s ({f['raw_rows']:,} rows, {f['raw_rows'] / raw:,.0f} rows/s)"
    )
    print(
        f"request floor         {request_floor:.1f} s ({api} paced requests x {gap:.3f} s gap) = {request_floor / raw:.2f} x raw COPY"
    )
    bound = "requests" if request_floor > raw else "the write"
    print(
        f"floor of this run     {floor:.1f} s = max(request floor, raw COPY), bound by {bound}: best possible wall / raw COPY {floor / raw:.2f}"
    )
    print(f"wall / raw COPY       {wall / raw:.2f}  (target <= 1.5)")
    print(f"wall / floor          {wall / floor:.2f}")
    print(
        f"bulk write time       {f['write']:.1f} s (COPY + checks of the months; {f['write'] / raw:.2f} x raw COPY)"
    )
    print(f"RSS before run        {f['baseline']:.0f} MB")
    print(f"RSS during run        {f['rss']}")
    print(f"peak RSS              {f['peak']:.0f} MB  (target <= 400)")
    before, after = f["load"]
    print(
        f"load average          {' '.join(f'{x:.1f}' for x in before)} before, {' '.join(f'{x:.1f}' for x in after)} after ({os.cpu_count()} CPUs)"
    )
    if request_floor > raw * 1.5:
        print(
            f"note                  at {rate}/min the {api} paced requests alone take {request_floor:.1f} s"
            f" = {request_floor / raw:.2f} x raw COPY: <= 1.5 x raw COPY is out of reach at this plan"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--years", type=int, default=5, help="years of history (Light: <= 5)")
    parser.add_argument(
        "--plan",
        default="light",
        help="plan(s) whose limit the simulator enforces and the client paces at, comma-separated "
        "(light, standard, premium); each runs the same range into its own database",
    )
    parser.add_argument("--timeline", action="store_true", help="print every request and commit")
    parser.add_argument("--postgres-url", default=DEFAULT_POSTGRES)
    parser.add_argument(
        "--cache-dir",
        default=str(Path(tempfile.gettempdir()) / "moo_bench_history_bulk"),
        help="the simulator's bulk file cache (kept between runs)",
    )
    args = parser.parse_args()
    plans = [p.strip() for p in args.plan.split(",") if p.strip()]
    for plan in plans:
        if plan not in ("light", "standard", "premium"):
            parser.error(f"--plan: {plan!r} is not light, standard or premium")
    if len(plans) > 1:  # each plan in its own process: its own peak RSS, its own pacer
        for plan in plans:
            argv = [a for a in sys.argv[1:] if not a.startswith("--plan")]
            if "--plan" in sys.argv:
                i = sys.argv.index("--plan")
                argv = sys.argv[1:i] + sys.argv[i + 2 :]
            subprocess.run([sys.executable, __file__, *argv, f"--plan={plan}"], check=True)
        return
    print_figures(run_plan(plans[0], args))


if __name__ == "__main__":
    main()

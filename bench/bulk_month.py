"""One month of a declared dataset from its bulk file into PostgreSQL: SQL against COPY and INSERT.

Downloads the month's file once from the simulator (Premium, no rate limit), then times
:func:`warehouse.bulk_files.load_month` writing it into a fresh migrated PostgreSQL database,
``--repeat`` times per write path (interleaved), each in a transaction rolled back afterwards (so every
repetition is the same first load): ``sql`` (``warehouse/csv_copy.py``: the file COPYed into a
TEXT staging table, validated and converted by one query and one INSERT ... SELECT, no
Python object per row; PostgreSQL's path for a spec whose fields map directly), ``copy``
(the records path: ``csv_stream.records`` and the spec's conversion in Python, then ``COPY``
through ``warehouse.bulk.copy_rows``; PostgreSQL's path for the other specs) and ``insert``
(the records path with the batched SQLAlchemy INSERT, SQLite's path). Prints rows, best and
median seconds and rows per second of each, and their ratios. The time covers parsing,
conversion and the write (not the download).

    MOO_MARKETS_BENCH_POSTGRES_URL=postgresql://postgres@127.0.0.1:5432/postgres \\
        .venv/bin/python bench/bulk_month.py --dataset valuation --repeat 3

The URL names a server and a database to connect to; the bench creates (and drops) its own
database there. ``MOO_MARKETS_TEST_POSTGRES_URL`` is used when the bench variable is unset.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import sys
import time
import uuid

import sqlalchemy as sa

from moo_markets.core.time import month_bounds
from moo_markets.datasets.registry import GENERIC_SPECS
from moo_markets.jquants import ClientSettings, JQuantsClient
from moo_markets.jquants.pacing import Pacer
from moo_markets.warehouse import bulk_files, csv_copy
from moo_markets.warehouse.engine import dispose_engines, get_engine
from moo_markets.warehouse.migrate import upgrade

KEY = "bench-bulk-month-key"
MONTH = dt.date(2026, 10, 1)
PATHS = {
    "sql": bulk_files.copy_records,  # not called: the spec goes through csv_copy
    "copy": bulk_files.copy_records,
    "insert": bulk_files.insert_records,
}
MAPS_DIRECTLY = csv_copy.maps_directly


def download(spec) -> tuple[str, bytes]:
    """The month's file of ``spec``, decompressed (its key, its bytes)."""
    from moo_markets.jquants_sim import JQuantsSimulator, SimulatorConfig

    config = SimulatorConfig(api_key=KEY, seed=42, plan="premium", rate_limit_per_minute=None)
    with JQuantsSimulator(config, port=0) as sim:
        settings = ClientSettings(base_url=sim.base_url, requests_per_minute=60_000)
        with JQuantsClient(KEY, settings, pacer=Pacer(60_000)) as client:
            month = f"{MONTH:%Y-%m}"
            (file,) = [f for f in client.bulk_list(spec.path, month, month) if f.month == MONTH]
            downloader = client.bulk_downloader()
            try:
                return file.key, b"".join(downloader.chunks(file))
            finally:
                downloader.close()


def time_path(engine: sa.Engine, spec, key: str, content: bytes, path: str) -> tuple[int, float]:
    """Rows and seconds of one load of the month through ``path`` (rolled back)."""
    bulk_files.copy_records = PATHS[path]  # load_month's PostgreSQL writer for this run
    if path != "sql":  # the records path, even for a spec that maps directly
        csv_copy.maps_directly = lambda spec: False
    try:
        first, last = month_bounds(MONTH)
        chunks = [content[i : i + (1 << 20)] for i in range(0, len(content), 1 << 20)]
        with engine.connect() as connection:
            transaction = connection.begin()
            started = time.perf_counter()
            rows = bulk_files.load_month(connection, spec, key, chunks, first, last)
            seconds = time.perf_counter() - started
            transaction.rollback()
        return rows, seconds
    finally:
        bulk_files.copy_records = PATHS["copy"]
        csv_copy.maps_directly = MAPS_DIRECTLY


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    names = sorted(s.name for s in GENERIC_SPECS if s.bulk)
    parser.add_argument("--dataset", choices=names, default="valuation")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--paths", nargs="+", choices=sorted(PATHS), default=["copy", "sql"])
    args = parser.parse_args()
    server = os.environ.get("MOO_MARKETS_BENCH_POSTGRES_URL") or os.environ.get(
        "MOO_MARKETS_TEST_POSTGRES_URL"
    )
    if not server:
        print("set MOO_MARKETS_BENCH_POSTGRES_URL (a PostgreSQL server URL)", file=sys.stderr)
        return 2
    spec = next(s for s in GENERIC_SPECS if s.name == args.dataset)
    if "sql" in args.paths and not csv_copy.maps_directly(spec):
        print(f"{spec.name} does not map directly: no sql path", file=sys.stderr)
        args.paths.remove("sql")
    key, content = download(spec)
    print(f"{spec.name} {MONTH:%Y-%m}: file {key}, {len(content) / 1e6:.1f} MB decompressed")

    admin_url = sa.engine.make_url(server).set(drivername="postgresql+psycopg")
    admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    database = f"moo_bench_{uuid.uuid4().hex[:10]}"
    with admin.connect() as connection:
        connection.execute(sa.text(f'CREATE DATABASE "{database}"'))  # name made here, no input
    try:
        engine = get_engine(admin_url.set(database=database).render_as_string(False))
        upgrade(engine)
        results: dict[str, list[float]] = {}
        rows = 0
        for _ in range(args.repeat):  # paths interleaved, so load from elsewhere hits both alike
            for path in args.paths:
                rows, seconds = time_path(engine, spec, key, content, path)
                results.setdefault(path, []).append(seconds)
        for path in args.paths:
            best, median = min(results[path]), statistics.median(results[path])
            print(
                f"  {path:6} rows {rows:>8,}  best {best:6.2f} s  median {median:6.2f} s"
                f"  {rows / best:>9,.0f} rows/s"
            )
        for slow, fast in (("insert", "copy"), ("copy", "sql")):
            if {slow, fast} <= results.keys():
                ratio = min(results[slow]) / min(results[fast])
                print(f"  {slow} / {fast} (best): {ratio:.2f}x")
    finally:
        dispose_engines()
        with admin.connect() as connection:
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'))
        admin.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""One year of daily bars for every issue from PostgreSQL into pandas: the read API against
``pandas.read_sql``, and the Parquet export's rows per second.

Creates a scratch PostgreSQL database (``moo_bench_read_<hex>``, dropped at the end),
migrates it, and fills ``daily_bars`` server-side (``generate_series``) with one row per
issue and weekday of a year: 4,215 issues x 261 weekdays = 1.1 million rows, prices with
decimals, volumes and turnover as BIGINT, the Premium-only session columns NULL as on
the Free/Standard plans. Then, in the same run and on the same query (every column,
the year, ordered by date and code), best of ``--repeat``:

* ``moo_markets.data.read("daily_bars", start, end)``: ADBC (binary COPY into Arrow),
  typed frame (float64 prices, Int64 volumes, date32 dates);
* ``pandas.read_sql(select(daily_bars)...)`` through SQLAlchemy/psycopg (a DB-API
  cursor; prices arrive as ``Decimal`` objects, dates as ``date`` objects);
* ``moo_markets.data.bars(start, end)``: the adjusted-bars view;
* ``moo-markets export daily_bars --format parquet`` (exact decimals): rows per second,
  read and write.

Target: the read API at least 3x faster than ``read_sql``.

    MOO_MARKETS_TEST_POSTGRES_URL=postgresql://postgres@127.0.0.1:5432/test \\
        .venv/bin/python bench/read.py
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import tempfile
import time
import uuid
from pathlib import Path

import pandas as pd
import sqlalchemy as sa
from psycopg import sql as pgsql

from moo_markets import data
from moo_markets.data.export import export
from moo_markets.warehouse.engine import dispose_engines, get_engine
from moo_markets.warehouse.migrate import upgrade
from moo_markets.warehouse.schema import daily_bars

FIRST, LAST = dt.date(2025, 1, 1), dt.date(2025, 12, 31)

FILL = sa.text(
    """
    INSERT INTO daily_bars (
        date, code, open, high, low, close, upper_limit, lower_limit, volume,
        turnover_value, adjustment_factor, adj_open, adj_high, adj_low, adj_close, adj_volume
    )
    SELECT day, code, p, p + 5.5, p - 3.2, p + 1.5, '0', '0', v, v * 2500, 1,
           p, p + 5.5, p - 3.2, p + 1.5, v
    FROM (
        SELECT d::date AS day,
               ((1300 + i) * 10)::text AS code,
               round(((i * 7919 + extract(doy FROM d)::int * 104729) % 500000) / 100.0 + 100, 1)
                   AS p,
               ((i * 104729 + extract(doy FROM d)::int * 7919) % 9000000)::bigint AS v
        FROM generate_series(CAST(:first AS date), CAST(:last AS date), interval '1 day') AS d,
             generate_series(1, :issues) AS i
        WHERE extract(isodow FROM d) < 6
    ) AS rows
    """
)


def best(label: str, repeat: int, read) -> tuple[float, object]:  # noqa: ANN001
    times, result = [], None
    for _ in range(repeat):
        began = time.perf_counter()
        result = read()
        times.append(time.perf_counter() - began)
    print(f"  {label:<44} best {min(times):7.2f}s  (runs: {', '.join(f'{t:.2f}' for t in times)})")
    return min(times), result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get("MOO_MARKETS_TEST_POSTGRES_URL")
        or "postgresql://postgres@127.0.0.1:5432/postgres",
        help="a PostgreSQL server to create the scratch database on",
    )
    parser.add_argument("--issues", type=int, default=4215)
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args()

    admin_url = sa.engine.make_url(args.postgres_url).set(drivername="postgresql+psycopg")
    admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    name = f"moo_bench_read_{uuid.uuid4().hex[:8]}"
    with admin.connect() as connection:
        connection.exec_driver_sql(
            pgsql.SQL("CREATE DATABASE {}").format(pgsql.Identifier(name)).as_string()
        )
    url = admin_url.set(database=name).render_as_string(hide_password=False)
    try:
        engine = get_engine(url)
        upgrade(engine)
        began = time.perf_counter()
        with engine.begin() as connection:
            connection.execute(FILL, {"first": FIRST, "last": LAST, "issues": args.issues})
            connection.exec_driver_sql("ANALYZE daily_bars")
            rows = connection.execute(sa.select(sa.func.count()).select_from(daily_bars)).scalar()
        print(
            f"daily_bars: {rows:,} rows ({args.issues} issues, {FIRST}..{LAST}) "
            f"filled in {time.perf_counter() - began:.1f}s\n"
        )

        query = (
            sa.select(daily_bars)
            .where(daily_bars.c.date.between(FIRST, LAST))
            .order_by(daily_bars.c.date, daily_bars.c.code)
        )
        load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
        print(f"load average {load} on {os.cpu_count()} CPUs (the machine may be shared)")
        print(f"one year of daily bars, every column, into pandas (best of {args.repeat}):")
        api_s, api = best(
            "moo_markets.data.read('daily_bars', ...)",
            args.repeat,
            lambda: data.read("daily_bars", start=FIRST, end=LAST, url=url),
        )
        pandas_s, raw = best(
            "pandas.read_sql(same query)",
            args.repeat,
            lambda: pd.read_sql(query, engine),
        )
        assert len(api) == len(raw) == rows, (len(api), len(raw), rows)
        same = api["close"].to_numpy() == raw["close"].astype(float).to_numpy()
        assert same.all() and (api["code"] == raw["code"]).all(), "the two reads disagree"
        bars_s, _ = best(
            "moo_markets.data.bars(...) (adjusted view)",
            args.repeat,
            lambda: data.bars(start=FIRST, end=LAST, url=url),
        )
        exact_s, _ = best(
            "moo_markets.data.read(..., exact=True)",
            args.repeat,
            lambda: data.read("daily_bars", start=FIRST, end=LAST, url=url, exact=True),
        )
        with tempfile.TemporaryDirectory() as directory:
            target = Path(directory) / "daily_bars.parquet"
            parquet_s, _ = best(
                "export daily_bars --format parquet",
                args.repeat,
                lambda: export(["daily_bars"], "parquet", target, start=FIRST, end=LAST, url=url),
            )
            size = target.stat().st_size

        print()
        print(f"read API            : {rows / api_s:>12,.0f} rows/s  ({api_s:.2f}s)")
        print(f"pandas.read_sql     : {rows / pandas_s:>12,.0f} rows/s  ({pandas_s:.2f}s)")
        print(f"speed-up            : {pandas_s / api_s:>12.1f}x  (target >= 3x)")
        print(f"bars() adjusted     : {rows / bars_s:>12,.0f} rows/s  ({bars_s:.2f}s)")
        print(f"read exact decimals : {rows / exact_s:>12,.0f} rows/s  ({exact_s:.2f}s)")
        print(
            f"Parquet export      : {rows / parquet_s:>12,.0f} rows/s  ({parquet_s:.2f}s, "
            f"{size / 1e6:.1f} MB)"
        )
        load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
        print(f"load average {load}")
        return 0 if pandas_s / api_s >= 3 else 1
    finally:
        dispose_engines()
        with admin.connect() as connection:
            connection.exec_driver_sql(
                pgsql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)")
                .format(pgsql.Identifier(name))
                .as_string()
            )
        admin.dispose()


if __name__ == "__main__":
    sys.exit(main())

"""Write-path benchmark: daily bars into PostgreSQL, ours vs raw COPY vs pandas to_sql.

One run, same rows, same PostgreSQL server, each path into an empty table
with daily_bars' columns and primary key:

1. ours     - the production path end to end (``moo_markets.daily_bars.ingest``):
              HTTP (rate limit off) -> gzip -> orjson -> validated rows -> CSV
              text -> psycopg 3 COPY, one transaction per day (a first load:
              ``warehouse/replace.py`` writes the table directly).
              Measured twice:
              a) against the live simulator, which computes and JSON-encodes
                 every day in Python on the same machine (on 2 cores it
                 competes with the ingest and PostgreSQL for CPU);
              b) against a server replaying the simulator's recorded gzipped
                 responses, i.e. a J-Quants whose CPU is not ours (the
                 target's figure: on a 2-core machine the live simulator's
                 CPU time is taken from the ingest being measured);
2. raw COPY - the same rows, serialized by PostgreSQL itself (``COPY ... TO
              STDOUT``), sent back with ``COPY ... FROM STDIN``, one
              transaction per day: the ceiling;
   Also measured: a refetch of the same days (``warehouse/replace.py``'s
   staging table and set-based diff; nothing changed, so no revision).
3. to_sql   - the same rows as a DataFrame, ``DataFrame.to_sql`` with pandas'
              defaults.

The simulator (and the replay server) run in a child process, as J-Quants
would be on another machine. Every path but the live one runs ``--repeat``
times; the median is reported, with the spread.

    .venv/bin/python bench/ingest.py                 # 50 days, ~220,000 rows
    .venv/bin/python bench/ingest.py --days 20 --no-to-sql
    .venv/bin/python bench/ingest.py --postgres-url postgresql://postgres@127.0.0.1:5432/postgres
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import json
import multiprocessing
import os
import resource
import statistics
import threading
import time
import urllib.request
import uuid
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from operator import itemgetter
from urllib.parse import urlsplit

import pandas as pd
import psycopg
import requests
import sqlalchemy as sa
from psycopg import sql as pgsql

from moo_markets.daily_bars.ingest import ingest_days
from moo_markets.jquants import JQuantsResource
from moo_markets.warehouse.bulk import copy_statement
from moo_markets.warehouse.engine import dispose_engines, get_engine
from moo_markets.warehouse.migrate import upgrade
from moo_markets.warehouse.schema import BAR_COLUMNS, HISTORIES, daily_bars

KEY = "bench-key"
DEFAULT_POSTGRES = "postgresql://postgres@127.0.0.1:5432/postgres"


# ---- the simulator in a child process -------------------------------------------------


def _serve(conn, config: dict) -> None:
    from moo_markets.jquants_sim import JQuantsSimulator, SimulatorConfig

    first, last = config.pop("business_days_between")
    with JQuantsSimulator(SimulatorConfig(**config), port=0) as sim:
        days = [
            first + dt.timedelta(days=i)
            for i in range((last - first).days + 1)
            if sim.dataset.is_business_day(first + dt.timedelta(days=i))
        ]
        calendar = {
            dt.date.fromisoformat(r["Date"]): r["HolDiv"] for r in sim.dataset.calendar(first, last)
        }
        conn.send((sim.base_url, days, calendar))
        replay = None
        while (message := conn.recv()) != "stop":
            if message == "stats":
                stats = sim.stats
                usage = resource.getrusage(resource.RUSAGE_SELF)
                cpu = usage.ru_utime + usage.ru_stime
                conn.send((stats.requests, stats.by_status, [t for t, *_ in stats.log], cpu))
            elif message[0] == "replay":
                replay = _replay_server(sim, config["api_key"], message[1])
                conn.send(f"http://127.0.0.1:{replay.server_address[1]}/v2")
        if replay is not None:
            replay.shutdown()


def _replay_server(sim, api_key: str, days: list[dt.date]) -> ThreadingHTTPServer:
    """Serve the simulator's own gzipped responses for ``days`` again, without recomputing them.

    A stand-in for J-Quants on another machine: its CPU is not ours. The
    simulator computes and JSON-encodes ~4,400 rows per request in Python,
    which on a small machine competes with the ingest being measured.
    """
    bodies: dict[tuple[str, str], bytes] = {}
    for day in days:
        query = f"date={day.isoformat()}"
        request = urllib.request.Request(
            f"{sim.base_url}/equities/bars/daily?{query}",
            headers={"x-api-key": api_key, "Accept-Encoding": "gzip"},
        )
        with urllib.request.urlopen(request) as response:  # noqa: S310 - our simulator
            assert response.headers["Content-Encoding"] == "gzip"
            bodies[("/v2/equities/bars/daily", query)] = response.read()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:  # noqa: N802 - http.server naming
            parts = urlsplit(self.path)
            body = bodies.get((parts.path, parts.query))
            if body is None:
                self.send_error(404)
                return
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Encoding", "gzip")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:  # noqa: A002
            """Quiet."""

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


class SimulatorProcess:
    """A J-Quants simulator in a child process; also answers which days are business days."""

    def __init__(self, first: dt.date, last: dt.date, **config: object) -> None:
        config = {"api_key": KEY, "seed": 42, "rate_limit_per_minute": None, **config}
        config["business_days_between"] = (first, last)
        ctx = multiprocessing.get_context("spawn")
        self._conn, child = ctx.Pipe()
        self._process = ctx.Process(target=_serve, args=(child, config), daemon=True)

    def __enter__(self) -> SimulatorProcess:
        self._process.start()
        self.base_url, self.business_days, self.calendar = self._conn.recv()
        return self

    def replay(self, days: list[dt.date]) -> str:
        """Base URL of a server replaying the simulator's recorded responses for ``days``."""
        self._conn.send(("replay", days))
        return self._conn.recv()

    def stats(self) -> tuple[int, dict[int, int], list[float], float]:
        """Requests, count by status, arrival times (monotonic) and the simulator's CPU seconds."""
        self._conn.send("stats")
        return self._conn.recv()

    def __exit__(self, *exc: object) -> None:
        self._conn.send("stop")
        self._process.join(timeout=10)


# ---- helpers -----------------------------------------------------------------------------


def _create_database(admin_url: str) -> str:
    """A fresh database on the server of ``admin_url``; returns its URL."""
    name = f"moo_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(_plain(admin_url), autocommit=True) as connection:
        connection.execute(pgsql.SQL("CREATE DATABASE {}").format(pgsql.Identifier(name)))
    return sa.engine.make_url(admin_url).set(database=name).render_as_string(hide_password=False)


def _drop_database(admin_url: str, url: str) -> None:
    name = sa.engine.make_url(url).database
    with psycopg.connect(_plain(admin_url), autocommit=True) as connection:
        connection.execute(
            pgsql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(pgsql.Identifier(name))
        )


def _plain(url: str) -> str:
    """A libpq URL (no SQLAlchemy driver suffix)."""
    return (
        sa.engine.make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    )


def _empty_copy_of_bars(engine: sa.Engine, name: str) -> sa.Table:
    """A new table with daily_bars' columns, types and primary key."""
    table = sa.Table(name, sa.MetaData(), *(c._copy() for c in daily_bars.columns))
    table.drop(engine, checkfirst=True)  # an earlier repetition's
    table.create(engine)
    return table


def _median(measure: Callable[[], float], repeat: int) -> tuple[float, list[float]]:
    """Median and all of ``repeat`` measurements (runs on a small machine vary by 20 %)."""
    times = [measure() for _ in range(max(1, repeat))]
    return statistics.median(times), times


def _rows_per_second(rows: int, seconds: float) -> float:
    return rows / seconds if seconds > 0 else float("inf")


# ---- the three paths ---------------------------------------------------------------------


def run_ours(
    base_url: str,
    calendar: dict,
    engine: sa.Engine,
    days: list[dt.date],
    concurrency: int,
    empty: bool = True,
) -> tuple[int, float, tuple[str, ...]]:
    """``empty``: a first load (the default); else a refetch of days already stored."""
    history = HISTORIES[daily_bars.name]
    with engine.begin() as connection:  # start from an empty table, like the other paths
        for table in (daily_bars, history.revisions, history.loads) if empty else ():
            connection.execute(sa.delete(table))
    jquants = JQuantsResource(api_key=KEY, base_url=base_url, requests_per_minute=10**7)
    started = time.perf_counter()
    rows = 0
    for result in ingest_days(
        days, calendar, jquants=jquants, engine=engine, fetch_concurrency=concurrency
    ):
        rows += result.rows
    seconds = time.perf_counter() - started
    with engine.connect() as connection:  # the columns our path filled (plan-dependent)
        filled = connection.execute(
            sa.select(*(sa.func.count(c) for c in daily_bars.columns))
        ).one()
    columns = tuple(c.name for c, n in zip(daily_bars.columns, filled, strict=True) if n)
    return rows, seconds, columns


def serialize_days(engine: sa.Engine, days: list[dt.date], columns: tuple[str, ...]) -> list[bytes]:
    """Each day's stored rows as PostgreSQL COPY text, produced by PostgreSQL itself."""
    out = []
    raw = engine.raw_connection()
    try:
        with raw.cursor() as cursor:
            for day in days:
                buffer = io.BytesIO()
                query = pgsql.SQL(
                    "COPY (SELECT {columns} FROM {table} WHERE date = {day} ORDER BY code) TO STDOUT"
                ).format(
                    columns=pgsql.SQL(", ").join(map(pgsql.Identifier, columns)),
                    table=pgsql.Identifier(daily_bars.name),
                    day=pgsql.Literal(day),
                )
                with cursor.copy(query) as copy:
                    for chunk in copy:
                        buffer.write(chunk)
                out.append(buffer.getvalue())
    finally:
        raw.close()
    return out


def run_raw_copy(engine: sa.Engine, payloads: list[bytes], columns: tuple[str, ...]) -> float:
    table = _empty_copy_of_bars(engine, "bench_raw_copy")
    statement = copy_statement(table.name, columns)
    raw = engine.raw_connection()
    try:
        started = time.perf_counter()
        for payload in payloads:
            with raw.cursor() as cursor, cursor.copy(statement) as copy:
                copy.write(payload)
            raw.commit()
        return time.perf_counter() - started
    finally:
        raw.close()


def fetch_bodies(base_url: str, days: list[dt.date]) -> list[bytes]:
    """The JSON bodies of ``days`` (decompressed), for the reference path below."""
    with requests.Session() as session:
        return [
            session.get(
                f"{base_url}/equities/bars/daily",
                params={"date": day.isoformat()},
                headers={"x-api-key": KEY},
                timeout=60,
            ).content
            for day in days
        ]


def run_reference(engine: sa.Engine, bodies: list[bytes], columns: tuple[str, ...]) -> float:
    """performance-notes.md's reference: JSON page -> json.loads -> COPY write_row, commit per day.

    No HTTP, no validation, no threads: the floor of any json + write_row path
    on this machine, measured in the same run as the others.
    """
    table = _empty_copy_of_bars(engine, "bench_reference")
    fields = ["Date", "Code", *(f for f, c in BAR_COLUMNS.items() if c in columns)]
    getter = itemgetter(*fields)
    statement = copy_statement(table.name, columns)
    raw = engine.raw_connection()
    try:
        started = time.perf_counter()
        for body in bodies:
            rows = json.loads(body)["data"]
            with raw.cursor() as cursor, cursor.copy(statement) as copy:
                for row in rows:
                    values = list(getter(row))
                    values[8], values[9] = _int(values[8]), _int(values[9])  # Vo, Va -> BIGINT
                    copy.write_row(values)
            raw.commit()
        return time.perf_counter() - started
    finally:
        raw.close()


def _int(value: float | None) -> int | None:
    return None if value is None else int(value)


def run_to_sql(engine: sa.Engine, columns: tuple[str, ...]) -> tuple[int, float]:
    frame = pd.read_sql(sa.select(*(daily_bars.c[c] for c in columns)), engine)
    table = _empty_copy_of_bars(engine, "bench_to_sql")
    started = time.perf_counter()
    frame.to_sql(table.name, engine, if_exists="append", index=False)
    return len(frame), time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--days", type=int, default=50, help="business days of bars (~4,400 rows each)"
    )
    parser.add_argument("--end", type=dt.date.fromisoformat, default=dt.date(2026, 3, 31))
    parser.add_argument(
        "--concurrency", type=int, default=2, help="fetch threads (production default 2)"
    )
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get("MOO_MARKETS_TEST_POSTGRES_URL") or DEFAULT_POSTGRES,
        help="server to benchmark on; a temporary database is created there and dropped",
    )
    parser.add_argument("--no-to-sql", action="store_true", help="skip the (slow) pandas path")
    parser.add_argument(
        "--repeat",
        type=int,
        default=3,
        help="measure each path (but the live one) this many times and report the median",
    )
    args = parser.parse_args()

    spreads: dict[str, list[float]] = {}
    first_guess = args.end - dt.timedelta(days=args.days * 7 // 5 + 30)
    url = _create_database(args.postgres_url)
    try:
        with SimulatorProcess(first_guess, args.end) as sim:
            days = sim.business_days[-args.days :]
            engine = get_engine(url)
            upgrade(engine)
            rows, live, columns = run_ours(
                sim.base_url, sim.calendar, engine, days, args.concurrency
            )
            requests, by_status, _, _ = sim.stats()
            payloads = serialize_days(engine, days, columns)
            replay_url = sim.replay(days)

            def replayed() -> float:
                replay_rows, seconds, _ = run_ours(
                    replay_url, sim.calendar, engine, days, args.concurrency
                )
                assert replay_rows == rows, (replay_rows, rows)
                return seconds

            replay, spreads["replay"] = _median(replayed, args.repeat)

            def refetched() -> float:  # the same days again: the revision-keeping diff path
                refetch_rows, seconds, _ = run_ours(
                    replay_url, sim.calendar, engine, days, args.concurrency, empty=False
                )
                assert refetch_rows == rows, (refetch_rows, rows)
                return seconds

            refetch, spreads["refetch"] = _median(refetched, args.repeat)
            bodies = fetch_bodies(replay_url, days)
        ours_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        raw_copy, spreads["raw COPY"] = _median(
            lambda: run_raw_copy(engine, payloads, columns), args.repeat
        )
        reference, spreads["reference"] = _median(
            lambda: run_reference(engine, bodies, columns), args.repeat
        )
        bodies.clear()  # free ~50 MB before pandas
        to_sql_rows, to_sql = 0, 0.0
        if not args.no_to_sql:

            def pandas_to_sql() -> float:
                nonlocal to_sql_rows
                to_sql_rows, seconds = run_to_sql(engine, columns)
                return seconds

            to_sql, spreads["to_sql"] = _median(pandas_to_sql, args.repeat)

        live_rate = _rows_per_second(rows, live)
        replay_rate = _rows_per_second(rows, replay)
        copy_rate = _rows_per_second(rows, raw_copy)
        print(
            f"rows                     {rows:,} ({len(days)} business days, {len(columns)} columns)"
        )
        print(
            f"requests to simulator    {requests} (statuses {by_status}), fetch concurrency {args.concurrency}"
        )
        print(f"ours, live simulator     {live:7.2f} s  {live_rate:10,.0f} rows/s")
        print(f"ours, replayed responses {replay:7.2f} s  {replay_rate:10,.0f} rows/s")
        refetch_rate = _rows_per_second(rows, refetch)
        print(
            f"ours, refetch unchanged  {refetch:7.2f} s  {refetch_rate:10,.0f} rows/s"
            "  (replayed; staging + diff, no revision written)"
        )
        print(f"raw COPY                 {raw_copy:7.2f} s  {copy_rate:10,.0f} rows/s")
        reference_rate = _rows_per_second(rows, reference)
        print(
            f"reference json+write_row {reference:7.2f} s  {reference_rate:10,.0f} rows/s"
            f"  ({reference_rate / copy_rate:.2f} of raw COPY; performance-notes.md: 0.61)"
        )
        if to_sql_rows:
            assert to_sql_rows == rows, (to_sql_rows, rows)
            to_sql_rate = _rows_per_second(rows, to_sql)
            print(f"pandas to_sql            {to_sql:7.2f} s  {to_sql_rate:10,.0f} rows/s")
        for label, rate in (("live", live_rate), ("replayed", replay_rate)):
            line = f"ours ({label}) / raw COPY {rate / copy_rate:5.2f} (target >= 0.5)"
            if to_sql_rows:
                line += f"   / to_sql {rate / to_sql_rate:5.1f} (target >= 5)"
            print(line)
        print(f"peak RSS (ours)          {ours_rss:.0f} MB")
        print(
            f"spread over {args.repeat} runs     "
            + ", ".join(f"{k} {min(v):.2f}-{max(v):.2f} s" for k, v in spreads.items())
        )
        print(
            f"load average             {' '.join(f'{x:.1f}' for x in os.getloadavg())} ({os.cpu_count()} CPUs)"
        )
    finally:
        dispose_engines()
        _drop_database(args.postgres_url, url)


if __name__ == "__main__":
    main()

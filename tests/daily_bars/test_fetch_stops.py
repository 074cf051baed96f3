"""A stopping run sends J-Quants nothing more (issue 12, item 1, the termination side).

Terminating a run (SAFE_TERMINATE, Ctrl-C) interrupts the run worker's main
thread; Dagster then marks the run CANCELED and frees the ``jquants`` pool
while the process is still exiting. The daily_bars fetch threads must not
go on paging or retrying in that time: the next run may already be using the
key. Here the interruption is a signal in the main thread, as Dagster's is.
"""

from __future__ import annotations

import datetime as dt
import signal
import threading
import time

import pytest
from support.dagster_processes import wait_for

from moo_markets.daily_bars.ingest import ingest_days
from moo_markets.jquants import JQuantsClient
from moo_markets.warehouse import get_engine

FIRST = dt.date(2026, 2, 2)


class Interrupted(Exception):
    """What the test's signal handler raises in the main thread."""


def interrupt_after(seconds: float):
    def raise_interrupted(_signum, _frame):
        raise Interrupted

    previous = signal.signal(signal.SIGALRM, raise_interrupted)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    return lambda: signal.signal(signal.SIGALRM, previous)


def fetch_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith("daily-bars-fetch")]


def test_interrupted_ingest_stops_its_fetch_threads(
    make_simulator, make_jquants, sqlite_database
) -> None:
    sim = make_simulator()
    sim.inject("500", count=100_000)  # every request fails and is retried
    days = [FIRST + dt.timedelta(days=i) for i in range(14)]
    days = [d for d in days if sim.dataset.is_business_day(d)]
    jquants = make_jquants(sim, max_attempts=100, backoff_initial=0.3, backoff_max=0.3)
    restore = interrupt_after(1.0)
    try:
        with pytest.raises(Interrupted):
            for _ in ingest_days(
                days,
                dict.fromkeys(days, "1"),
                jquants=jquants,
                engine=get_engine(sqlite_database),
                fetch_concurrency=2,
            ):
                pass
    finally:
        restore()
    stopped = time.monotonic()
    assert sim.stats.requests > 0
    wait_for(lambda: not fetch_threads(), timeout=10, message="the fetch threads to end")
    # A request already on the wire when the signal came arrived before it; none after.
    late = [t - stopped for t, *_ in sim.stats.log if t > stopped + 0.1]
    assert late == [], late


def test_client_stops_between_attempts(make_simulator, make_jquants) -> None:
    from moo_markets.jquants.errors import JQuantsStopped

    sim = make_simulator()
    sim.inject("500", count=100)
    stop = threading.Event()
    resource = make_jquants(sim, max_attempts=5, backoff_initial=60, backoff_max=60)
    client = JQuantsClient(resource.api_key, resource.settings(), stop=stop)
    outcome: list[BaseException] = []

    def get() -> None:
        try:
            client.get("markets/calendar", {})
        except BaseException as exc:  # noqa: BLE001 (handed to the test thread)
            outcome.append(exc)

    thread = threading.Thread(target=get, daemon=True)
    thread.start()
    wait_for(lambda: sim.stats.requests == 1, timeout=10, message="the first attempt")
    stop.set()  # while the client waits 60 s before its second attempt
    thread.join(timeout=10)
    assert not thread.is_alive()
    assert len(outcome) == 1 and isinstance(outcome[0], JQuantsStopped), outcome
    assert sim.stats.requests == 1

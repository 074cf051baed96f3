"""Client-side pacing for one J-Quants API key.

J-Quants counts requests per key per minute and locks a key out for minutes
when it is pushed over the limit, so the client must never rely on 429s.
Requests are spaced evenly (no bursts) at slightly under the plan's rate: with
a gap of ``60 / (rate * headroom)`` seconds, any 60-second window, measured on
either side of the network, holds at most ``rate`` requests even when
latencies jitter. A sliding-window limiter (pyrate-limiter, for instance)
would let a whole minute's budget go out at once and then land the 61st
request right at the server's window edge; even spacing avoids that race and
still achieves ``headroom`` (98 %) of the allowed rate.

A new pacer waits one gap before its first request. Runs that call J-Quants
are serialised by the ``jquants`` concurrency pool, and each run is a fresh
process with a fresh pacer: this first gap keeps the spacing across the
boundary between one run's last request and the next run's first.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

PLAN_REQUESTS_PER_MINUTE = {"free": 5, "light": 60, "standard": 120, "premium": 500}


class Pacer:
    """Hands out evenly spaced send slots; thread-safe.

    ``acquire()`` blocks until the caller may send. ``slow_down()`` widens the
    gap after the server said 429, because then our idea of the limit was wrong.
    """

    def __init__(
        self,
        requests_per_minute: float,
        headroom: float = 0.98,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if requests_per_minute <= 0:
            raise ValueError("requests_per_minute must be positive")
        if not 0 < headroom <= 1:
            raise ValueError("headroom must be in (0, 1]")
        self.interval = 60.0 / (requests_per_minute * headroom)
        self._clock = clock
        self._sleep = sleep
        self._next_slot = clock() + self.interval
        self._lock = threading.Lock()

    @property
    def requests_per_minute(self) -> float:
        return 60.0 / self.interval

    def acquire(self) -> float:
        """Wait for the next free slot; returns the seconds waited."""
        with self._lock:
            now = self._clock()
            slot = max(now, self._next_slot)
            self._next_slot = slot + self.interval
        wait = slot - now
        if wait > 0:
            self._sleep(wait)
        return wait

    def slow_down(self, factor: float = 1.25) -> None:
        """Widen the gap (after a 429) and push the next slot out by one gap."""
        with self._lock:
            self.interval *= factor
            self._next_slot = max(self._next_slot, self._clock()) + self.interval


_pacers: dict[tuple[str, str, float], Pacer] = {}
_pacers_lock = threading.Lock()


def shared_pacer(key_id: str, base_url: str, requests_per_minute: float) -> Pacer:
    """The one pacer of a key in this process, so every thread shares its budget.

    ``key_id`` is a fingerprint of the key, never the key itself.
    """
    with _pacers_lock:
        return _pacers.setdefault(
            (key_id, base_url, requests_per_minute), Pacer(requests_per_minute)
        )

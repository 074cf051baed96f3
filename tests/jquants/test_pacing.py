"""The pacer, on a fake clock: no window ever holds more than the allowed rate."""

from __future__ import annotations

import threading

import pytest

from moo_markets.jquants.pacing import Pacer
from moo_markets.jquants_sim import max_in_window


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0
        self._lock = threading.Lock()

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        with self._lock:
            self.now += seconds


def send_times(pacer: Pacer, clock: FakeClock, count: int) -> list[float]:
    times = []
    for _ in range(count):
        pacer.acquire()
        times.append(clock.now)
    return times


@pytest.mark.parametrize("rate", [5, 60, 120, 500])
def test_any_sixty_second_window_stays_within_the_plan(rate: int) -> None:
    clock = FakeClock()
    pacer = Pacer(rate, clock=clock, sleep=clock.sleep)
    times = send_times(pacer, clock, rate * 3)
    assert max_in_window(times) <= rate
    # ...and the long-run rate is the 98 % headroom, not far below it.
    achieved = (len(times) - 1) / (times[-1] - times[0]) * 60
    assert achieved == pytest.approx(rate * 0.98, rel=1e-6)


def test_no_burst_at_start() -> None:
    """Even the first request waits one gap: the previous run's pacer may just have sent."""
    clock = FakeClock()
    created = clock.now
    pacer = Pacer(120, clock=clock, sleep=clock.sleep)
    times = send_times(pacer, clock, 3)
    gap = 60 / (120 * 0.98)
    assert times[0] - created == pytest.approx(gap)
    assert times[1] - times[0] == pytest.approx(gap)


def test_slow_down_widens_the_gap() -> None:
    clock = FakeClock()
    pacer = Pacer(60, clock=clock, sleep=clock.sleep)
    before = pacer.interval
    pacer.slow_down(1.5)
    assert pacer.interval == pytest.approx(before * 1.5)
    assert pacer.requests_per_minute < 60 * 0.98


def test_threads_share_one_budget() -> None:
    """Concurrent threads get distinct slots, one interval apart: together they keep the rate."""
    clock = FakeClock()  # frozen: every caller sees the same "now"
    pacer = Pacer(60, clock=clock, sleep=lambda _s: None)
    waits: list[float] = []
    lock = threading.Lock()

    def worker() -> None:
        for _ in range(50):
            wait = pacer.acquire()
            with lock:
                waits.append(wait)

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    expected = [(k + 1) * pacer.interval for k in range(200)]
    assert sorted(waits) == pytest.approx(expected)


def test_rejects_nonsense() -> None:
    with pytest.raises(ValueError):
        Pacer(0)
    with pytest.raises(ValueError):
        Pacer(10, headroom=1.5)

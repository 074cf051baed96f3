"""The J-Quants client against the simulator over real HTTP."""

from __future__ import annotations

import datetime as dt
import http.server
import logging
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from moo_markets.jquants import JQuantsRequestError, JQuantsUnavailableError

DAY = dt.date(2026, 3, 2)


def test_pagination_follows_keys_to_the_end(make_simulator, make_jquants) -> None:
    sim = make_simulator(page_size=1000)
    client = make_jquants(sim).client
    pages = list(client.iter_pages("equities/master", {"date": DAY}))
    expected = sim.dataset.master(DAY)
    assert len(pages) == -(-len(expected) // 1000) > 1
    assert [row for page in pages for row in page] == expected
    assert client.stats.requests == len(pages)


def test_pages_are_streamed_not_prefetched(make_simulator, make_jquants) -> None:
    sim = make_simulator(page_size=500)
    client = make_jquants(sim).client
    pages = client.iter_pages("equities/bars/daily", {"date": DAY})
    first = next(pages)
    assert len(first) == 500
    assert sim.stats.requests == 1


def test_empty_result_is_an_empty_list(jquants) -> None:
    assert jquants.client.fetch_all("equities/bars/daily", {"date": dt.date(2026, 3, 1)}) == []


def test_bad_request_fails_at_once_with_endpoint_params_and_message(simulator, jquants) -> None:
    simulator.reset_stats()
    with pytest.raises(JQuantsRequestError) as info:
        jquants.client.fetch_all("equities/bars/daily", {"from": DAY})
    error = info.value
    assert error.status == 400
    assert "equities/bars/daily" in str(error) and "from=2026-03-02" in str(error)
    assert "requires at least 1 parameter" in str(error)
    assert simulator.stats.requests == 1  # not retried


def test_wrong_key_is_403_and_the_key_is_not_in_the_error(simulator, make_jquants) -> None:
    secret = "wrong-key-7f3a9c"
    with pytest.raises(JQuantsRequestError) as info:
        make_jquants(simulator, api_key=secret).listed_companies(DAY)
    assert info.value.status == 403
    assert "invalid or expired" in str(info.value)
    assert secret not in str(info.value) and secret not in repr(info.value.__dict__)


@pytest.mark.parametrize("fault", ["500", "truncate"])
def test_transient_failures_are_retried(make_simulator, make_jquants, fault) -> None:
    sim = make_simulator()
    resource = make_jquants(sim)
    sim.inject(fault, count=2)
    rows = resource.listed_companies(DAY)
    assert rows == sim.dataset.master(DAY)
    assert resource.client.stats.retries == 2
    assert sim.stats.requests == 3


def test_read_timeout_is_retried(make_simulator, make_jquants) -> None:
    sim = make_simulator()
    # A read timeout well above a loaded machine's answer time, a stall well above it.
    resource = make_jquants(sim, read_timeout=2.0)
    sim.inject("delay", count=1, seconds=6)
    assert resource.listed_companies(DAY) == sim.dataset.master(DAY)
    assert resource.client.stats.retries == 1


def test_gives_up_after_bounded_attempts_with_a_clear_message(make_simulator, make_jquants) -> None:
    sim = make_simulator()
    resource = make_jquants(sim, max_attempts=3)
    sim.inject("500", count=10)
    with pytest.raises(JQuantsUnavailableError) as info:
        resource.listed_companies(DAY)
    assert "gave up after 3 attempts" in str(info.value)
    assert "equities/master" in str(info.value) and "date=2026-03-02" in str(info.value)
    assert sim.stats.requests == 3


def test_429_waits_and_slows_the_pacer(make_simulator, make_jquants) -> None:
    sim = make_simulator()
    resource = make_jquants(sim, rate_limit_wait=0.3)
    client = resource.client
    before = client.pacer.interval
    sim.inject("429", count=1)
    assert resource.listed_companies(DAY) == sim.dataset.master(DAY)
    assert client.stats.rate_limited == 1
    assert client.pacer.interval > before


def test_threads_sharing_a_key_stay_under_the_servers_limit(make_simulator, make_jquants) -> None:
    """Four threads, one key, the simulator enforcing 600/min: no 429 at all."""
    sim = make_simulator(rate_limit_per_minute=600)
    resource = make_jquants(sim, requests_per_minute=600, rate_limit_wait=60)

    def fetch(_i: int) -> int:
        return len(resource.client.fetch_all("markets/calendar", {"from": DAY, "to": DAY}))

    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(fetch, range(48)))
    assert results == [1] * 48
    assert sim.stats.by_status.get(429, 0) == 0
    assert resource.client.stats.rate_limited == 0


def test_the_key_never_reaches_the_logs(make_simulator, make_jquants, caplog) -> None:
    sim = make_simulator()
    caplog.set_level(logging.DEBUG)
    resource = make_jquants(sim)
    sim.inject("500", count=1)
    resource.listed_companies(DAY)
    with pytest.raises(JQuantsRequestError):
        resource.client.fetch_all("equities/bars/daily", {})
    assert caplog.records, "the client logs its requests"
    assert resource.api_key not in caplog.text


def test_redirects_are_not_followed(make_jquants) -> None:
    """A redirect must not carry the key to another host."""
    stolen: list[str] = []

    class Thief(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802
            stolen.append(self.headers.get("x-api-key", ""))
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args) -> None:
            pass

    thief = http.server.HTTPServer(("127.0.0.1", 0), Thief)

    class Redirector(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802
            self.send_response(302)
            self.send_header("Location", f"http://127.0.0.1:{thief.server_port}/v2/steal")
            self.end_headers()

        def log_message(self, *args) -> None:
            pass

    redirector = http.server.HTTPServer(("127.0.0.1", 0), Redirector)
    for server in (thief, redirector):
        threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        fake = type("Sim", (), {"base_url": f"http://127.0.0.1:{redirector.server_port}/v2"})()
        with pytest.raises(JQuantsRequestError, match="redirect"):
            make_jquants(fake).listed_companies(DAY)
        assert stolen == []
    finally:
        thief.shutdown()
        redirector.shutdown()


def test_typed_endpoint_methods_own_the_paths(simulator, make_jquants) -> None:
    """The client, not its callers, knows J-Quants' paths and parameters."""
    client = make_jquants(simulator).client
    simulator.reset_stats()
    assert client.listed_companies(DAY) == simulator.dataset.master(DAY)
    day = [row for page in client.daily_bars_on(DAY) for row in page]
    code = day[0]["Code"]
    history = [row for page in client.daily_bars_history(code) for row in page]
    assert {row["Code"] for row in history} == {code} and len(history) > 1
    calendar = client.trading_calendar(DAY, DAY + dt.timedelta(days=6))
    assert [row["Date"] for row in calendar][0] == DAY.isoformat()
    queries = [(path, query) for _, path, query, _ in simulator.stats.log]
    assert queries == [
        ("/v2/equities/master", {"date": DAY.isoformat()}),
        ("/v2/equities/bars/daily", {"date": DAY.isoformat()}),
        ("/v2/equities/bars/daily", {"code": code}),
        (
            "/v2/markets/calendar",
            {"from": DAY.isoformat(), "to": (DAY + dt.timedelta(days=6)).isoformat()},
        ),
    ]

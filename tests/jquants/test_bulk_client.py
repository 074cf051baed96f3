"""The client's bulk files: listing, download URLs, streamed and verified downloads."""

from __future__ import annotations

import csv
import datetime as dt
import io
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from support.jquants_sim import TODAY, config

from moo_markets.jquants import BulkFile, BulkFileError, ClientSettings, JQuantsClient
from moo_markets.jquants.pacing import Pacer
from moo_markets.jquants_sim import JQuantsSimulator

BARS = "/equities/bars/daily"
MONTH = "2026-10"
LIGHT_KEY = "sim-light-key"


@pytest.fixture
def sim_factory():
    started: list[JQuantsSimulator] = []

    def make(**settings) -> JQuantsSimulator:
        sim = JQuantsSimulator(config(**settings), port=0)
        sim.start()
        started.append(sim)
        return sim

    yield make
    for sim in started:
        sim.stop()


@pytest.fixture
def sim(sim_factory) -> JQuantsSimulator:
    return sim_factory()


def client_for(sim, key: str = LIGHT_KEY, **settings) -> JQuantsClient:
    values = dict(
        base_url=sim.base_url,
        requests_per_minute=60_000,
        backoff_initial=0.01,
        backoff_max=0.05,
        rate_limit_wait=0.2,
        read_timeout=10.0,
        max_attempts=3,
    )
    values.update(settings)
    return JQuantsClient(key, ClientSettings(**values), pacer=Pacer(60_000))


def month_file(client: JQuantsClient) -> BulkFile:
    files = client.bulk_list(BARS, MONTH, MONTH)
    monthly = [f for f in files if f.month == dt.date(2026, 10, 1)]
    assert len(monthly) == 1, files
    return monthly[0]


def read_all(client: JQuantsClient, file: BulkFile, url: str | None = None) -> bytes:
    downloader = client.bulk_downloader()
    try:
        return b"".join(downloader.chunks(file, url))
    finally:
        downloader.close()


def test_list_and_download_a_month_equal_to_the_rest_rows(sim) -> None:
    with client_for(sim) as client:
        file = month_file(client)
        assert file.key == "equities/bars/daily/historical/2026/equities_bars_daily_202610.csv.gz"
        assert file.last_modified.tzinfo is not None and file.size and file.day is None
        text = read_all(client, file).decode()
    rows = list(csv.reader(io.StringIO(text)))
    header, body = rows[0], rows[1:]
    rest = [
        r
        for day in sim.dataset.business_days(dt.date(2026, 10, 1), dt.date(2026, 10, 31))
        for r in sim.rows(BARS, {"date": day.isoformat()}, "light")
    ]
    assert header == list(rest[0])
    assert len(body) == len(rest)
    assert [(r[0], r[1]) for r in body] == [(r["Date"], r["Code"]) for r in rest]
    # The key went to the API host only, never to the download host.
    downloads = sim.storage_stats.downloads
    assert len(downloads) == 1 and not downloads[0].had_api_key
    assert [p for _, p, _, _ in sim.stats.log] == ["/v2/bulk/list", "/v2/bulk/get"]


def test_bulk_calls_are_paced_like_every_request(sim) -> None:
    pacer = Pacer(600)  # one slot every ~0.1 s
    settings = ClientSettings(base_url=sim.base_url, requests_per_minute=600)
    with JQuantsClient(LIGHT_KEY, settings, pacer=pacer) as client:
        started = time.monotonic()
        file = month_file(client)
        for _ in range(3):
            client.bulk_downloader().url(file.key)
        elapsed = time.monotonic() - started
    assert client.stats.requests == 4
    assert elapsed >= 4 * pacer.interval * 0.95


def test_an_expired_url_is_requested_again_once(sim_factory) -> None:
    sim = sim_factory(bulk_url_ttl_seconds=1)
    with client_for(sim) as client:
        file = month_file(client)
        downloader = client.bulk_downloader()
        stale = downloader.url(file.key)
        time.sleep(2.1)  # the simulator signs whole seconds: 2 s past the 1 s lifetime
        data = b"".join(downloader.chunks(file, stale))
    assert data.startswith(b"Date,Code,")
    gets = [p for _, p, _, _ in sim.stats.log if p == "/v2/bulk/get"]
    assert len(gets) == 2  # the stale one and exactly one renewal
    assert [d.status for d in sim.storage_stats.downloads] == [403, 200]


def test_an_url_expired_twice_fails_naming_the_file(sim_factory, monkeypatch) -> None:
    sim = sim_factory(bulk_url_ttl_seconds=1)
    with client_for(sim) as client:
        file = month_file(client)
        downloader = client.bulk_downloader()
        stale = downloader.url(file.key)
        time.sleep(2.1)
        monkeypatch.setattr(downloader, "url", lambda key: stale)  # renewal is stale too
        with pytest.raises(BulkFileError, match=r"202610\.csv\.gz.*expired"):
            b"".join(downloader.chunks(file, stale))


@pytest.mark.parametrize(
    ("fault", "message"),
    [("truncate", "truncated|broke off"), ("corrupt", "corrupt|checksum")],
)
def test_broken_downloads_fail_naming_the_file(sim, fault, message) -> None:
    with client_for(sim) as client:
        file = month_file(client)
        sim.inject_download(fault)
        with pytest.raises(BulkFileError, match=message) as caught:
            read_all(client, file)
    assert caught.value.key == file.key and file.key in str(caught.value)


def test_a_size_other_than_the_listing_fails(sim) -> None:
    with client_for(sim) as client:
        file = month_file(client)
        wrong = BulkFile(file.key, file.last_modified, (file.size or 0) + 1)
        with pytest.raises(BulkFileError, match="size mismatch"):
            read_all(client, wrong)


def test_download_5xx_is_retried(sim) -> None:
    with client_for(sim) as client:
        file = month_file(client)
        sim.inject_download("500")
        assert read_all(client, file).startswith(b"Date,Code,")
    assert [d.status for d in sim.storage_stats.downloads] == [500, 200]


def test_redirects_are_never_followed(sim) -> None:
    hits: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - http.server naming
            hits.append(self.path)
            self.send_response(302)
            self.send_header("Location", f"http://127.0.0.1:{self.server.server_address[1]}/else")
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: object) -> None:  # noqa: A002
            """Quiet."""

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        with client_for(sim) as client:
            file = month_file(client)
            url = f"http://127.0.0.1:{server.server_address[1]}/signed"
            with pytest.raises(BulkFileError, match="redirect"):
                read_all(client, file, url)
    finally:
        server.shutdown()
    assert hits == ["/signed"]


def test_a_plan_without_bulk_files_is_refused(sim) -> None:
    from moo_markets.jquants import JQuantsRequestError

    with client_for(sim, key="sim-free-key") as client:
        with pytest.raises(JQuantsRequestError) as caught:
            client.bulk_list(BARS, MONTH, MONTH)
    assert caught.value.status == 403


def test_listing_dates_are_aware_and_ordered(sim) -> None:
    with client_for(sim) as client:
        files = client.bulk_list(BARS, "2026-08", TODAY.strftime("%Y-%m"))
    months = [f.month for f in files if f.month]
    assert months == sorted(months) and dt.date(2026, 8, 1) in months
    assert any(f.day for f in files)  # this month's days are daily ("live") files

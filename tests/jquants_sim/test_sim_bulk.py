"""Bulk files (issue 14): /bulk/list, /bulk/get, the download host, and files that hold exactly
the REST rows."""

from __future__ import annotations

import datetime as dt
import gzip
import hashlib
import json
import re
import time
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

import pytest
import requests
from support.jquants_sim import DAY, TODAY, Client

from moo_markets.jquants_sim.bulk import BULK_ENDPOINTS

LIST, GET = "/bulk/list", "/bulk/get"
BARS = "/equities/bars/daily"
CALENDAR = "/markets/calendar"
MONTH = "2026-10"  # historical by TODAY (its file appears on 2026-11-05)
STAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}\+00:00$")


def listing(client: Client, plan: str = "premium", **params: Any) -> list[dict[str, Any]]:
    response = client.get(LIST, plan, **params)
    assert response.status_code == 200, response.text
    body = response.json()
    assert list(body) == ["data"]
    return body["data"]


def url_of(client: Client, plan: str = "premium", **params: Any) -> str:
    response = client.get(GET, plan, **params)
    assert response.status_code == 200, response.text
    assert list(response.json()) == ["url"]
    return response.json()["url"]


def download(url: str, **headers: str) -> bytes:
    response = requests.get(url, headers=headers, timeout=60)
    assert response.status_code == 200, response.text
    return response.content


def cell(value: Any) -> str:
    """The CSV cell of a REST value (docs/jquants-datasets.md, written independently of the
    simulator): strings quoted, numbers as their JSON text, null empty, objects as JSON."""
    if value is None:
        return ""
    if isinstance(value, str):
        return '"' + value.replace('"', '""') + '"'
    if isinstance(value, dict):
        return (
            '"'
            + json.dumps(value, ensure_ascii=False, separators=(",", ":")).replace('"', '""')
            + '"'
        )
    return repr(value)  # what json.dumps writes for an int or a float


def csv_of(rows: list[dict[str, Any]]) -> bytes:
    lines = [",".join(rows[0])] + [",".join(cell(v) for v in row.values()) for row in rows]
    return ("\n".join(lines) + "\n").encode()


def rest_rows_of_days(sim, path: str, first: dt.date, last: dt.date, plan: str) -> list[dict]:
    out: list[dict] = []
    for day in sim.dataset.business_days(first, last):
        if path in ("/equities/investor-types", "/indices/bars/daily/topix"):
            query = {"from": day.isoformat(), "to": day.isoformat()}
        elif path == "/markets/short-sale-report":
            query = {"disc_date": day.isoformat()}
        else:
            query = {"date": day.isoformat()}
        out += sim.rows(path, query, plan)
    return out


# -- /bulk/list -------------------------------------------------------------------------------


def test_list_by_endpoint(client: Client, sim):
    """A plan's whole window: monthly files for months wholly inside it, daily ("live") files
    for the current month."""
    topix = "/indices/bars/daily/topix"
    response = client.get(LIST, "light", endpoint=topix)
    assert response.headers["Transfer-Encoding"] == "chunked"  # streamed as files are made
    files = response.json()["data"]
    keys = [f["Key"] for f in files]
    assert keys == sorted(keys)
    for f in files:
        assert list(f) == ["Key", "LastModified", "Size"]
        assert STAMP.match(f["LastModified"]) and isinstance(f["Size"], int) and f["Size"] > 0
    name = "indices/bars/daily/topix/historical/{}/indices_bars_daily_topix_{}.csv.gz"
    historical = [k for k in keys if "/historical/" in k]
    live = [k for k in keys if "/live/" in k]
    assert historical[0] == name.format(2021, 202112)
    assert historical[-1] == name.format(2026, 202610)
    assert len(historical) == 59  # 2021-12 .. 2026-10: only months wholly inside Light's 5 years
    november = [
        d.strftime("%Y%m%d") for d in sim.dataset.business_days(dt.date(2026, 11, 1), TODAY)
    ]
    assert live == [
        f"indices/bars/daily/topix/live/indices_bars_daily_topix_{d}.csv.gz" for d in november
    ]
    bars = listing(client, "light", endpoint=BARS, **{"from": "2026-10", "to": "2026-11-03"})
    assert [f["Key"].rsplit("_", 1)[1] for f in bars] == [
        "202610.csv.gz", "20261102.csv.gz"
    ]  # fmt: skip


def test_list_with_from_to_and_by_date(client: Client):
    some = listing(client, endpoint=BARS, **{"from": "2026-09", "to": "2026-10"})
    assert [f["Key"][-13:] for f in some] == ["202609.csv.gz", "202610.csv.gz"]
    assert listing(client, endpoint=f"/v2{BARS}", **{"from": "202609", "to": "2026-10-31"}) == some
    month = listing(client, date=MONTH)
    endpoints = {f["Key"].split("/historical/")[0] for f in month}
    assert "equities/bars/daily" in endpoints and "markets/calendar" not in endpoints
    assert all(f["Key"].endswith("_202610.csv.gz") for f in month)
    assert some[1] in month


def test_free_lists_and_gets_the_calendar_only(client: Client, sim):
    files = listing(client, "free", endpoint=CALENDAR)
    assert len(files) == 1 and files[0]["Key"].startswith("markets/calendar/")
    assert listing(client, "free", endpoint=CALENDAR, **{"from": "2010-01"}) == files
    denied = client.get(LIST, "free", endpoint=BARS)
    assert denied.status_code == 403 and denied.json()["message"].startswith(
        "This API is not available on your subscription."
    )
    bars = listing(client, endpoint=BARS, **{"from": MONTH, "to": MONTH})[0]["Key"]
    assert client.get(GET, "free", key=bars).status_code == 403
    assert listing(client, "free", date="2025-10") == []
    data = gzip.decompress(download(url_of(client, "free", key=files[0]["Key"])))
    assert data == csv_of(sim.rows(CALENDAR, {}, "free"))


def test_plans_only_list_their_datasets(client: Client):
    assert client.get(LIST, "light", endpoint="/fins/details").status_code == 403
    assert client.get(LIST, "standard", endpoint="/markets/breakdown").status_code == 403
    assert listing(
        client, "standard", endpoint="/markets/short-ratio", **{"from": MONTH, "to": MONTH}
    )
    light = {f["Key"].split("/historical/")[0] for f in listing(client, "light", date=MONTH)}
    assert "equities/investor-types" in light and "markets/margin-interest" not in light


@pytest.mark.parametrize(
    "params,status",
    [
        ({}, 400),
        ({"endpoint": BARS, "date": MONTH}, 400),
        ({"date": MONTH, "from": "2026-01"}, 400),
        ({"endpoint": "/equities/earnings-calendar"}, 400),
        ({"endpoint": "/equities/nope"}, 400),
        ({"endpoint": BARS, "from": "2026-13"}, 400),
        ({"endpoint": BARS, "from": "2026-10", "to": "2026-09"}, 400),
        ({"endpoint": BARS, "from": "2000-01", "to": "2001-12"}, 400),
    ],
)
def test_list_errors(client: Client, params, status):
    response = client.get(LIST, "light", **params)
    assert response.status_code == status and set(response.json()) == {"message"}


# -- /bulk/get and the download host ------------------------------------------------------------


def test_get_by_key_or_by_endpoint_and_date(client: Client, sim):
    files = {f["Key"]: f for f in listing(client, "light", endpoint=BARS, **{"from": MONTH})}
    key = f"equities/bars/daily/historical/2026/equities_bars_daily_{MONTH.replace('-', '')}.csv.gz"
    url = url_of(client, "light", key=key)
    parts = urlsplit(url)
    assert f"{parts.scheme}://{parts.netloc}" == sim.storage_url != sim.base_url[: -len("/v2")]
    assert parts.path.endswith("/" + key)
    assert {"X-Amz-Expires", "X-Amz-Signature", "X-Amz-Date"} <= set(parse_qs(parts.query))
    by_date = url_of(client, "light", endpoint=BARS, date=MONTH)
    assert urlsplit(by_date).path == parts.path
    day = url_of(client, "light", endpoint=BARS, date=DAY.isoformat())
    assert urlsplit(day).path.endswith(f"/live/equities_bars_daily_{DAY:%Y%m%d}.csv.gz")
    response = requests.get(url, timeout=60)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/x-gzip"
    assert len(response.content) == files[key]["Size"] == int(response.headers["Content-Length"])
    assert response.headers["ETag"] == f'"{hashlib.md5(response.content).hexdigest()}"'
    assert not any(d.had_api_key for d in sim.storage_stats.downloads)


def test_get_errors(client: Client):
    missing = client.get(GET, "light", key="equities/bars/daily/historical/2001/x_200101.csv.gz")
    assert missing.status_code == 404 and missing.json() == {
        "message": "The specified key does not exist."
    }
    old = client.get(GET, "light", endpoint=BARS, date="2019-05")
    assert old.status_code == 404
    assert client.get(GET, "light").status_code == 400
    assert client.get(GET, "light", endpoint=BARS).status_code == 400
    assert client.get(GET, "light", key="k", endpoint=BARS, date=MONTH).status_code == 400
    assert client.get(GET, "light", endpoint="/fins/details", date=MONTH).status_code == 403


def test_download_urls_expire_and_cannot_be_tampered_with(make_sim):
    sim = make_sim(bulk_url_ttl_seconds=1)
    client = Client(sim)
    url = url_of(client, "light", endpoint=CALENDAR, date=MONTH)
    assert requests.get(url, timeout=30).status_code == 200
    parts = urlsplit(url)
    query = parse_qs(parts.query)

    def with_query(**changes: str) -> str:
        q = {k: v[0] for k, v in query.items()} | changes
        return urlunsplit(parts._replace(query=urlencode(q)))

    forged = requests.get(with_query(**{"X-Amz-Expires": "86400"}), timeout=30)
    assert forged.status_code == 403 and "<Code>SignatureDoesNotMatch</Code>" in forged.text
    moved = requests.get(url.replace("_2026", "_2025", 1), timeout=30)
    assert moved.status_code == 403
    bare = requests.get(urlunsplit(parts._replace(query="")), timeout=30)
    assert bare.status_code == 403 and "<Code>AccessDenied</Code>" in bare.text
    time.sleep(2.1)
    expired = requests.get(url, timeout=30)
    assert expired.status_code == 403
    assert "<Code>AccessDenied</Code><Message>Request has expired</Message>" in expired.text
    assert expired.headers["Content-Type"] == "application/xml"


def test_api_key_on_the_download_host_is_noticed(make_sim):
    sim = make_sim()
    client = Client(sim)
    url = url_of(client, "light", endpoint=CALENDAR, date=MONTH)
    download(url, **{"x-api-key": "sim-light-key"})
    download(url)
    assert [d.had_api_key for d in sim.storage_stats.downloads] == [True, False]
    assert sim.stats.requests == 1, "downloads are not API requests"


def test_download_faults_and_ranges(make_sim):
    sim = make_sim()
    client = Client(sim)
    url = url_of(client, "light", endpoint=BARS, date=DAY.isoformat())
    whole = download(url)
    sim.inject_download("truncate")
    with pytest.raises(requests.exceptions.RequestException):
        requests.get(url, timeout=30).content  # noqa: B018 - reading the body fails
    sim.inject_download("corrupt")
    corrupted = requests.get(url, timeout=30).content
    assert len(corrupted) == len(whole) and corrupted != whole
    with pytest.raises(Exception):  # noqa: B017 - gzip raises BadGzipFile or zlib.error
        gzip.decompress(corrupted)
    sim.inject_download("500")
    assert requests.get(url, timeout=30).status_code == 500
    part = requests.get(url, headers={"Range": "bytes=10-99"}, timeout=30)
    assert part.status_code == 206 and part.content == whole[10:100]
    assert download(url) == whole


# -- the files hold the REST rows ---------------------------------------------------------------


def test_a_month_of_daily_bars_is_the_rest_rows_byte_for_byte(client: Client, sim):
    """Every business day of the month fetched over REST (date=D, all pages), written as CSV
    by the test itself, equals the downloaded file's content."""
    rest: list[dict] = []
    for day in sim.dataset.business_days(dt.date(2026, 10, 1), dt.date(2026, 10, 31)):
        rest += client.rows(BARS, "light", date=day.isoformat())
    data = gzip.decompress(download(url_of(client, "light", endpoint=BARS, date=MONTH)))
    assert data == csv_of(rest)
    assert data.count(b"\n") == len(rest) + 1
    premium = gzip.decompress(download(url_of(client, "premium", endpoint=BARS, date=MONTH)))
    assert premium.split(b"\n", 1)[0].split(b",") == [
        k.encode() for k in client.rows(BARS, "premium", date=DAY.isoformat())[0]
    ]


@pytest.mark.parametrize("path", sorted(set(BULK_ENDPOINTS) - {CALENDAR, BARS}))
def test_every_bulk_file_is_the_rest_rows(client: Client, sim, path):
    first, last = dt.date(2026, 10, 1), dt.date(2026, 10, 31)
    rest = rest_rows_of_days(sim, path, first, last, "premium")
    data = gzip.decompress(download(url_of(client, "premium", endpoint=path, date=MONTH)))
    assert rest and data == csv_of(rest), path
    live = rest_rows_of_days(sim, path, DAY, DAY, "premium")
    if live:
        day = gzip.decompress(
            download(url_of(client, "premium", endpoint=path, date=DAY.isoformat()))
        )
        assert day == csv_of(live)


def test_month_files_are_cached_and_fast(make_sim, tmp_path):
    sim = make_sim(bulk_cache_dir=str(tmp_path))
    client = Client(sim)
    started = time.perf_counter()
    url_of(client, "light", endpoint=BARS, date="2026-09")
    seconds = time.perf_counter() - started
    assert sim.bulk.generated == 1 and seconds < 5  # ~1 s on a laptop: ~100k rows
    listing(client, "light", endpoint=BARS, **{"from": "2026-09", "to": "2026-09"})
    url_of(client, "light", endpoint=BARS, date="2026-09")
    assert sim.bulk.generated == 1
    assert len(list(tmp_path.glob("*.csv.gz"))) == 1


# -- LastModified -----------------------------------------------------------------------------


def test_last_modified_moves_when_a_month_is_corrected(make_sim):
    sim = make_sim()
    client = Client(sim)

    def stamp() -> tuple[str, int]:
        (f,) = listing(
            client, "light", endpoint="/fins/summary", **{"from": "2026-09", "to": "2026-09"}
        )
        return f["LastModified"], f["Size"]

    before, size = stamp()
    assert before.startswith("2026-10-05T10:00:00.")  # 19:00 JST on the 3rd business day after
    sim.mark_bulk_corrected("/fins/summary", "2026-09")
    after, size_after = stamp()
    assert after > before and size_after == size
    assert (
        listing(client, "light", endpoint="/fins/summary", **{"from": "2026-08", "to": "2026-08"})[
            0
        ]["LastModified"]
        < before
    )

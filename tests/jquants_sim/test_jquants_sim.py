"""Contract tests of the offline J-Quants V2 simulator, over real HTTP.

The simulator stands in for J-Quants in every other test, so what is checked here is that
it behaves like the reference (shared/jquants-v2.md, docs/jquants-datasets.md): paths,
envelopes, key orders, JSON types, error bodies, pagination, gzip, calendar, splits, rate
limits and faults -- and that the HTTP layer serves exactly what ``Dataset`` computes. The
other datasets, plans, bulk files and corrections are covered under tests/jquants_sim/.
"""

from __future__ import annotations

import datetime as dt
import gzip
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import requests

from moo_markets.jquants_sim import Dataset, JQuantsSimulator, SimulatorConfig
from moo_markets.jquants_sim.cli import add_arguments, resolve
from moo_markets.jquants_sim.dataset import (
    BAR_KEYS,
    MASTER_KEYS,
    PREMIUM_BAR_KEYS,
    SECTOR17,
    SECTOR33,
    bar_keys,
)

KEY = "sim-contract-test-key"  # Standard plan
PREMIUM_KEY = "sim-contract-premium-key"
TODAY = dt.date(2026, 3, 2)  # a Monday
DAY = dt.date(2026, 2, 27)  # a Friday
MASTER = "/equities/master"
BARS = "/equities/bars/daily"
CALENDAR = "/markets/calendar"
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def dataset() -> Dataset:
    return Dataset(seed=42, today=TODAY, plan="standard")


@pytest.fixture(scope="module")
def sim(dataset):
    """Standard plan, no limits or faults; never moved in time (tests that move it own one)."""
    config = SimulatorConfig(
        api_key=KEY,
        api_keys={PREMIUM_KEY: "premium"},
        seed=42,
        today=TODAY,
        rate_limit_per_minute=None,
    )
    with JQuantsSimulator(config, dataset=dataset) as simulator:
        yield simulator


@pytest.fixture
def make_sim(dataset):
    """A simulator with its own settings; shares the module's dataset unless given one."""
    started: list[JQuantsSimulator] = []

    def make(dataset_=None, clock=time.monotonic, **settings) -> JQuantsSimulator:
        settings.setdefault("today", TODAY)
        settings.setdefault("rate_limit_per_minute", None)
        simulator = JQuantsSimulator(
            SimulatorConfig(api_key=KEY, **settings), dataset=dataset_ or dataset, clock=clock
        )
        started.append(simulator.start())
        return simulator

    yield make
    for simulator in started:
        simulator.stop()


@pytest.fixture
def http() -> requests.Session:
    session = requests.Session()
    session.headers["x-api-key"] = KEY
    return session


def get(
    session: requests.Session, simulator: JQuantsSimulator, path: str, **params
) -> requests.Response:
    return session.get(simulator.base_url + path, params=params, timeout=10)


def fetch_all(session, simulator, path, **params) -> tuple[list[dict], int]:
    """Follow pagination_key to the end; returns the rows and the number of pages."""
    rows, pages, query = [], 0, dict(params)
    while True:
        response = get(session, simulator, path, **query)
        assert response.status_code == 200, response.text
        body = response.json()
        rows += body["data"]
        pages += 1
        if not body.get("pagination_key"):
            return rows, pages
        query = {**params, "pagination_key": body["pagination_key"]}


# -- master --------------------------------------------------------------------------------


def test_master_rows_are_the_dataset_rows_with_api_types(sim, http, dataset):
    response = get(http, sim, MASTER, date="2026-03-02")
    assert response.status_code == 200
    body = response.json()
    assert list(body) == ["data"]
    rows = body["data"]
    assert rows == dataset.master(TODAY)
    assert 4000 <= len(rows) <= 5000
    sectors = {code: (name, s17) for code, name, s17 in SECTOR33}
    for row in rows:
        assert tuple(row) == MASTER_KEYS
        assert all(isinstance(v, str) for v in row.values()), row
        assert row["Date"] == "2026-03-02"
        assert re.fullmatch(r"[0-9]{3}[0-9A-Z]0", row["Code"]), row["Code"]
        assert sectors[row["S33"]] == (row["S33Nm"], row["S17"])
        assert SECTOR17[row["S17"]] == row["S17Nm"]
        assert (row["Mkt"], row["MktNm"]) in {
            ("0111", "プライム"),
            ("0112", "スタンダード"),
            ("0113", "グロース"),
        }
        assert (row["Mrgn"], row["MrgnNm"]) in {("1", "信用"), ("2", "貸借"), ("3", "その他")}
        assert row["ProdCat"] == "011"
    codes = [r["Code"] for r in rows]
    assert codes == sorted(codes) and len(set(codes)) == len(codes)
    assert any(re.fullmatch(r"[0-9]{3}[A-Z]0", c) for c in codes), (
        "expected some alphanumeric codes"
    )
    scale = [r["ScaleCat"] for r in rows]
    assert scale.count("TOPIX Core30") == 30 and scale.count("TOPIX Large70") == 70
    assert scale.count("TOPIX Mid400") == 400 and scale.count("-") > len(rows) / 3


def test_master_code_date_formats_and_holidays(sim, http, dataset):
    compact = get(http, sim, MASTER, date="20260302").json()["data"]
    assert compact == get(http, sim, MASTER, date="2026-03-02").json()["data"]
    toyota = get(http, sim, MASTER, code="7203").json()["data"]
    assert [r["Code"] for r in toyota] == ["72030"]
    assert toyota == get(http, sim, MASTER, code="72030", date="2026-03-02").json()["data"]
    # A Sunday gives the next business day's list; no date = today.
    sunday = get(http, sim, MASTER, date="2026-03-01").json()["data"]
    assert sunday == compact
    assert get(http, sim, MASTER).json()["data"] == compact
    # Before the data start: the first snapshot (Premium reaches back that far; Standard's
    # window starts 10 years ago). Far future: nothing.
    premium = requests.Session()
    premium.headers["x-api-key"] = PREMIUM_KEY
    early = get(premium, sim, MASTER, date="2008-01-10").json()["data"]
    assert early and {r["Date"] for r in early} == {"2008-05-07"}
    assert get(http, sim, MASTER, date="2008-01-10").status_code == 400
    assert get(http, sim, MASTER, date="2026-06-01").json() == {"data": []}


def test_listings_change_over_time(dataset):
    def by_code(day):
        return {r["Code"]: r for r in dataset.master(day)}

    old, new = by_code(dt.date(2015, 1, 5)), by_code(TODAY)
    assert len(set(old) - set(new)) > 300, "delisted issues must disappear from later snapshots"
    assert len(set(new) - set(old)) > 500, "new listings must appear"
    common = set(old) & set(new)
    assert any(old[c]["CoName"] != new[c]["CoName"] for c in common), "expected renames"
    assert 3800 <= len(old) <= 4600
    before, after = by_code(dt.date(2022, 4, 1)), by_code(dt.date(2022, 4, 4))
    assert {r["Mkt"] for r in before.values()} == {"0101", "0102", "0104", "0106", "0107"}
    assert {r["Mkt"] for r in after.values()} == {"0111", "0112", "0113"}
    moved = by_code(dt.date(2023, 1, 4)), by_code(dt.date(2025, 12, 1))
    assert any(moved[0][c]["Mkt"] != moved[1][c]["Mkt"] for c in set(moved[0]) & set(moved[1]))


# -- bars ----------------------------------------------------------------------------------


STANDARD_BAR_KEYS = bar_keys(premium=False)


def check_bar(row: dict, keys=STANDARD_BAR_KEYS) -> None:
    assert tuple(row) == keys
    assert isinstance(row["MktCap"], float | None)
    assert row["ExRT"] == {1.0: None}.get(row["AdjFactor"], "1" if row["AdjFactor"] < 1 else "2")
    assert isinstance(row["Date"], str) and isinstance(row["Code"], str) and len(row["Code"]) == 5
    assert row["UL"] in ("0", "1") and row["LL"] in ("0", "1")
    assert isinstance(row["AdjFactor"], float)
    values = ("O", "H", "L", "C", "Vo", "Va", "AdjO", "AdjH", "AdjL", "AdjC", "AdjVo")
    if row["O"] is None:
        assert all(row[k] is None for k in values), row
        assert row["AdjFactor"] == 1.0 and row["UL"] == row["LL"] == "0"
        return
    assert all(isinstance(row[k], float) for k in values), row
    assert row["L"] <= min(row["O"], row["C"]) <= max(row["O"], row["C"]) <= row["H"]
    assert row["Vo"] > 0 and row["Va"] > 0


def test_bars_for_a_day(sim, http, dataset):
    response = get(http, sim, BARS, date="20260227")
    assert response.status_code == 200
    rows = response.json()["data"]
    assert rows == dataset.bars_on(DAY)
    assert len(rows) == len(dataset.master(DAY))
    for row in rows:
        check_bar(row)
    assert any(r["O"] is None for r in rows), "expected a few no-trade rows"
    assert sum(r["O"] is None for r in rows) < 0.05 * len(rows)
    assert any(r["Va"] is not None and r["Va"] > 2**31 for r in rows)
    assert not any(set(PREMIUM_BAR_KEYS) & set(r) for r in rows)


def test_bars_by_code_match_the_day_rows(sim, http, dataset):
    rows = get(http, sim, BARS, code="7203", **{"from": "2026-02-16", "to": "20260227"}).json()[
        "data"
    ]
    # 2026-02-21/22 is a weekend and 2026-02-23 天皇誕生日.
    assert [r["Date"][-2:] for r in rows] == ["16", "17", "18", "19", "20", "24", "25", "26", "27"]
    assert rows == dataset.bars_for_code("72030", dt.date(2026, 2, 16), dt.date(2026, 2, 27))
    by_day = {r["Code"]: r for r in dataset.bars_on(DAY)}
    assert rows[-1] == by_day["72030"]
    one = get(http, sim, BARS, code="72030", date="2026-02-27").json()["data"]
    assert one == [by_day["72030"]]
    full = get(http, sim, BARS, code="72030").json()["data"]  # the Standard window: 10 years
    assert full[0]["Date"] == "2016-03-02" and full[-1]["Date"] == "2026-03-02"
    premium = requests.Session()
    premium.headers["x-api-key"] = PREMIUM_KEY
    full = fetch_all(premium, sim, BARS, code="72030")[0]
    assert full[0]["Date"] == "2008-05-07" and full[-1]["Date"] == "2026-03-02"
    alnum = next(c for c in by_day if not c.isdigit())
    assert get(http, sim, BARS, code=alnum[:4], date="2026-02-27").json()["data"] == [by_day[alnum]]


def test_outage_day_and_empty_results(sim, http, dataset):
    outage = get(http, sim, BARS, date="2020-10-01").json()["data"]
    assert len(outage) > 3500
    assert all(
        r["O"] is None and r["C"] is None and r["Vo"] is None and r["AdjC"] is None for r in outage
    )
    assert get(http, sim, BARS, date="2026-02-28").json() == {"data": []}  # Saturday
    assert get(http, sim, BARS, date="2026-03-03").json() == {"data": []}  # after today
    assert get(http, sim, BARS, date="2008-05-02").status_code == 400  # outside the window
    unused = next(f"{n}0" for n in range(9999, 1300, -1) if f"{n}0" not in set(dataset.codes()))
    assert get(http, sim, BARS, code=unused).json() == {"data": []}


def test_bars_are_consistent_over_history(dataset):
    for day in (
        dt.date(2009, 3, 10),
        dt.date(2014, 8, 1),
        dt.date(2020, 4, 7),
        dt.date(2024, 8, 5),
    ):
        rows = dataset.bars_on(day)
        assert len(rows) > 3500
        for row in rows:
            check_bar(row)
        for row in rows[::700]:
            assert dataset.bars_for_code(row["Code"], day, day) == [row]
    fine = [r["C"] for r in dataset.bars_on(DAY) if r["C"] is not None and r["C"] % 1]
    assert fine, "TOPIX100 issues trade on 0.1 / 0.5 yen ticks"


# -- errors --------------------------------------------------------------------------------


def test_error_bodies(sim, http):
    response = get(http, sim, BARS)
    assert response.status_code == 400
    assert response.json() == {
        "message": "This API requires at least 1 parameter as follows; 'date','code'."
    }
    bad_date = get(http, sim, BARS, date="20240230")
    assert bad_date.status_code == 400 and "message" in bad_date.json()
    assert get(http, sim, MASTER, date="2024/01/05").status_code == 400
    assert get(http, sim, CALENDAR, hol_div="7").status_code == 400
    for headers in ({}, {"x-api-key": "wrong"}):
        denied = requests.get(sim.base_url + MASTER, headers=headers, timeout=10)
        assert denied.status_code == 403
        assert denied.json() == {"message": "The incoming api key is invalid or expired."}
    for path in ("/equities/nope", "/listed/info", "/equities/master/"):
        missing = get(http, sim, path)
        assert missing.status_code == 403
        assert missing.json() == {
            "message": "The requested endpoint does not exist. "
            "Please check the URL, HTTP method, and API version."
        }
    assert http.post(sim.base_url + MASTER, timeout=10).status_code == 403
    assert http.head(sim.base_url + MASTER, timeout=10).status_code == 403


# -- pagination, gzip ----------------------------------------------------------------------


def test_pagination(make_sim, http, dataset):
    small = make_sim(page_size=1000)
    first = get(http, small, BARS, date="2026-02-27").json()
    assert list(first) == ["data", "pagination_key"] and len(first["data"]) == 1000
    rows, pages = fetch_all(http, small, BARS, date="2026-02-27")
    assert rows == dataset.bars_on(DAY)
    assert pages == -(-len(rows) // 1000) >= 4
    bogus = get(http, small, BARS, date="2026-02-27", pagination_key="bogus")
    assert bogus.status_code == 400 and "message" in bogus.json()
    foreign = get(http, small, BARS, date="2026-02-26", pagination_key=first["pagination_key"])
    assert foreign.status_code == 400
    calendar, _ = fetch_all(http, small, CALENDAR)
    assert calendar == small.rows(CALENDAR) == dataset.calendar(dt.date(2016, 3, 2))


def test_gzip_and_headers(sim, http):
    response = get(http, sim, CALENDAR, **{"from": "2026-01-01", "to": "2026-01-31"})
    assert response.headers["Content-Type"] == "application/json"
    assert response.headers["Content-Encoding"] == "gzip"
    raw = requests.get(
        sim.base_url + CALENDAR,
        params={"from": "2026-01-01", "to": "2026-01-31"},
        headers={"x-api-key": KEY, "Accept-Encoding": "gzip"},
        stream=True,
        timeout=10,
    ).raw.read(decode_content=False)
    assert json.loads(gzip.decompress(raw)) == response.json()
    plain = http.get(
        sim.base_url + CALENDAR,
        params={"from": "2026-01-01"},
        headers={"Accept-Encoding": "identity"},
        timeout=10,
    )
    assert "Content-Encoding" not in plain.headers
    assert int(plain.headers["Content-Length"]) == len(plain.content)


# -- calendar ------------------------------------------------------------------------------


def test_calendar(sim, http, dataset):
    premium = requests.Session()
    premium.headers["x-api-key"] = PREMIUM_KEY
    rows, pages = fetch_all(premium, sim, CALENDAR)
    assert rows == dataset.calendar(dt.date(2008, 5, 7)) and pages == 2  # ~6,800 days
    assert rows[0] == {"Date": "2008-05-07", "HolDiv": "1"}
    standard = fetch_all(http, sim, CALENDAR)[0]
    assert standard[0]["Date"] == "2016-03-02" and standard[-1] == rows[-1]
    assert rows[-1]["Date"] == "2026-12-31", (
        "next year's calendar is published only from the end of March"
    )
    days = {r["Date"]: r["HolDiv"] for r in rows}
    assert all(tuple(r) == ("Date", "HolDiv") and r["HolDiv"] in ("0", "1", "2", "3") for r in rows)
    assert days["2026-01-12"] == "0"  # 成人の日
    assert days["2026-03-07"] == days["2026-03-08"] == "0"  # weekend
    assert days["2025-12-31"] == days["2026-01-02"] == "0"  # year-end break
    assert days["2020-10-01"] == "1"  # outage day was a business day
    assert days["2026-03-02"] == "1"
    holidays_only = get(
        http, sim, CALENDAR, hol_div="0", **{"from": "20260101", "to": "20260131"}
    ).json()["data"]
    expected = ["01", "02", "03", "04", "10", "11", "12", "17", "18", "24", "25", "31"]
    assert [r["Date"][-2:] for r in holidays_only] == expected
    assert dataset.is_business_day(dt.date(2020, 10, 1)) and not dataset.is_business_day(
        dt.date(2026, 1, 12)
    )


def test_calendar_horizon_follows_today():
    later = Dataset(seed=42, today=dt.date(2026, 4, 1))
    assert later.calendar()[-1]["Date"] == "2027-12-31"
    assert later.calendar(hol_div="1", from_=dt.date(2027, 1, 1))[0]["Date"] == "2027-01-04"


# -- determinism, plans --------------------------------------------------------------------


def test_same_seed_same_data_other_seed_other_data(dataset):
    again = Dataset(seed=42, today=TODAY)
    other = Dataset(seed=43, today=TODAY)
    assert again.master(DAY) == dataset.master(DAY)
    assert again.bars_on(DAY) == dataset.bars_on(DAY)
    assert again.split_events() == dataset.split_events()
    assert other.master(DAY) != dataset.master(DAY)
    assert other.bars_on(DAY) != dataset.bars_on(DAY)


def test_premium_adds_session_fields_and_free_drops_margin(make_sim, http):
    premium = make_sim(Dataset(seed=42, today=TODAY, plan="premium"), plan="premium")
    rows = get(http, premium, BARS, date="2026-02-27").json()["data"]
    assert rows == premium.dataset.bars_on(DAY)
    for row in rows:
        assert tuple(row) == BAR_KEYS + PREMIUM_BAR_KEYS + ("MktCap", "ExRT")
        check_bar({k: row[k] for k in bar_keys(premium=False)})
        if row["O"] is None:
            assert all(row[k] is None for k in ("MO", "MC", "MVo", "AO", "AC", "AVo", "AAdjC"))
            continue
        assert row["MO"] == row["O"] and row["AC"] == row["C"]
        assert max(row["MH"], row["AH"]) == row["H"] and min(row["ML"], row["AL"]) == row["L"]
        assert row["MVo"] + row["AVo"] == row["Vo"]
    free = Dataset(seed=42, today=TODAY, plan="free")
    assert "Mrgn" not in free.master(DAY)[0] and "ProdCat" in free.master(DAY)[0]


# -- splits --------------------------------------------------------------------------------


def test_split_moves_adjusted_history(make_sim, http):
    moving = make_sim(Dataset(seed=42, today=TODAY))
    events = [
        e
        for e in moving.dataset.split_events()
        if dt.date(2025, 1, 1) <= e[0] <= dt.date(2025, 12, 31)
    ]
    assert 40 <= len(events) <= 130, "roughly 50-100 splits a year"
    ex_date, code, factor = next(e for e in events if e[2] < 1)
    assert factor in (0.5, 0.25, 0.2, 1 / 3)
    window = {
        "code": code,
        "from": (ex_date - dt.timedelta(days=20)).isoformat(),
        "to": ex_date.isoformat(),
    }

    moving.set_today(ex_date - dt.timedelta(days=1))
    before = [r for r in get(http, moving, BARS, **window).json()["data"] if r["C"] is not None]
    assert before and all(r["AdjC"] == r["C"] and r["AdjFactor"] == 1.0 for r in before)

    moving.set_today(ex_date)
    after = get(http, moving, BARS, **window).json()["data"]
    assert after[-1]["Date"] == ex_date.isoformat() and after[-1]["AdjFactor"] == factor
    assert after[-1]["C"] == after[-1]["AdjC"]
    earlier = {r["Date"]: r for r in after[:-1]}
    for row in before:
        moved = earlier[row["Date"]]
        assert moved["C"] == row["C"] and moved["Vo"] == row["Vo"], "raw prices never change"
        assert moved["AdjC"] == pytest.approx(row["C"] * factor, rel=1e-6)
        assert moved["AdjVo"] == pytest.approx(row["Vo"] / factor, rel=1e-6)
    last_before = before[-1]["C"]
    assert after[-1]["C"] < last_before * (factor + 0.5 * (1 - factor)), (
        "raw price drops on the ex-date"
    )


# -- rate limits and faults ----------------------------------------------------------------


class Clock:
    """The rate limiter's time, moved by the test: how long each HTTP request takes on a
    loaded machine then never decides which window a request falls in."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_rate_limit_then_lockout(make_sim, http):
    clock = Clock()
    limited = make_sim(
        clock=clock, rate_limit_per_minute=3, rate_window_seconds=1.0, lockout_seconds=1.5
    )
    statuses = [
        get(http, limited, CALENDAR, **{"from": "2026-01-01"}).status_code for _ in range(4)
    ]
    assert statuses == [200, 200, 200, 429]
    refused = get(http, limited, CALENDAR)
    assert refused.status_code == 429 and refused.json() == {"message": "Rate limit exceeded"}
    assert "Retry-After" not in refused.headers
    # Keep hammering: more than `limit` rejections inside one window lock the key out ...
    assert [get(http, limited, CALENDAR).status_code for _ in range(2)] == [429, 429]
    clock.now += 1.1  # ... so even after the window has passed, every request is refused ...
    assert get(http, limited, CALENDAR).status_code == 429
    clock.now += 0.39  # ... until the lock-out ends (1.5 s after the last rejection) ...
    assert get(http, limited, CALENDAR).status_code == 429
    clock.now += 0.02
    assert get(http, limited, CALENDAR).status_code == 200
    assert limited.stats.by_status == {200: 4, 429: 6}


def test_sliding_window_without_lockout(make_sim, http):
    clock = Clock()
    limited = make_sim(
        clock=clock, rate_limit_per_minute=2, rate_window_seconds=0.5, lockout_seconds=60
    )
    assert get(http, limited, CALENDAR).status_code == 200
    clock.now += 0.3
    assert [get(http, limited, CALENDAR).status_code for _ in range(2)] == [200, 429]
    # One rejection is not "more than the limit": no lock-out. The window slides: 0.5 s
    # after the first request one slot is free again, the second's not yet.
    clock.now += 0.2
    assert [get(http, limited, CALENDAR).status_code for _ in range(2)] == [200, 429]
    clock.now += 0.3
    assert get(http, limited, CALENDAR).status_code == 200


def test_injected_faults(make_sim, http):
    faulty = make_sim()
    faulty.inject("500")
    failed = get(http, faulty, CALENDAR)
    assert failed.status_code == 500 and failed.json() == {"message": "Internal Server Error"}
    assert get(http, faulty, CALENDAR).status_code == 200
    faulty.inject("truncate", count=2)
    for _ in range(2):
        broken = get(http, faulty, CALENDAR)
        assert broken.status_code == 200
        with pytest.raises(ValueError):
            broken.json()
    faulty.inject("429")
    faulty.inject("400")
    assert [get(http, faulty, CALENDAR).status_code for _ in range(3)] == [429, 400, 200]
    faulty.inject("delay", seconds=0.6)
    with pytest.raises(requests.exceptions.ReadTimeout):
        http.get(faulty.base_url + CALENDAR, timeout=(2, 0.2))
    faulty.inject("drop")
    with pytest.raises(requests.exceptions.ConnectionError):
        requests.get(faulty.base_url + CALENDAR, headers={"x-api-key": KEY}, timeout=5)
    assert get(http, faulty, CALENDAR).status_code == 200


def test_configured_faults(make_sim, http):
    bursty = make_sim(burst_500_every=3, burst_500_length=2)
    statuses = [get(http, bursty, CALENDAR).status_code for _ in range(8)]
    assert statuses == [200, 200, 200, 500, 500, 200, 200, 200]
    always_500 = make_sim(error_rate=1.0)
    assert get(http, always_500, CALENDAR).status_code == 500
    always_broken = make_sim(truncate_rate=1.0)
    with pytest.raises(ValueError):
        get(http, always_broken, CALENDAR).json()
    slow = make_sim(latency_seconds=0.2)
    started = time.monotonic()
    assert get(http, slow, CALENDAR).status_code == 200
    assert time.monotonic() - started >= 0.2


def test_stats_and_reset(make_sim, http):
    counted = make_sim()
    get(http, counted, MASTER, code="7203")
    get(http, counted, BARS)
    requests.get(counted.base_url + MASTER, timeout=10)
    stats = counted.stats
    assert stats.requests == 3 and stats.by_status == {200: 1, 400: 1, 403: 1}
    first = stats.log[0]
    assert first[1] == "/v2/equities/master" and first[2] == {"code": "7203"} and first[3] == 200
    assert first[0] <= stats.log[1][0] <= time.monotonic()
    counted.reset_stats()
    assert counted.stats.requests == 0 and counted.stats.by_status == {} and counted.stats.log == []


def test_concurrent_clients(sim, dataset):
    days = [dt.date(2026, 2, d) for d in (16, 17, 18, 19, 20, 24)]
    results: dict[dt.date, list] = {}

    def fetch(day: dt.date) -> None:
        response = requests.get(
            sim.base_url + BARS, params={"date": day.isoformat()}, headers={"x-api-key": KEY}
        )
        results[day] = response.json()["data"]

    threads = [threading.Thread(target=fetch, args=(d,)) for d in days]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert all(results[d] == dataset.bars_on(d) for d in days)


# -- CLI -----------------------------------------------------------------------------------


def test_cli_settings_flag_beats_env_beats_default():
    import argparse

    parser = argparse.ArgumentParser()
    add_arguments(parser)
    env = {
        "JQUANTS_SIM_API_KEY": "from-env",
        "JQUANTS_SIM_PORT": "9999",
        "JQUANTS_SIM_RATE_LIMIT": "120",
    }
    settings = resolve(parser.parse_args(["--port", "1234", "--today", "2026-03-02"]), env)
    assert settings["api_key"] == [("from-env", None)] and settings["port"] == 1234
    assert settings["rate_limit"] == 120 and settings["today"] == TODAY
    assert resolve(parser.parse_args([]), {})["rate_limit"] == "plan"
    assert resolve(parser.parse_args(["--rate-limit", "0"]), {})["rate_limit"] == "unlimited"
    assert (
        settings["host"] == "127.0.0.1"
        and settings["plan"] == "standard"
        and settings["page_size"] == 5000
    )


def test_cli_serves_and_stops_on_sigterm():
    env = {**os.environ, "JQUANTS_SIM_API_KEY": "cli-key", "PYTHONPATH": str(ROOT)}
    process = subprocess.Popen(
        [sys.executable, "-m", "moo_markets.jquants_sim", "--port", "0", "--today", "2026-03-02"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        line = process.stdout.readline()
        match = re.fullmatch(
            r"J-Quants simulator: serving OFFLINE SAMPLE DATA \(not real market data\) at (http://127\.0\.0\.1:\d+/v2)\n",
            line,
        )
        assert match, line
        base = match.group(1)
        assert (
            requests.get(base + CALENDAR, headers={"x-api-key": "cli-key"}, timeout=10).status_code
            == 200
        )
        assert (
            requests.get(base + CALENDAR, headers={"x-api-key": KEY}, timeout=10).status_code == 403
        )
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=10) == 0
        assert "cli-key" not in process.stderr.read()
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def test_stop_closes_keep_alive_connections(make_sim, http):
    stopping = make_sim()
    assert get(http, stopping, CALENDAR).status_code == 200  # leaves a pooled keep-alive connection
    stopping.stop()
    with pytest.raises(requests.exceptions.ConnectionError):
        get(http, stopping, CALENDAR)

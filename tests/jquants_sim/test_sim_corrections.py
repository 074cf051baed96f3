"""Corrections after publication (issue 15): visible over REST and in the bulk files, whose
LastModified moves, so recheck/revision logic can find them."""

from __future__ import annotations

import datetime as dt
import gzip
from typing import Any

import pytest
import requests
from support.jquants_sim import KEYS, TODAY, Client

BARS = "/equities/bars/daily"
SUMMARY = "/fins/summary"
PAST = dt.date(2026, 10, 15)  # in a month whose bulk file is out (historical)


def files(
    client: Client, endpoint: str, first: str, last: str, plan: str = "premium"
) -> dict[str, dict]:
    response = client.get("/bulk/list", plan, endpoint=endpoint, **{"from": first, "to": last})
    assert response.status_code == 200, response.text
    return {f["Key"]: f for f in response.json()["data"]}


def file_text(client: Client, key: str, plan: str = "premium") -> str:
    url = client.get("/bulk/get", plan, key=key).json()["url"]
    return gzip.decompress(requests.get(url, timeout=60).content).decode()


def bar(client: Client, code: str, day: dt.date, plan: str = "premium") -> dict[str, Any]:
    (row,) = client.rows(BARS, plan, code=code, date=day.isoformat())
    return row


def month_key(endpoint: str, day: dt.date) -> str:
    prefix = endpoint.strip("/")
    return f"{prefix}/historical/{day:%Y}/{prefix.replace('/', '_')}_{day:%Y%m}.csv.gz"


def test_corrected_closes_show_in_rest_and_bulk(make_sim):
    sim = make_sim()
    client = Client(sim)
    before_files = files(client, BARS, "2026-09", "2026-10", "light")
    october, september = month_key(BARS, PAST), month_key(BARS, dt.date(2026, 9, 1))
    old_text = file_text(client, october, "light")
    code = "72030"
    old = bar(client, code, PAST)
    neighbour = bar(client, "67580", PAST)
    previous = bar(client, code, PAST - dt.timedelta(days=1))
    assert sim.correct_closes(PAST, [code], factor=1.05) == [code]
    new = bar(client, code, PAST)
    assert new["C"] != old["C"] and new["C"] == pytest.approx(old["C"] * 1.05, rel=0.01)
    assert new["L"] <= new["C"] <= new["H"]
    assert bar(client, "67580", PAST) == neighbour, "other issues keep their bars"
    assert bar(client, code, PAST - dt.timedelta(days=1)) == previous, "and other days too"
    valuation = client.rows("/equities/valuation", code=code, date=PAST.isoformat())[0]
    assert valuation["MktCap"] == new["MktCap"] != old["MktCap"]
    after_files = files(client, BARS, "2026-09", "2026-10", "light")
    assert after_files[october]["LastModified"] > before_files[october]["LastModified"]
    assert after_files[september] == before_files[september], "untouched months stay as they are"
    new_text = file_text(client, october, "light")
    assert new_text != old_text
    line = next(x for x in new_text.splitlines() if x.startswith(f'"{PAST}","{code}"'))
    assert f",{new['C']!r}," in line


def test_picked_closes_are_deterministic(make_sim):
    one, two = make_sim(), make_sim()
    picked = one.correct_closes(PAST, count=4)
    assert picked == two.correct_closes(PAST, count=4) and len(picked) == 4
    assert one.rows(BARS, {"date": PAST.isoformat()}) == two.rows(BARS, {"date": PAST.isoformat()})
    with pytest.raises(ValueError):
        one.correct_closes(dt.date(2026, 10, 17))  # a Saturday
    with pytest.raises(ValueError):
        one.correct_closes(TODAY + dt.timedelta(days=1))


def test_restatement_as_a_new_disclosure(make_sim):
    sim = make_sim()
    client = Client(sim)
    code = client.rows(SUMMARY, date="2026-11-13")[0]["Code"]
    history = client.rows(SUMMARY, code=code)
    latest = history[-1]
    number = sim.restate_statement(code)
    assert number != latest["DiscNo"] and number.startswith(TODAY.strftime("%Y%m%d"))
    now = client.rows(SUMMARY, code=code)
    assert now[:-1] == history, "earlier disclosures never change"
    restated = now[-1]
    assert restated["DiscNo"] == number and restated["DiscDate"] == TODAY.isoformat()
    assert (restated["CurPerType"], restated["CurPerEn"]) == (
        latest["CurPerType"],
        latest["CurPerEn"],
    )
    assert restated["RetroRst"] == "true"
    assert restated in client.rows(SUMMARY, date=TODAY.isoformat())
    details = client.rows("/fins/details", code=code)
    assert details[-1]["DiscNo"] == number and details[-1]["FS"]["Amendment flag, DEI"] == "true"
    live = f"fins/summary/live/fins_summary_{TODAY:%Y%m%d}.csv.gz"
    assert number in file_text(client, live)
    with pytest.raises(ValueError):
        sim.restate_statement("99990")


def test_restatement_in_place_moves_the_month(make_sim):
    sim = make_sim()
    client = Client(sim)
    september = month_key(SUMMARY, dt.date(2026, 9, 1))
    listed = files(client, SUMMARY, "2026-09", "2026-09")
    text = file_text(client, september)
    row = client.rows(SUMMARY, date="2026-09-14")[0]
    changed = sim.restate_statement(
        row["Code"], row["DiscNo"], in_place=True, changes={"NP": "123000000"}
    )
    assert changed == row["DiscNo"]
    again = next(r for r in client.rows(SUMMARY, date="2026-09-14") if r["DiscNo"] == row["DiscNo"])
    assert again["NP"] == "123000000" and {k: v for k, v in again.items() if k != "NP"} == {
        k: v for k, v in row.items() if k != "NP"
    }
    relisted = files(client, SUMMARY, "2026-09", "2026-09")
    assert relisted[september]["LastModified"] > listed[september]["LastModified"]
    new_text = file_text(client, september)
    assert new_text != text and '"123000000"' in new_text
    with pytest.raises(ValueError):
        sim.restate_statement(row["Code"], row["DiscNo"], in_place=True, changes={"Code": "1"})


def test_a_split_found_out_later_back_adjusts_history(make_sim):
    sim = make_sim()
    client = Client(sim)
    code = "72030"
    ex = dt.date(2026, 10, 20)
    before = client.rows(BARS, code=code, from_="2026-09-01", to=TODAY.isoformat())
    file_text(
        client, f"equities/bars/daily/live/equities_bars_daily_{TODAY:%Y%m%d}.csv.gz", "light"
    )
    listed = files(client, BARS, "2026-07", "2026-10", "light")
    text = file_text(client, month_key(BARS, dt.date(2026, 9, 1)), "light")
    assert sim.announce_split(code, ex, 0.5) == ex
    after = client.rows(BARS, code=code, from_="2026-09-01", to=TODAY.isoformat())
    old, new = {r["Date"]: r for r in before}, {r["Date"]: r for r in after}
    assert new[ex.isoformat()]["AdjFactor"] == 0.5 and new[ex.isoformat()]["ExRT"] == "1"
    for day, row in new.items():
        if day < ex.isoformat() and row["C"] is not None:
            assert row["C"] == old[day]["C"], "raw prices before the ex-date stay"
            assert row["AdjC"] == pytest.approx(old[day]["AdjC"] * 0.5, rel=1e-6)
            assert row["AdjVo"] == pytest.approx(old[day]["AdjVo"] * 2, rel=1e-6)
    relisted = files(client, BARS, "2026-07", "2026-10", "light")
    assert all(relisted[k]["LastModified"] > listed[k]["LastModified"] for k in listed), (
        "every month of the issue's history is rewritten"
    )
    assert file_text(client, month_key(BARS, dt.date(2026, 9, 1)), "light") != text
    # From the ex-date on, prices are in the new shares: later (live) files change too.
    live = f"equities/bars/daily/live/equities_bars_daily_{TODAY:%Y%m%d}.csv.gz"
    line = next(x for x in file_text(client, live, "light").splitlines() if f'"{code}"' in x)
    assert f",{new[TODAY.isoformat()]['C']!r}," in line


def test_an_announced_split_adjusts_history_on_its_ex_date(make_sim):
    sim = make_sim()
    client = Client(sim)
    code = "67580"
    ex = sim.announce_split(code, factor=0.25)
    assert ex == dt.date(2026, 12, 1)  # the next business day
    last = bar(client, code, TODAY)
    assert last["AdjC"] == last["C"], "nothing changes before the ex-date"
    listed = files(client, BARS, "2026-10", "2026-10", "light")
    sim.set_today(ex)
    moved = bar(client, code, TODAY)
    assert moved["C"] == last["C"] and moved["AdjC"] == pytest.approx(last["C"] * 0.25)
    key = month_key(BARS, dt.date(2026, 10, 1))
    assert (
        files(client, BARS, "2026-10", "2026-10", "light")[key]["LastModified"]
        > listed[key]["LastModified"]
    )


def test_bulk_month_marked_corrected(make_sim):
    sim = make_sim()
    client = Client(sim)
    key = month_key("/markets/short-ratio", dt.date(2026, 9, 1))
    before = files(client, "/markets/short-ratio", "2026-09", "2026-09")[key]
    stamp = sim.mark_bulk_corrected("/markets/short-ratio", "2026-09")
    after = files(client, "/markets/short-ratio", "2026-09", "2026-09")[key]
    assert stamp.count == 1 and after["LastModified"] > before["LastModified"]
    assert after["Size"] == before["Size"]
    with pytest.raises(ValueError):
        sim.mark_bulk_corrected("/equities/earnings-calendar", "2026-09")


# -- the control endpoints ------------------------------------------------------------------


def control(
    sim, method: str, action: str, key: str | None = KEYS["light"], **body: Any
) -> requests.Response:
    headers = {"x-api-key": key} if key else {}
    url = sim.base_url[: -len("/v2")] + "/_sim/" + action
    return requests.request(method, url, json=body or None, headers=headers, timeout=60)


def test_control_endpoints(make_sim):
    sim = make_sim()
    client = Client(sim)
    assert control(sim, "GET", "status", key=None).status_code == 403
    status = control(sim, "GET", "status").json()
    assert status["today"] == TODAY.isoformat() and status["storage_url"] == sim.storage_url
    old = bar(client, "72030", PAST)
    fixed = control(
        sim, "POST", "corrections/closes", date=PAST.isoformat(), codes=["72030"], factor=0.9
    )
    assert fixed.status_code == 200 and fixed.json() == {
        "date": PAST.isoformat(),
        "codes": ["72030"],
    }
    assert bar(client, "72030", PAST)["C"] == pytest.approx(old["C"] * 0.9, rel=0.01)
    restated = control(sim, "POST", "corrections/statement", code="7203")
    assert restated.status_code == 200
    assert restated.json()["DiscNo"] == client.rows(SUMMARY, code="7203")[-1]["DiscNo"]
    split = control(
        sim, "POST", "corrections/split", code="67580", ex_date="2026-11-02", factor=0.5
    )
    assert split.json() == {"ex_date": "2026-11-02"}
    assert bar(client, "67580", dt.date(2026, 11, 2))["AdjFactor"] == 0.5
    touched = control(sim, "POST", "bulk/touch", endpoint="/markets/short-ratio", month="2026-09")
    assert touched.json()["count"] == 1
    moved = control(sim, "POST", "today", date="2026-12-01")
    assert moved.json() == {"today": "2026-12-01"} and sim.dataset.today == dt.date(2026, 12, 1)
    queued = control(sim, "POST", "faults", kind="500", count=1)
    assert queued.status_code == 200 and client.get("/markets/calendar").status_code == 500
    bad = control(sim, "POST", "corrections/closes", date="2026-10-17")
    assert bad.status_code == 400 and "not a published business day" in bad.json()["message"]
    assert control(sim, "POST", "nope").status_code == 400
    assert control(sim, "GET", "corrections/closes").status_code == 405
    assert sim.stats.requests == 5, "control calls are not counted as API requests"
    assert all(path.startswith("/v2/") for _, path, _, _ in sim.stats.log)


def test_a_shared_bulk_cache_never_serves_another_runs_corrections(make_sim, tmp_path):
    """Files cached on disk are keyed by the corrections behind them, not just their count."""
    one = make_sim(bulk_cache_dir=str(tmp_path))
    one.correct_closes(PAST, ["72030"], factor=1.05)
    first = file_text(Client(one), month_key(BARS, PAST), "light")
    two = make_sim(bulk_cache_dir=str(tmp_path))
    two.correct_closes(PAST, ["67580"], factor=1.05)
    second = file_text(Client(two), month_key(BARS, PAST), "light")
    assert first != second and two.bulk.generated == 1
    three = make_sim(bulk_cache_dir=str(tmp_path))
    three.correct_closes(PAST, ["72030"], factor=1.05)
    assert file_text(Client(three), month_key(BARS, PAST), "light") == first
    assert three.bulk.generated == 0, "the same story reuses the cached file"

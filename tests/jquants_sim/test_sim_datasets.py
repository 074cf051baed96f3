"""Every V2 dataset the simulator serves: shapes, JSON types, parameters, consistency across
datasets and determinism (docs/jquants-datasets.md is the reference)."""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter

import pytest
from support.jquants_sim import DAY, QUERIES, STATEMENT_DAY, TODAY, Client

from moo_markets.jquants_sim import Dataset
from moo_markets.jquants_sim.derivatives import FUTURES_KEYS, OPTIONS_225_KEYS, OPTIONS_KEYS
from moo_markets.jquants_sim.endpoints import ENDPOINTS, day_rows, rows
from moo_markets.jquants_sim.fundamentals import (
    DETAILS_KEYS,
    DIVIDEND_KEYS,
    EARNINGS_CALENDAR_KEYS,
    EARNINGS_DATE_KEYS,
    SUMMARY_KEYS,
    VALUATION_KEYS,
)
from moo_markets.jquants_sim.markets import (
    BREAKDOWN_KEYS,
    INVESTOR_KEYS,
    MARGIN_ALERT_KEYS,
    MARGIN_INTEREST_KEYS,
    SHORT_RATIO_KEYS,
    SHORT_SALE_KEYS,
)

ISO = re.compile(r"^\d{4}-\d{2}-\d{2}$")
NUMBER = (int, float)


def test_every_dataset_of_issue_13_is_served():
    assert set(QUERIES) == set(ENDPOINTS)
    lowest = {path: e.plan for path, e in ENDPOINTS.items()}
    assert lowest == {
        "/equities/master": "free",
        "/equities/bars/daily": "free",
        "/markets/calendar": "free",
        "/equities/valuation": "free",
        "/fins/summary": "free",
        "/fins/earnings-date": "free",
        "/equities/earnings-calendar": "free",
        "/indices/bars/daily/topix": "light",
        "/equities/investor-types": "light",
        "/indices/bars/daily": "standard",
        "/markets/margin-interest": "standard",
        "/markets/margin-alert": "standard",
        "/markets/short-ratio": "standard",
        "/markets/short-sale-report": "standard",
        "/derivatives/bars/daily/options/225": "standard",
        "/fins/details": "premium",
        "/fins/dividend": "premium",
        "/markets/breakdown": "premium",
        "/derivatives/bars/daily/futures": "premium",
        "/derivatives/bars/daily/options": "premium",
        "/equities/bars/daily/am": "premium",
    }


@pytest.mark.parametrize("path", sorted(QUERIES))
def test_http_serves_the_dataset_rows(client: Client, sim, path):
    """Over HTTP, with the envelope, exactly what the dataset computes; every row has the
    endpoint's keys in J-Quants' order and only JSON types J-Quants sends."""
    served = client.rows(path, **QUERIES[path])
    assert served == sim.rows(path, QUERIES[path], "premium")
    if path != "/equities/earnings-calendar":
        assert served, f"{path}: expected rows for {QUERIES[path]}"
    for row in served:
        assert len(set(row)) == len(row)
        for value in row.values():
            assert value is None or isinstance(value, str | int | float | dict), (path, row)


def test_same_seed_same_rows_other_seed_other_rows(dataset):
    again, other = Dataset(seed=42, today=TODAY), Dataset(seed=43, today=TODAY)
    for path, query in QUERIES.items():
        mine = rows(dataset, path, query, "premium")
        assert rows(again, path, query, "premium") == mine, path
        if path not in ("/markets/calendar", "/equities/earnings-calendar"):
            assert rows(other, path, query, "premium") != mine, path


# -- equities ---------------------------------------------------------------------------------


def test_master_margin_fields_depend_on_the_plan(client: Client):
    for plan in ("light", "standard"):
        rows_ = client.rows("/equities/master", plan, code="7203")
        assert len(rows_) == 1
        assert ("Mrgn" in rows_[0]) == (plan == "standard")
        assert list(rows_[0])[-1] == "ProdCat"


def test_bars_fields_by_plan(client: Client):
    standard = client.rows("/equities/bars/daily", "standard", code="72030", date=DAY.isoformat())
    premium = client.rows("/equities/bars/daily", "premium", code="72030", date=DAY.isoformat())
    assert len(standard[0]) == 18 and list(standard[0])[-2:] == ["MktCap", "ExRT"]
    assert len(premium[0]) == 18 + 26
    assert {k: premium[0][k] for k in standard[0]} == standard[0]


def test_morning_session_is_the_latest_day_only(client: Client, sim, make_sim):
    am = client.rows("/equities/bars/daily/am")
    assert {r["Date"] for r in am} == {TODAY.isoformat()}
    assert tuple(am[0]) == ("Date", "Code", "MO", "MH", "ML", "MC", "MVo", "MVa")
    bars = {r["Code"]: r for r in sim.rows("/equities/bars/daily", {"date": TODAY.isoformat()})}
    assert {r["Code"] for r in am} == set(bars)
    toyota = client.rows("/equities/bars/daily/am", code="7203")
    assert len(toyota) == 1 and toyota[0]["Code"] == "72030"
    saturday = make_sim(today=dt.date(2026, 11, 28))
    answer = Client(saturday).get("/equities/bars/daily/am")
    assert answer.status_code == 210 and answer.json() == {"data": []}


def test_valuation_follows_the_bars_and_the_statements(client: Client, sim):
    day_rows_ = client.rows("/equities/valuation", date=DAY.isoformat())
    bars = {r["Code"]: r for r in sim.rows("/equities/bars/daily", {"date": DAY.isoformat()})}
    assert [r["Code"] for r in day_rows_] == list(bars)
    for row in day_rows_:
        assert tuple(row) == VALUATION_KEYS and row["Date"] == DAY.isoformat()
        assert all(row[k] is None or isinstance(row[k], float) for k in VALUATION_KEYS[2:])
        bar = bars[row["Code"]]
        if bar["C"] is not None:
            assert row["MktCap"] == bar["MktCap"]
    # A statement counts from the next business day: BPS = equity / floating shares.
    statement = client.rows("/fins/summary", date=STATEMENT_DAY.isoformat())[0]
    code = statement["Code"]
    after = sim.dataset.next_business_day(STATEMENT_DAY + dt.timedelta(days=1))
    val = client.rows("/equities/valuation", code=code, date=after.isoformat())[0]
    bar = client.rows("/equities/bars/daily", code=code, date=after.isoformat())[0]
    floating = val["MktCap"] * 1e6 / bar["C"]
    assert val["BPS"] == pytest.approx(float(statement["Eq"]) / floating, rel=0.01)


def test_investor_types_weekly_sections_and_corrections(client: Client):
    rows_ = client.rows("/equities/investor-types", from_="2025-01-01")
    assert rows_ and all(tuple(r) == INVESTOR_KEYS for r in rows_)
    assert len(INVESTOR_KEYS) == 4 + 52
    for row in rows_[:50]:
        assert all(isinstance(row[k], int) for k in INVESTOR_KEYS[4:]), row
        assert dt.date.fromisoformat(row["StDate"]) <= dt.date.fromisoformat(row["EnDate"])
        assert row["EnDate"] < row["PubDate"]
    sections = {r["Section"] for r in rows_}
    assert {"TSEPrime", "TSEStandard", "TSEGrowth"} <= sections and "TSE1st" not in sections
    # Corrections are added rows: same section and week, a later PubDate.
    weeks = Counter((r["Section"], r["StDate"], r["EnDate"]) for r in rows_)
    assert any(n > 1 for n in weeks.values())
    prime = client.rows("/equities/investor-types", section="TSEPrime", from_="2025-01-01")
    assert prime == [r for r in rows_ if r["Section"] == "TSEPrime"]
    old = client.rows("/equities/investor-types", from_="2015-01-05", to="2015-01-31")
    assert "TSE1st" in {r["Section"] for r in old}


def test_earnings_calendar_lists_the_next_business_day(make_sim):
    sim = make_sim(today=dt.date(2026, 10, 28))
    rows_ = Client(sim).rows("/equities/earnings-calendar", "free")
    assert rows_ and all(tuple(r) == EARNINGS_CALENDAR_KEYS for r in rows_)
    assert {r["Date"] for r in rows_} <= {"2026-10-29", ""}
    assert all(isinstance(v, str) for r in rows_ for v in r.values())
    assert {r["FY"] for r in rows_} <= {"3月31日", "9月30日"}
    listed = {r["Code"] for r in sim.rows("/equities/master", {"date": "2026-10-28"})}
    assert {r["Code"] for r in rows_} <= listed


# -- fins -------------------------------------------------------------------------------------


def test_summary_rows_are_strings_one_per_disclosure(client: Client, sim):
    rows_ = client.rows("/fins/summary", date=STATEMENT_DAY.isoformat())
    assert len(SUMMARY_KEYS) == 111
    listed = {r["Code"] for r in sim.rows("/equities/master", {"date": STATEMENT_DAY.isoformat()})}
    for row in rows_:
        assert tuple(row) == SUMMARY_KEYS
        assert all(isinstance(v, str) for v in row.values()), row
        assert row["DiscDate"] == STATEMENT_DAY.isoformat() and row["Code"] in listed
        assert re.fullmatch(r"\d{14}", row["DiscNo"]) and row["DiscNo"][:8] == "20261113"
        for key in ("Sales", "NP", "EPS", "Eq", "TA"):
            assert row[key] == "" or re.fullmatch(r"-?\d+(\.\d+)?", row[key]), (key, row[key])
    numbers = [r["DiscNo"] for r in rows_]
    assert numbers == sorted(numbers) and len(set(numbers)) == len(numbers)


def test_summary_history_includes_restatements(client: Client, sim):
    """Corrections (訂正) are disclosures of their own: same period, new DiscNo."""
    seen = Counter()
    restated = None
    for day in sim.dataset.business_days(dt.date(2026, 5, 1), dt.date(2026, 6, 30)):
        for row in sim.rows("/fins/summary", {"date": day.isoformat()}):
            if row["RetroRst"] == "true" and "Financial" in row["DocType"]:
                restated = row
            seen[row["DocType"]] += 1
    assert restated is not None, "expected a corrected statement in two busy months"
    history = client.rows("/fins/summary", code=restated["Code"])
    same_period = [
        r
        for r in history
        if r["CurPerEn"] == restated["CurPerEn"] and r["CurPerType"] == restated["CurPerType"]
    ]
    assert len(same_period) >= 2 and len({r["DiscNo"] for r in same_period}) == len(same_period)
    assert seen["EarnForecastRevision"] + seen["DividendForecastRevision"] > 0
    both = client.rows("/fins/summary", code=restated["Code"], date=restated["DiscDate"])
    assert restated in both


def test_details_hold_the_statements_as_objects(client: Client):
    summary = {r["DiscNo"]: r for r in client.rows("/fins/summary", date=STATEMENT_DAY.isoformat())}
    details = client.rows("/fins/details", date=STATEMENT_DAY.isoformat())
    assert details and {r["DiscNo"] for r in details} <= set(summary)
    for row in details:
        assert tuple(row) == DETAILS_KEYS and isinstance(row["FS"], dict)
        assert all(isinstance(v, str) for v in row["FS"].values())
        assert row["FS"]["Security code, DEI"] == row["Code"]
        assert row["DocType"] == summary[row["DiscNo"]]["DocType"]


def test_dividend_notices(client: Client, sim):
    rows_ = client.rows("/fins/dividend", date=STATEMENT_DAY.isoformat())
    assert rows_ and all(tuple(r) == DIVIDEND_KEYS for r in rows_)
    for row in rows_:
        assert row["PubDate"] == STATEMENT_DAY.isoformat() and re.fullmatch(
            r"\d\d:\d\d", row["PubTime"]
        )
        assert re.fullmatch(r"20261113\d1B\d{5}|202611131B\d{5}", row["RefNo"]), row["RefNo"]
        assert row["StatCode"] in ("1", "2", "3") and row["IFCode"] in ("1", "2")
        assert isinstance(row["DivRate"], float) or row["DivRate"] in ("-", "")
        assert row["ExDate"] <= row["RecDate"] or row["ExDate"] == "-"
    refs = [r["RefNo"] for r in rows_]
    assert len(set(refs)) == len(refs)
    code = rows_[0]["Code"]
    mine = client.rows("/fins/dividend", code=code, from_="2026-11-01", to="2026-11-30")
    assert [r for r in rows_ if r["Code"] == code] == [
        r for r in mine if r["PubDate"] == STATEMENT_DAY.isoformat()
    ]
    # A correction is a new notice (StatCode 2) pointing at the notice it corrects.
    may = [r for d in sim.dataset.business_days(dt.date(2026, 5, 1), dt.date(2026, 6, 30))
           for r in sim.rows("/fins/dividend", {"date": d.isoformat()})]  # fmt: skip
    refs = {r["RefNo"]: r for r in may}
    corrections = [r for r in may if r["StatCode"] == "2"]
    assert corrections
    for row in corrections:
        corrected = refs[row["CARefNo"]]
        assert corrected["Code"] == row["Code"] and corrected["PubDate"] < row["PubDate"]


def test_earnings_date_takes_exactly_one_parameter(client: Client):
    rows_ = client.rows("/fins/earnings-date", date=STATEMENT_DAY.isoformat())
    assert rows_ and all(tuple(r) == EARNINGS_DATE_KEYS for r in rows_)
    assert all(isinstance(v, str) for r in rows_ for v in r.values())
    assert {r["FQName"] for r in rows_} <= {"1Q", "2Q", "3Q", "FY"}
    code = rows_[0]["Code"]
    assert rows_[0] in client.rows("/fins/earnings-date", code=code)
    none = client.get("/fins/earnings-date")
    assert none.status_code == 400
    assert none.json()["message"] == (
        "This API requires at least 1 parameter as follows; 'code','date','scheduled_date'."
    )
    two = client.get("/fins/earnings-date", code=code, date=STATEMENT_DAY.isoformat())
    assert two.status_code == 400 and "Only one" in two.json()["message"]


# -- markets ----------------------------------------------------------------------------------


def test_margin_interest_weekly_then_daily(client: Client, sim):
    daily = client.rows("/markets/margin-interest", date=DAY.isoformat())
    assert daily and all(tuple(r) == MARGIN_INTEREST_KEYS for r in daily)
    assert {r["PubDate"] for r in daily} == {TODAY.isoformat()}  # published the next business day
    assert all(isinstance(r["ShrtVal"], float) for r in daily)
    master = {r["Code"]: r for r in sim.rows("/equities/master", {"date": DAY.isoformat()})}
    assert {r["Code"] for r in daily} <= set(master), "only listed codes"
    assert {r["IssType"] for r in daily} <= {"1", "2", "3"}
    friday = dt.date(2026, 9, 11)
    weekly = client.rows("/markets/margin-interest", date=friday.isoformat())
    assert weekly and {r["PubDate"] for r in weekly} == {None}
    assert all(r["ShrtVal"] is None for r in weekly)
    assert (
        client.rows("/markets/margin-interest", date="2026-09-10") == []
    )  # a Thursday, weekly era
    history = client.rows(
        "/markets/margin-interest", code="7203", from_="2026-09-01", to=DAY.isoformat()
    )
    dates = [r["Date"] for r in history]
    assert "2026-09-11" in dates and "2026-09-10" not in dates and DAY.isoformat() in dates


def test_margin_alerts(client: Client):
    rows_ = client.rows("/markets/margin-alert", date=DAY.isoformat())
    assert rows_ and all(tuple(r) == MARGIN_ALERT_KEYS for r in rows_)
    for row in rows_:
        assert isinstance(row["PubReason"], dict) and set(row["PubReason"].values()) <= {"0", "1"}
        assert row["ShrtOutChg"] == "-" or isinstance(row["ShrtOutChg"], float)
        assert row["ShrtOutRatio"] == "*" or isinstance(row["ShrtOutRatio"], float)
        assert row["AppDate"] < row["PubDate"]
    code = rows_[0]["Code"]
    assert rows_[0] in client.rows("/markets/margin-alert", code=code)


def test_short_ratio_by_sector(client: Client):
    rows_ = client.rows("/markets/short-ratio", date=DAY.isoformat())
    assert len(rows_) == 33 and all(tuple(r) == SHORT_RATIO_KEYS for r in rows_)
    assert all(isinstance(r["SellExShortVa"], float) for r in rows_)
    assert client.rows("/markets/short-ratio", date="2020-10-01") == []
    fishery = client.rows(
        "/markets/short-ratio", s33="0050", from_="2026-11-01", to=DAY.isoformat()
    )
    assert [r["Date"] for r in fishery] == [
        d.isoformat() for d in client.sim.dataset.business_days(dt.date(2026, 11, 1), DAY)
    ]
    error = client.get("/markets/short-ratio")
    assert error.status_code == 400
    assert (
        error.json()["message"]
        == "This API requires at least 1 parameter as follows; 'date','s33'."
    )


def test_short_sale_reports(client: Client, sim):
    rows_ = client.rows("/markets/short-sale-report", disc_date=DAY.isoformat())
    assert rows_ and all(tuple(r) == SHORT_SALE_KEYS for r in rows_)
    listed = {r["Code"] for r in sim.rows("/equities/master", {"date": DAY.isoformat()})}
    for row in rows_:
        assert row["Code"] in listed and row["CalcDate"] < row["DiscDate"]
        assert isinstance(row["ShrtPosToSO"], float) and row["ShrtPosToSO"] >= 0.005
    by_calc = client.rows("/markets/short-sale-report", calc_date=rows_[0]["CalcDate"])
    assert rows_[0] in by_calc
    error = client.get("/markets/short-sale-report")
    assert error.json()["message"] == (
        "This API requires at least 1 parameter as follows; 'code','disc_date','calc_date'."
    )
    assert client.rows("/markets/short-sale-report", disc_date="2013-11-06") == []


def test_breakdown_matches_the_bars(client: Client, sim):
    rows_ = client.rows("/markets/breakdown", date=DAY.isoformat())
    bars = {r["Code"]: r for r in sim.rows("/equities/bars/daily", {"date": DAY.isoformat()})}
    assert rows_ and all(tuple(r) == BREAKDOWN_KEYS for r in rows_)
    for row in rows_:
        bar = bars[row["Code"]]
        assert bar["Vo"] is not None, "no breakdown for an issue that did not trade"
        sells = sum(
            row[k] for k in ("LongSellVo", "ShrtNoMrgnVo", "MrgnSellNewVo", "MrgnSellCloseVo")
        )
        buys = sum(row[k] for k in ("LongBuyVo", "MrgnBuyNewVo", "MrgnBuyCloseVo"))
        assert sells == pytest.approx(bar["Vo"]) and buys == pytest.approx(bar["Vo"])
    assert client.rows("/markets/breakdown", date="2020-10-01") == []


# -- indices ----------------------------------------------------------------------------------


def test_topix_is_index_0000(client: Client):
    topix = client.rows(
        "/indices/bars/daily/topix", "light", from_="2026-10-01", to=DAY.isoformat()
    )
    index = client.rows("/indices/bars/daily", code="0000", from_="2026-10-01", to=DAY.isoformat())
    assert topix == [{k: v for k, v in r.items() if k != "Code"} for r in index]
    assert all(tuple(r) == ("Date", "O", "H", "L", "C") for r in topix)
    assert all(isinstance(r[k], float) for r in topix for k in "OHLC")


def test_indices_outage_close_only_and_retired_codes(client: Client):
    day = client.rows("/indices/bars/daily", date=DAY.isoformat())
    codes = [r["Code"] for r in day]
    assert 60 <= len(codes) <= 80 and "0000" in codes and "0001" not in codes  # 2nd section retired
    outage = {r["Code"]: r for r in client.rows("/indices/bars/daily", date="2020-10-01")}
    before = {r["Code"]: r for r in client.rows("/indices/bars/daily", date="2020-09-30")}
    for code, row in outage.items():
        assert row["O"] == row["H"] == row["L"] == row["C"] == before[code]["C"]
    close_only = client.rows(
        "/indices/bars/daily", code="0503", from_="2023-05-29", to="2023-07-10"
    )
    assert close_only[0]["O"] is None and isinstance(close_only[0]["C"], float)
    assert close_only[-1]["O"] is not None
    assert client.rows("/indices/bars/daily", code="9999") == []


# -- derivatives ------------------------------------------------------------------------------


def second_friday(year: int, month: int) -> dt.date:
    first = dt.date(year, month, 1)
    return first + dt.timedelta(days=(4 - first.weekday()) % 7 + 7)


def test_futures_contracts(client: Client):
    rows_ = client.rows("/derivatives/bars/daily/futures", date=DAY.isoformat())
    assert rows_ and all(tuple(r) == FUTURES_KEYS for r in rows_)
    cats = {r["ProdCat"] for r in rows_}
    assert {"NK225F", "TOPIXF", "NK225MF", "JGBLF"} <= cats
    for row in rows_:
        assert re.fullmatch(r"\d{4}-\d{2}", row["CM"]) and row["EmMrgnTrgDiv"] in ("001", "002")
        assert row["CCMFlag"] in ("0", "1") and row["SQD"] > DAY.isoformat()
        if row["ProdCat"] in ("NK225F", "TOPIXF"):
            year, month = map(int, row["CM"].split("-"))
            assert month in (3, 6, 9, 12)
            sq = second_friday(year, month)
            assert row["SQD"] in (sq.isoformat(), (sq - dt.timedelta(days=1)).isoformat())
    nk = client.rows("/derivatives/bars/daily/futures", date=DAY.isoformat(), category="NK225F")
    assert nk == [r for r in rows_ if r["ProdCat"] == "NK225F"]
    # Published 03:00 the next day: nothing yet for today.
    assert client.rows("/derivatives/bars/daily/futures", date=TODAY.isoformat()) == []


def test_options_strikes_and_underlyings(client: Client, sim):
    rows_ = client.rows("/derivatives/bars/daily/options", date=DAY.isoformat())
    assert rows_ and all(tuple(r) == OPTIONS_KEYS for r in rows_)
    nk = [r for r in rows_ if r["ProdCat"] == "NK225E"]
    assert nk and all(r["UndSSO"] == "-" and r["Strike"] % 125 == 0 for r in nk)
    assert all(r["PCDiv"] in ("1", "2") for r in rows_)
    untraded = [r for r in rows_ if r["Vo"] == 0]
    assert untraded and all(r["O"] == r["C"] == 0.0 for r in untraded)
    equity = [r for r in rows_ if r["ProdCat"] == "EQOP"]
    listed = {r["Code"] for r in sim.rows("/equities/master", {"date": DAY.isoformat()})}
    assert equity and {r["UndSSO"] for r in equity} <= listed
    one = client.rows(
        "/derivatives/bars/daily/options",
        date=DAY.isoformat(),
        category="EQOP",
        code=equity[0]["UndSSO"][:4],
    )
    assert one == [r for r in equity if r["UndSSO"] == equity[0]["UndSSO"]]
    n225 = client.rows("/derivatives/bars/daily/options/225", "standard", date=DAY.isoformat())
    assert n225 == [{k: r[k] for k in OPTIONS_225_KEYS} for r in nk]
    old = client.rows("/derivatives/bars/daily/options/225", date="2012-11-26")
    assert old and all(r["Theo"] == "" and r["LTD"] == "" for r in old)


# -- the bulk unit: one day ---------------------------------------------------------------------


@pytest.mark.parametrize("path", sorted(p for p, e in ENDPOINTS.items() if e.day is not None))
def test_a_day_of_a_bulk_file_is_the_rest_answer_of_that_day(dataset, path):
    query = QUERIES[path]
    if "date" not in query:
        return  # investor types / topix are checked in test_sim_bulk.py
    day = dt.date.fromisoformat(query["date"])
    assert day_rows(dataset, path, day, "premium").rows() == rows(dataset, path, query, "premium")

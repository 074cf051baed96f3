"""Keys, plans, history windows, rate limits, parameter errors and pagination of every dataset."""

from __future__ import annotations

import argparse
import datetime as dt

import pytest
import requests
from support.jquants_sim import DAY, QUERIES, STATEMENT_DAY, TODAY, Client

from moo_markets.jquants_sim import PLANS, RATE_LIMITS, SimulatorConfig, history_window
from moo_markets.jquants_sim.cli import add_arguments, build, resolve
from moo_markets.jquants_sim.endpoints import ENDPOINTS
from moo_markets.jquants_sim.plans import PLAN_RANK

NOT_IN_PLAN = (
    "This API is not available on your subscription.  "
    "If you want more data, please check other plans:https://jpx-jquants.com/#dataset"
)


def window_message(first: str, last: str = "") -> str:
    return (
        f"Your subscription covers the following dates: {first} ~ {last}. "
        "If you want more data, please check other plans:https://jpx-jquants.com/#dataset"
    )


# -- plans ------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", sorted(QUERIES))
def test_each_plan_sees_exactly_its_datasets(client: Client, path):
    lowest = ENDPOINTS[path].plan
    for plan in PLANS:
        response = client.get(path, plan, **QUERIES[path])
        if PLAN_RANK[plan] < PLAN_RANK[lowest]:
            assert response.status_code == 403, (path, plan)
            assert response.json() == {"message": NOT_IN_PLAN}
        elif plan != "free" or path in ("/equities/earnings-calendar", "/markets/calendar"):
            # (Free's window ends 12 weeks ago: its dated queries are checked below.)
            assert response.status_code in (200, 210), (path, plan, response.text)


def test_history_windows():
    assert history_window("free", TODAY).first == dt.date(2024, 9, 7)
    assert history_window("free", TODAY).last == dt.date(2026, 9, 7)  # 12 weeks ago
    assert history_window("light", TODAY).first == dt.date(2021, 11, 30)
    assert history_window("standard", TODAY).first == dt.date(2016, 11, 30)
    assert history_window("premium", TODAY).first == dt.date(2008, 5, 7)
    assert all(history_window(p, TODAY).last is None for p in ("light", "standard", "premium"))
    assert history_window("light", dt.date(2028, 2, 29)).first == dt.date(2023, 2, 28)


def test_a_date_outside_the_window_is_a_400_with_the_window(client: Client):
    cases = {
        "free": ("2024-09-06", "2026-09-08", window_message("2024-09-07", "2026-09-07")),
        "light": ("2021-11-29", None, window_message("2021-11-30")),
        "standard": ("2016-11-29", None, window_message("2016-11-30")),
        "premium": ("2008-05-02", None, window_message("2008-05-07")),
    }
    for plan, (before, after, message) in cases.items():
        for day in filter(None, (before, after)):
            response = client.get("/equities/bars/daily", plan, date=day)
            assert response.status_code == 400, (plan, day)
            assert response.json() == {"message": message}
    assert client.rows("/equities/bars/daily", "free", date="2026-09-07")  # the last day inside
    assert client.rows("/equities/bars/daily", "free", date="2024-09-09")  # first business day
    for path, name in (
        ("/fins/summary", "date"),
        ("/equities/valuation", "date"),
        ("/markets/short-sale-report", "disc_date"),
        ("/fins/earnings-date", "date"),
    ):
        response = client.get(path, "standard", **{name: "2015-01-06"})
        assert response.json() == {"message": window_message("2016-11-30")}, path


def test_ranges_are_clipped_to_the_window(client: Client):
    free = client.rows("/equities/bars/daily", "free", code="7203")
    assert free[0]["Date"] == "2024-09-09" and free[-1]["Date"] == "2026-09-07"
    light = client.rows("/equities/bars/daily", "light", code="7203", from_="2020-01-01")
    assert light[0]["Date"] == "2021-11-30" and light[-1]["Date"] == TODAY.isoformat()
    outside = client.get(
        "/equities/bars/daily", "light", code="7203", from_="2019-01-01", to="2020-01-01"
    )
    assert outside.status_code == 400
    summary = client.rows("/fins/summary", "free", code="7203")
    assert summary and all("2024-09-07" <= r["DiscDate"] <= "2026-09-07" for r in summary)
    calendar = client.rows("/markets/calendar", "free")
    assert calendar[0]["Date"] == "2024-09-07" and calendar[-1]["Date"] == "2026-09-07"
    paid = client.rows("/markets/calendar", "light")
    assert paid[0]["Date"] == "2021-11-30" and paid[-1]["Date"] == "2027-12-31"


# -- keys -------------------------------------------------------------------------------------


def test_invalid_keys_and_unknown_paths(client: Client, sim):
    for headers in ({}, {"x-api-key": "nope"}):
        response = requests.get(sim.base_url + "/fins/summary", headers=headers, timeout=10)
        assert response.status_code == 403
        assert response.json() == {"message": "The incoming api key is invalid or expired."}
    for path in ("/fins/statements", "/v1/listed/info", "/fins/summary/"):
        response = client.get(path)
        assert response.status_code == 403
        assert response.json()["message"].startswith("The requested endpoint does not exist.")


def test_cli_keys_with_plans():
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    args = parser.parse_args(
        ["--api-key", "a:free", "--api-key", "b:premium", "--api-key", "c", "--plan", "light"]
    )
    sim = build(resolve(args, {}))
    assert sim.config.keys() == {"a": "free", "b": "premium", "c": "light"}
    assert sim.config.rate_limit("free") == 5 and sim.config.rate_limit("premium") == 500
    env = resolve(parser.parse_args([]), {"JQUANTS_SIM_API_KEY": "x:standard,y"})
    assert build(env).config.keys() == {"x": "standard", "y": "standard"}
    with sim:
        answer = requests.get(
            sim.base_url + "/fins/details",
            params={"code": "7203"},
            headers={"x-api-key": "c"},
            timeout=10,
        )
        assert answer.status_code == 403 and answer.json() == {"message": NOT_IN_PLAN}
        answer = requests.get(
            sim.base_url + "/fins/details",
            params={"code": "7203"},
            headers={"x-api-key": "b"},
            timeout=60,
        )
        assert answer.status_code == 200


def test_config_validation():
    with pytest.raises(ValueError):
        SimulatorConfig()
    with pytest.raises(ValueError):
        SimulatorConfig(api_keys={"k": "gold"})
    with pytest.raises(ValueError):
        SimulatorConfig(api_key="k", rate_limit_per_minute=0)
    assert SimulatorConfig(api_key="k").rate_limit("standard") == 120
    assert SimulatorConfig(api_key="k", rate_limit_per_minute=None).rate_limit("free") is None
    assert RATE_LIMITS == {"free": 5, "light": 60, "standard": 120, "premium": 500}


# -- rate limits ------------------------------------------------------------------------------


def test_each_key_gets_its_plans_rate_limit(make_sim):
    sim = make_sim(rate_limit_per_minute="plan", rate_window_seconds=2.0, lockout_seconds=60)
    client = Client(sim)
    free = [client.get("/markets/calendar", "free").status_code for _ in range(6)]
    assert free == [200] * 5 + [429]
    assert client.get("/markets/calendar", "free").json() == {"message": "Rate limit exceeded"}
    light = [client.get("/markets/calendar", "light").status_code for _ in range(20)]
    assert light == [200] * 20, "another key has its own budget"
    assert sim.stats.by_status == {200: 25, 429: 2}


def test_unlimited_is_unlimited(client: Client):
    assert [client.get("/markets/calendar", "free").status_code for _ in range(12)] == [200] * 12


# -- parameters -------------------------------------------------------------------------------

REQUIRED = {
    "/equities/bars/daily": "'date','code'",
    "/equities/valuation": "'date','code'",
    "/fins/summary": "'date','code'",
    "/fins/details": "'date','code'",
    "/fins/dividend": "'date','code'",
    "/markets/margin-interest": "'date','code'",
    "/markets/margin-alert": "'date','code'",
    "/markets/breakdown": "'date','code'",
    "/indices/bars/daily": "'date','code'",
    "/markets/short-ratio": "'date','s33'",
    "/markets/short-sale-report": "'code','disc_date','calc_date'",
    "/derivatives/bars/daily/futures": "'date'",
    "/derivatives/bars/daily/options": "'date'",
    "/derivatives/bars/daily/options/225": "'date'",
}


@pytest.mark.parametrize("path", sorted(REQUIRED))
def test_missing_parameters_are_400(client: Client, path):
    response = client.get(path)
    assert response.status_code == 400
    assert response.json() == {
        "message": f"This API requires at least 1 parameter as follows; {REQUIRED[path]}."
    }


@pytest.mark.parametrize(
    "path,params",
    [
        ("/equities/bars/daily", {"date": "2026-02-30"}),
        ("/equities/bars/daily", {"date": "27/11/2026"}),
        ("/equities/bars/daily", {"code": "72", "date": DAY.isoformat()}),
        ("/fins/summary", {"date": "yesterday"}),
        ("/markets/calendar", {"hol_div": "9"}),
        ("/equities/investor-types", {"from": "2026-13-01"}),
        ("/derivatives/bars/daily/options", {"date": "20261127x"}),
    ],
)
def test_bad_parameters_are_400(client: Client, path, params):
    response = client.get(path, **params)
    assert response.status_code == 400 and set(response.json()) == {"message"}


def test_dates_in_both_formats(client: Client):
    for path in ("/fins/summary", "/markets/short-ratio", "/indices/bars/daily"):
        compact = client.rows(
            path, date=DAY.strftime("%Y%m%d") if path != "/fins/summary" else "20261113"
        )
        dashed = client.rows(
            path, date=DAY.isoformat() if path != "/fins/summary" else STATEMENT_DAY.isoformat()
        )
        assert compact == dashed and compact


def test_empty_answers(client: Client):
    assert client.get("/fins/summary", date="2026-11-28").json() == {"data": []}  # Saturday
    assert client.get("/equities/valuation", code="99990").json() == {"data": []}
    assert client.get("/markets/margin-interest", date="2026-11-28").json() == {"data": []}
    assert client.get("/derivatives/bars/daily/options", date="2026-11-29").json() == {"data": []}


# -- pagination -------------------------------------------------------------------------------


def test_pagination_of_every_large_answer(make_sim):
    sim = make_sim(page_size=700)
    client = Client(sim)
    for path, query in (
        ("/equities/valuation", {"date": DAY.isoformat()}),
        ("/markets/margin-interest", {"date": DAY.isoformat()}),
        ("/derivatives/bars/daily/options", {"date": DAY.isoformat()}),
        ("/fins/summary", {"code": "7203"}),
        ("/equities/master", {"date": DAY.isoformat()}),
    ):
        first = client.get(path, **query).json()
        whole = sim.rows(path, query, "premium")
        if len(whole) > 700:
            assert list(first) == ["data", "pagination_key"] and len(first["data"]) == 700
        assert client.rows(path, **query) == whole, path
    first = client.get("/equities/valuation", date=DAY.isoformat()).json()
    foreign = client.get(
        "/equities/valuation", date="2026-11-26", pagination_key=first["pagination_key"]
    )
    assert foreign.status_code == 400
    other_plan = client.get(
        "/markets/margin-interest", "standard", date=DAY.isoformat(), pagination_key="x"
    )
    assert other_plan.status_code == 400

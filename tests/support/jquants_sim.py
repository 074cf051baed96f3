"""What the simulator's tests share besides fixtures: its clock, keys, queries and a client.

Imported by module path (``support.jquants_sim``), never as ``conftest``: several
``conftest.py`` files exist and only one can be the module named ``conftest``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import requests

from moo_markets.jquants_sim import JQuantsSimulator, SimulatorConfig

SIM_API_KEY = "sim-test-key-not-a-secret"
"""The key of the session's simulator (tests/conftest.py)."""

TODAY = dt.date(2026, 11, 30)  # a Monday, after margin interest went daily (2026-09-25)
DAY = dt.date(2026, 11, 27)  # the Friday before
STATEMENT_DAY = dt.date(2026, 11, 13)  # a busy day of 2Q statements
KEYS = {
    "free": "sim-free-key",
    "light": "sim-light-key",
    "standard": "sim-standard-key",
    "premium": "sim-premium-key",
}

# One valid query per endpoint (the simulator's today is TODAY; any plan that has it).
QUERIES: dict[str, dict[str, str]] = {
    "/equities/master": {"date": DAY.isoformat()},
    "/equities/bars/daily": {"date": DAY.isoformat()},
    "/equities/bars/daily/am": {},
    "/equities/valuation": {"date": DAY.isoformat()},
    "/equities/investor-types": {"from": "2026-10-01"},
    "/equities/earnings-calendar": {},
    "/fins/summary": {"date": STATEMENT_DAY.isoformat()},
    "/fins/details": {"date": STATEMENT_DAY.isoformat()},
    "/fins/dividend": {"date": STATEMENT_DAY.isoformat()},
    "/fins/earnings-date": {"date": STATEMENT_DAY.isoformat()},
    "/markets/calendar": {"from": "2026-01-01", "to": "2026-12-31"},
    "/markets/margin-interest": {"date": DAY.isoformat()},
    "/markets/margin-alert": {"date": DAY.isoformat()},
    "/markets/short-ratio": {"date": DAY.isoformat()},
    "/markets/short-sale-report": {"disc_date": DAY.isoformat()},
    "/markets/breakdown": {"date": DAY.isoformat()},
    "/indices/bars/daily/topix": {"from": "2026-11-01"},
    "/indices/bars/daily": {"date": DAY.isoformat()},
    "/derivatives/bars/daily/options/225": {"date": DAY.isoformat()},
    "/derivatives/bars/daily/futures": {"date": DAY.isoformat()},
    "/derivatives/bars/daily/options": {"date": DAY.isoformat()},
}


class Client:
    """requests against one simulator, with the key of a plan."""

    def __init__(self, sim: JQuantsSimulator) -> None:
        self.sim = sim
        self.session = requests.Session()

    def get(self, path: str, plan: str = "premium", **params: Any) -> requests.Response:
        params = {k.rstrip("_"): v for k, v in params.items()}  # from_ -> from
        return self.session.get(
            self.sim.base_url + path,
            params=params,
            headers={"x-api-key": KEYS[plan]},
            timeout=60,
        )

    def rows(self, path: str, plan: str = "premium", **params: Any) -> list[dict[str, Any]]:
        """Every page of a 200 answer."""
        out: list[dict[str, Any]] = []
        query = dict(params)
        while True:
            response = self.get(path, plan, **query)
            assert response.status_code == 200, (path, params, response.text)
            body = response.json()
            assert set(body) <= {"data", "pagination_key"}
            out += body["data"]
            if not body.get("pagination_key"):
                return out
            query = {**params, "pagination_key": body["pagination_key"]}


def config(**settings: Any) -> SimulatorConfig:
    settings.setdefault("today", TODAY)
    settings.setdefault("rate_limit_per_minute", None)
    settings.setdefault("api_keys", {key: plan for plan, key in KEYS.items()})
    return SimulatorConfig(**settings)

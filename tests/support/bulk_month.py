"""One month (2026-10) of a declared dataset, from its bulk file and from REST, for the
bulk loader tests: the same simulator client, file lookup and REST reference in each."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from moo_markets.jquants import ClientSettings, JQuantsClient
from moo_markets.jquants.pacing import Pacer
from moo_markets.warehouse import get_engine
from moo_markets.warehouse.bulk_files import date_column
from moo_markets.warehouse.schema import DATASET_TABLES
from support.jquants_sim import SIM_API_KEY

MONTH = dt.date(2026, 10, 1)
LAST = dt.date(2026, 10, 31)


def client(sim) -> JQuantsClient:
    settings = ClientSettings(base_url=sim.base_url, requests_per_minute=60_000, max_attempts=2)
    return JQuantsClient(SIM_API_KEY, settings, pacer=Pacer(60_000))


def month_file(c: JQuantsClient, path: str):
    (file,) = [f for f in c.bulk_list(path, "2026-10", "2026-10") if f.month == MONTH]
    return file


def rest_records(sim, spec) -> list[dict]:
    """The month as the REST path stores it: the spec's conversion of each day's answer."""
    records = []
    for day in sim.dataset.business_days(MONTH, LAST):
        params = spec.query(day.isoformat()).params if spec.partitioned else {}
        params = params or {"date": day.isoformat()}
        records += spec.records(sim.rows(spec.path, params, "premium"))
    return records


def stored_as_text(url: str, spec) -> list[tuple]:
    """The month's rows with every value as PostgreSQL prints it (JSON as its stored text)."""
    table = DATASET_TABLES[spec.name]
    with get_engine(url).connect() as connection:
        rows = connection.execute(
            sa.select(*(sa.cast(c, sa.Text) for c in table.columns))
            .where(table.c[date_column(spec)].between(MONTH, LAST))
            .order_by(*(table.c[k] for k in spec.key_columns))
        )
        return [tuple(r) for r in rows]

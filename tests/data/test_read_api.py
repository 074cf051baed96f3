"""The read API (``moo_markets.data``) on SQLite and PostgreSQL: types, filters, snapshots.

Rows are written the way the pipeline writes them (``warehouse.bulk``: COPY on
PostgreSQL, executemany on SQLite, J-Quants' JSON numbers as floats), so
SQLite holds whole prices as INTEGER and the others as REAL, as in production.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pandas as pd
import polars as pl
import pyarrow as pa
import pytest
import sqlalchemy as sa
from support.warehouse_rows import bar, write

from moo_markets import data
from moo_markets.core.time import JST
from moo_markets.warehouse.engine import get_engine
from moo_markets.warehouse.schema import DATASET_TABLES

D1, D2 = dt.date(2025, 6, 2), dt.date(2025, 6, 3)


@pytest.fixture
def bars_url(warehouse_url: str) -> str:
    write(
        warehouse_url,
        "daily_bars",
        [
            bar(D1, "72030", 2585.0),  # whole: stored as INTEGER on SQLite
            bar(D1, "130A0", 2585.5, 0.5),  # 0.5 split factor: the issue's truncation case
            bar(D2, "72030", 2600.0),
            bar(D2, "130A0", 1290.25),
        ],
    )
    return warehouse_url


def test_bars_types_and_values(bars_url: str) -> None:
    frame = data.bars(start=D1, end=D2, adjusted=False, url=bars_url)
    assert list(frame.columns) == [
        "date",
        "code",
        "open",
        "high",
        "low",
        "close",
        "volume",
        "turnover_value",
        "adjustment_factor",
        "upper_limit",
        "lower_limit",
    ]
    assert frame["date"].dtype == pd.ArrowDtype(pa.date32())
    assert frame["close"].dtype == "float64"
    assert frame["volume"].dtype == "Int64"
    assert frame["turnover_value"].dtype == "Int64"
    assert frame["date"].tolist() == [D1, D1, D2, D2]
    assert frame["code"].tolist() == ["130A0", "72030", "130A0", "72030"]
    assert frame["close"].tolist() == [2585.5, 2585.0, 1290.25, 2600.0]
    assert frame["adjustment_factor"].tolist() == [0.5, 1.0, 1.0, 1.0]
    assert frame["turnover_value"].tolist() == [2**53 + 1] * 4


def test_bars_adjusted_filters_and_polars(bars_url: str) -> None:
    frame = data.bars("130A0", start=D1, end=D1, url=bars_url, output="polars")
    assert isinstance(frame, pl.DataFrame)
    assert frame.schema["date"] == pl.Date
    assert frame.schema["close"] == pl.Float64
    assert frame.to_dicts()[0]["close"] == 2585.5 * 0.5
    assert frame.to_dicts()[0]["volume"] == 2000.0  # adjusted volume: 1000 / 0.5

    exact = data.bars(["72030", "130A0"], start=D2, url=bars_url, exact=True, output="polars")
    assert exact.schema["close"] == pl.Decimal(20, 6)
    assert exact["close"].to_list() == [Decimal("1290.25"), Decimal("2600")]


def test_generated_readers_exist_for_every_other_dataset() -> None:
    for name in data.dataset_names():
        if name in ("daily_bars", "listed_companies", "fins_summary"):
            continue
        reader = getattr(data, name)
        assert reader.__name__ == name and name in data.__all__
        assert "/" in reader.__doc__  # documented from its spec (J-Quants path)


def test_a_spec_dataset_reads_typed(warehouse_url: str) -> None:
    write(
        warehouse_url,
        "valuation",
        [
            {
                "date": D1,
                "code": "72030",
                "eps": 120.5,
                "roe": 0.1234567891,
                "per": 15.0,
                "market_cap_million_yen": 123456789012.5,
            },
        ],
    )
    frame = data.valuation(start=D1, end=D1, url=warehouse_url, exact=True)
    row = frame.iloc[0]
    assert row["eps"] == Decimal("120.5")
    assert row["roe"] == Decimal("0.1234567891")
    assert row["per"] == Decimal("15")
    assert row["market_cap_million_yen"] == Decimal("123456789012.5")
    assert pd.isna(row["bps"])
    assert data.valuation(start=D2, url=warehouse_url).empty
    with pytest.raises(TypeError, match="no code column"):
        data.topix("72030", url=warehouse_url)
    with pytest.raises(KeyError, match="unknown dataset"):
        data.read("nope", url=warehouse_url)


def listed_row(day: dt.date, code: str, name: str) -> dict:
    return {"date": day, "code": code, "company_name": name, "market_code": "0111"}


def test_listed_and_universe_keep_issues_delisted_since(bars_url: str) -> None:
    write(
        bars_url,
        "listed_companies",
        [
            listed_row(D1, "72030", "Toyota"),
            listed_row(D1, "99990", "Gone Later"),
            listed_row(D2, "72030", "Toyota"),
        ],
    )
    on_d1 = data.listed(D1, url=bars_url)
    assert on_d1["code"].tolist() == ["72030", "99990"]
    assert data.listed("2025-06-04", url=bars_url)["code"].tolist() == ["72030"]  # latest ≤ day
    assert data.listed("2025-06-01", url=bars_url).empty

    universe = data.universe(D1, url=bars_url)
    # 99990 delisted since (absent from the D2 snapshot) still belongs to D1's universe;
    # 130A0 traded on D1 but was missing from the snapshot: it is listed, its names NULL.
    assert universe["code"].tolist() == ["130A0", "72030", "99990"]
    assert universe["has_bar"].tolist() == [True, True, False]
    assert pd.isna(universe["company_name"].iloc[0])
    assert universe["company_name"].iloc[1] == "Toyota"


def statement(day: dt.date, time: str | None, number: str, eps: str) -> dict:
    return {
        "disc_date": day,
        "disc_time": time,
        "code": "72030",
        "disc_no": number,
        "eps": eps,
        "sh_out_fy": 15_794_987_460,
    }


def test_statements_as_of_uses_disclosure_date_and_time(warehouse_url: str) -> None:
    spec_columns = DATASET_TABLES["fins_summary"].c
    assert "disc_time" in spec_columns
    rows = [
        statement(D1, "15:00:00", "1", "100.25"),
        statement(D2, "13:30:00", "2", "101.5"),
        statement(D2, None, "3", "99"),
    ]
    write(warehouse_url, "fins_summary", rows, loaded_at=dt.datetime(2025, 6, 1, tzinfo=JST))

    everything = data.statements(url=warehouse_url)
    assert everything["disc_no"].tolist() == ["1", "2", "3"]
    assert everything["disclosed_at"].dtype == "datetime64[us, Asia/Tokyo]"
    assert everything["disclosed_at"].iloc[0] == pd.Timestamp("2025-06-02 15:00", tz="Asia/Tokyo")
    assert everything["sh_out_fy"].tolist() == [15_794_987_460] * 3

    moment = dt.datetime(2025, 6, 3, 13, 30, tzinfo=JST)
    known = data.statements(as_of=moment, url=warehouse_url, exact=True)
    assert known["disc_no"].tolist() == ["1", "2"]  # 3 has no time: not yet on its day
    assert known["eps"].tolist() == [Decimal("100.25"), Decimal("101.5")]
    earlier = data.statements(as_of=moment - dt.timedelta(seconds=1), url=warehouse_url)
    assert earlier["disc_no"].tolist() == ["1"]
    # The same moment given in UTC is the same moment.
    utc = data.statements(as_of=moment.astimezone(dt.UTC), url=warehouse_url)
    assert utc["disc_no"].tolist() == ["1", "2"]
    with pytest.raises(ValueError, match="aware"):
        data.statements(as_of=dt.datetime(2025, 6, 3), url=warehouse_url)


def sample(column: sa.Column):  # noqa: ANN201
    kind = column.type
    if isinstance(kind, sa.Integer):
        return 2**40 + 3
    if isinstance(kind, sa.Numeric):
        return Decimal("1.5")
    if isinstance(kind, sa.DateTime):
        return dt.datetime(2025, 6, 2, 15, 0, tzinfo=JST)
    if isinstance(kind, sa.Date):
        return D1
    if isinstance(kind, sa.Time):
        return dt.time(15, 0, 30)
    if isinstance(kind, sa.Boolean):
        return True
    if isinstance(kind, sa.JSON):
        return {"NetSales": "100", "nested": [1, 2]}
    return "X" * min(kind.length or 5, 5)


@pytest.mark.parametrize("dataset", data.dataset_names())
def test_every_dataset_round_trips_every_column(warehouse_url: str, dataset: str) -> None:
    """One row with every column set, written as the generic ingest writes (SQLAlchemy),
    read back by the dataset's reader with its types, in pandas and polars."""
    import json

    table = DATASET_TABLES[dataset]
    row = {c.name: sample(c) for c in table.columns}
    with get_engine(warehouse_url).begin() as connection:
        connection.execute(sa.insert(table), [row])
    reader = getattr(
        data,
        {"daily_bars": "read", "listed_companies": "read", "fins_summary": "read"}.get(
            dataset, dataset
        ),
    )
    args = (dataset,) if reader is data.read else ()
    for output in ("pandas", "polars"):
        frame = reader(*args, url=warehouse_url, exact=True, output=output)
        got = frame.to_dicts()[0] if output == "polars" else frame.iloc[0].to_dict()
        for name, want in row.items():
            value = got[name]
            if isinstance(want, dict):
                assert json.loads(value) == want, name
            else:
                assert value == want and type(value) is type(want), (output, name, value)


def test_a_long_range_is_read_in_parallel_parts_in_order(warehouse_url: str) -> None:
    """A year is split into consecutive date ranges (parallel on PostgreSQL); the result is
    the same rows in the same order as one read, nothing lost at the part boundaries."""
    from moo_markets.data.api import _chunks
    from moo_markets.datasets.registry import find

    first, last = dt.date(2025, 1, 1), dt.date(2025, 12, 31)
    days = [first + dt.timedelta(days=n) for n in range(0, 365, 3)] + [last]
    write(warehouse_url, "daily_bars", [bar(d, c, 100.5) for d in days for c in ("13010", "72030")])
    assert len(_chunks(find("daily_bars"), first, last)) == 4
    parted = data.read("daily_bars", start=first, end=last, url=warehouse_url)
    whole = data.read("daily_bars", url=warehouse_url)
    assert len(parted) == len(days) * 2
    assert (
        parted["date"].tolist() == whole["date"].tolist() == sorted(d for d in days for _ in "ab")
    )
    assert parted["code"].tolist() == whole["code"].tolist()
    bars = data.bars(start=first, end=last, url=warehouse_url)
    assert bars["date"].tolist() == parted["date"].tolist()


def test_a_failed_postgres_connection_never_shows_the_password(postgres_url: str) -> None:
    from moo_markets.warehouse.engine import WarehouseConfigError

    url = sa.engine.make_url(postgres_url).set(
        username="nobody_here", password="s3cret-pw", database="no_such_db_readapi"
    )
    with pytest.raises(WarehouseConfigError) as caught:
        data.bars(start=D1, url=url.render_as_string(hide_password=False))
    assert "s3cret-pw" not in str(caught.value)
    assert "***" in str(caught.value)

"""Every numeric column of ``daily_bars`` and of a spec dataset (``fins_summary``) is read
exactly by pandas, polars and DuckDB, on SQLite and PostgreSQL.

The values are the ones that break type inference: a whole number first (SQLite
stores it as INTEGER, so a reader inferring from the first rows picks an integer
type), then 2585.5, a 0.5 split factor, the smallest step of each scale, and
integers beyond 2**53. Bars are written as the pipeline writes them (JSON floats
through ``warehouse.bulk``), statements as ``Decimal`` through SQLAlchemy (the
generic ingest).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import duckdb
import pandas as pd
import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import sqlalchemy as sa
from support.warehouse_rows import bar, write

from moo_markets import data
from moo_markets.data.export import export
from moo_markets.data.schema import is_decimal
from moo_markets.warehouse import bulk
from moo_markets.warehouse.engine import get_engine
from moo_markets.warehouse.schema import DATASET_TABLES

DAY = dt.date(2025, 6, 2)


def samples(column: sa.Column) -> list:
    """Four values of the column's type, the whole number first."""
    if isinstance(column.type, sa.Integer):
        return [1000, 2**53 + 1, 2**62 + 7, 0]
    scale = column.type.scale
    smallest = Decimal(1).scaleb(-scale)  # 0.000001 for prices, 1E-10 for ratios
    wide = {6: Decimal("12345678.123456"), 10: Decimal("12345.1234567891")}[scale]
    return [Decimal("2585"), Decimal("2585.5"), smallest, wide]


def numeric_columns(dataset: str) -> list[sa.Column]:
    table = DATASET_TABLES[dataset]
    return [c for c in table.columns if is_decimal(c.type) or isinstance(c.type, sa.BigInteger)]


def expected(dataset: str) -> dict[str, list]:
    return {c.name: samples(c) for c in numeric_columns(dataset)}


def write_bars(url: str) -> None:
    engine = get_engine(url)
    values = expected("daily_bars")
    if "adjustment_factor" in values:  # the case: 0.5 split factors
        values["adjustment_factor"] = [
            Decimal("1"),
            Decimal("0.5"),
            Decimal("1E-10"),
            Decimal("0.3333333333"),
        ]
    columns = ("date", "code", *values)
    rows = [
        [(DAY + dt.timedelta(days=i)).isoformat(), "72030"]
        + [float(v[i]) if isinstance(v[i], Decimal) else v[i] for v in values.values()]
        for i in range(4)
    ]
    with engine.begin() as connection:
        bulk.insert_rows(connection, bulk.prepare(columns, rows, engine.dialect.name), "daily_bars")


def write_statements(url: str) -> None:
    values = expected("fins_summary")
    rows = [
        {
            "disc_date": DAY + dt.timedelta(days=i),
            "disc_time": dt.time(15, 0),
            "code": "72030",
            "disc_no": str(i),
            **{name: v[i] for name, v in values.items()},
        }
        for i in range(4)
    ]
    with get_engine(url).begin() as connection:
        connection.execute(sa.insert(DATASET_TABLES["fins_summary"]), rows)


def truth(dataset: str) -> dict[str, list]:
    values = expected(dataset)
    if dataset == "daily_bars":
        values["adjustment_factor"] = [
            Decimal("1"),
            Decimal("0.5"),
            Decimal("1E-10"),
            Decimal("0.3333333333"),
        ]
    return values


@pytest.fixture
def written(warehouse_url: str) -> str:
    write_bars(warehouse_url)
    write_statements(warehouse_url)
    return warehouse_url


DATASETS = ["daily_bars", "fins_summary"]


def check(dataset: str, frame_values: dict[str, list], *, exact: bool) -> None:
    for name, values in truth(dataset).items():
        got = frame_values[name]
        if isinstance(values[0], int) or exact:
            want = values
        else:
            want = [float(v) for v in values]
        assert got == want, f"{dataset}.{name}: {got} != {want}"
        if exact and isinstance(values[0], Decimal):
            assert all(isinstance(v, Decimal) for v in got), name


@pytest.mark.parametrize("dataset", DATASETS)
def test_pandas_reads_every_numeric_column_exactly(written: str, dataset: str) -> None:
    for exact in (False, True):
        frame = data.read(dataset, url=written, exact=exact)
        assert isinstance(frame, pd.DataFrame) and len(frame) == 4
        check(dataset, {c: frame[c].tolist() for c in frame.columns}, exact=exact)
        assert frame["sh_out_fy" if dataset == "fins_summary" else "volume"].dtype == "Int64"


@pytest.mark.parametrize("dataset", DATASETS)
def test_polars_reads_every_numeric_column_exactly(written: str, dataset: str) -> None:
    for exact in (False, True):
        frame = data.read(dataset, url=written, exact=exact, output="polars")
        assert isinstance(frame, pl.DataFrame)
        check(dataset, {c: frame[c].to_list() for c in frame.columns}, exact=exact)


@pytest.mark.parametrize("dataset", DATASETS)
def test_polars_read_database_with_the_documented_schema(written: str, dataset: str) -> None:
    """Raw SQL through polars, as the README shows: the schema overrides stop the
    first-rows inference that turns 2585.5 into 2585 and 0.5 into 0."""
    table = DATASET_TABLES[dataset]
    columns = [c.name for c in numeric_columns(dataset)]
    # Untyped columns: the driver's own values, as `select close, ... from daily_bars` gives.
    query = (
        sa.select(*(sa.column(c) for c in columns))
        .select_from(sa.table(dataset))
        .order_by(*(sa.column(c.name) for c in table.primary_key.columns))
    )
    overrides = {c: t for c, t in data.polars_schema(dataset).items() if c in columns}
    with get_engine(written).connect() as connection:
        frame = pl.read_database(query, connection, schema_overrides=overrides)
    check(dataset, {c: frame[c].to_list() for c in frame.columns}, exact=False)


def test_parquet_csv_and_duckdb_exports_are_exact(written: str, tmp_path: Path) -> None:
    export(DATASETS, "parquet", tmp_path / "parquet", url=written)
    export(DATASETS, "duckdb", tmp_path / "warehouse.duckdb", url=written)
    export(["daily_bars"], "csv", tmp_path / "bars.csv", url=written)
    with duckdb.connect(str(tmp_path / "warehouse.duckdb"), read_only=True) as connection:
        for dataset in DATASETS:
            parquet = pq.read_table(tmp_path / "parquet" / f"{dataset}.parquet")
            for column in numeric_columns(dataset):
                field = parquet.schema.field(column.name)
                if is_decimal(column.type):
                    assert field.type == pa.decimal128(column.type.precision, column.type.scale)
                else:
                    assert field.type == pa.int64()
            check(dataset, parquet.to_pydict(), exact=True)
            polars_frame = pl.read_parquet(tmp_path / "parquet" / f"{dataset}.parquet")
            check(dataset, {c: polars_frame[c].to_list() for c in polars_frame.columns}, exact=True)

            relation = connection.table(dataset).order(
                ", ".join(DATASET_TABLES[dataset].primary_key.columns.keys())
            )
            types = dict(zip(relation.columns, (str(t) for t in relation.types), strict=True))
            assert types["date" if dataset == "daily_bars" else "disc_date"] == "DATE"
            for column in numeric_columns(dataset):
                want = (
                    f"DECIMAL({column.type.precision},{column.type.scale})"
                    if is_decimal(column.type)
                    else "BIGINT"
                )
                assert types[column.name] == want, column.name
            rows = relation.fetchall()
            check(
                dataset,
                {c: [r[i] for r in rows] for i, c in enumerate(relation.columns)},
                exact=True,
            )
    text = pd.read_csv(tmp_path / "bars.csv", dtype=str)  # the exact decimal text, at scale
    assert text["close"].tolist() == ["2585.000000", "2585.500000", "0.000001", "12345678.123456"]
    assert text["adjustment_factor"].tolist()[1] == "0.5000000000"
    check("daily_bars", {c: [Decimal(v) for v in text[c]] for c in truth("daily_bars")}, exact=True)


def test_readers_do_not_infer_types_from_the_first_rows(warehouse_url: str) -> None:
    """The issue's case: hundreds of whole prices first (INTEGER on SQLite), then 2585.5 and
    a 0.5 factor: polars' own inference would read i64 and truncate both."""
    rows = [bar(DAY, f"{1000 + i}0", 2585.0) for i in range(200)]
    rows.append(bar(DAY + dt.timedelta(days=1), "72030", 2585.5, 0.5))
    write(warehouse_url, "daily_bars", rows)
    names = ("close", "adjustment_factor")
    query = (
        sa.select(*(sa.column(c) for c in names))
        .select_from(sa.table("daily_bars"))
        .order_by(sa.column("date"), sa.column("code"))
    )
    overrides = {c: t for c, t in data.polars_schema("daily_bars").items() if c in names}
    with get_engine(warehouse_url).connect() as connection:
        raw = pl.read_database(query, connection, schema_overrides=overrides)
    api = data.bars(start=DAY, adjusted=False, url=warehouse_url, output="polars")
    for frame in (raw, api):
        assert frame["close"].to_list()[-1] == 2585.5
        assert frame["adjustment_factor"].to_list()[-1] == 0.5
    with duckdb.connect() as connection:
        exact = data.read("daily_bars", url=warehouse_url, exact=True, output="arrow")
        last = connection.from_arrow(exact).order("date DESC").limit(1).fetchall()[0]
        assert last[exact.column_names.index("close")] == Decimal("2585.5")

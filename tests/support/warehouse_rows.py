"""Warehouse rows written the way the pipeline writes them, for read-side tests."""

from __future__ import annotations

import datetime as dt

from moo_markets.warehouse import bulk
from moo_markets.warehouse.engine import get_engine
from moo_markets.warehouse.schema import DATASET_TABLES


def write(url: str, dataset: str, rows: list[dict]) -> None:
    """Rows as the pipeline writes them: JSON types through ``bulk`` (COPY / executemany)."""
    engine = get_engine(url)
    columns = tuple(rows[0])
    values = [
        [v.isoformat() if isinstance(v, (dt.date, dt.time)) else v for v in row.values()]
        for row in rows
    ]
    with engine.begin() as connection:
        prepared = bulk.prepare(columns, values, engine.dialect.name)
        bulk.insert_rows(connection, prepared, DATASET_TABLES[dataset].name)


def bar(day: dt.date, code: str, close: float, factor: float = 1.0, **extra) -> dict:
    row = {
        "date": day,
        "code": code,
        "open": close,
        "high": close,
        "low": close,
        "close": close,
        "volume": 1000,
        "turnover_value": 2**53 + 1,  # exact only as an integer, never through float64
        "adjustment_factor": factor,
        "adj_open": close * factor,
        "adj_high": close * factor,
        "adj_low": close * factor,
        "adj_close": close * factor,
        "adj_volume": 1000 / factor,
    }
    row.update(extra)
    return row

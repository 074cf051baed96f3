"""Warehouse rows written the way the pipeline writes them, for read-side tests."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from moo_markets.warehouse import bulk
from moo_markets.warehouse.engine import get_engine
from moo_markets.warehouse.replace import replacing
from moo_markets.warehouse.revisions import LOADED_AT, history_of
from moo_markets.warehouse.schema import DATASET_TABLES


def write(url: str, dataset: str, rows: list[dict], loaded_at: dt.datetime | None = None) -> None:
    """Rows as the pipeline writes them: JSON types through ``bulk`` (COPY / executemany),
    replacing their partitions (``warehouse.replace``, which records when they were loaded).

    ``loaded_at``: pretend the partitions were loaded then, so point-in-time reads of past
    moments see them (a test cannot load in the past)."""
    engine = get_engine(url)
    table = DATASET_TABLES[dataset]
    history = history_of(table)
    columns = tuple(rows[0])
    values = [
        [v.isoformat() if isinstance(v, (dt.date, dt.time)) else v for v in row.values()]
        for row in rows
    ]
    partitions = sorted({row[history.lead] for row in rows})
    with engine.begin() as connection:
        prepared = bulk.prepare(columns, values, engine.dialect.name)
        with replacing(connection, table, table.c[history.lead].in_(partitions)) as target:
            bulk.insert_rows(connection, prepared, target)
        if loaded_at is not None:
            connection.execute(
                sa.update(history.loads)
                .where(history.loads.c[history.lead].in_(partitions))
                .values({LOADED_AT: loaded_at})
            )


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

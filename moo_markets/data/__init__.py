"""Read the warehouse into typed pandas (or polars, or Arrow) frames.

    from moo_markets import data
    bars = data.bars(["72030"], start="2025-01-01", end="2025-12-31")   # adjusted, float64
    exact = data.bars(start="2025-06-02", end="2025-06-02", exact=True)  # decimal128(20, 6)
    known = data.statements(as_of=datetime(2025, 5, 13, 15, 0, tzinfo=ZoneInfo("Asia/Tokyo")))
    top = data.topix(start="2025-01-01", output="polars")

``bars``, ``listed``, ``statements`` and ``universe`` are written by hand;
every other dataset of ``moo_markets.datasets`` has a function of its own name
generated from its spec (``data.valuation``, ``data.indices``, ...), and
``read(name, ...)`` reads any dataset. See :mod:`moo_markets.data.api`.
"""

from moo_markets.data.api import (
    GENERATED,
    bars,
    dataset_names,
    listed,
    polars_schema,
    read,
    schema,
    statements,
    universe,
)
from moo_markets.data.reader import read_table

globals().update(GENERATED)

__all__ = [
    "bars",
    "dataset_names",
    "listed",
    "polars_schema",
    "read",
    "schema",
    "read_table",
    "statements",
    "universe",
    *GENERATED,
]

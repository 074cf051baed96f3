"""A month of a declared dataset from its bulk file stores exactly what REST stores."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from support.bulk_month import LAST, MONTH, client, month_file, rest_records

from moo_markets.datasets.registry import find
from moo_markets.ingest import store as ingest_store
from moo_markets.jquants import BulkFileError
from moo_markets.warehouse import get_engine
from moo_markets.warehouse.bulk_files import date_column, load_file
from moo_markets.warehouse.schema import DATASET_TABLES, bulk_files


def stored(url: str, spec) -> list[dict]:
    table = DATASET_TABLES[spec.name]
    with get_engine(url).connect() as connection:
        column = table.c[date_column(spec)]
        rows = connection.execute(sa.select(table).where(column.between(MONTH, LAST)))
        return [dict(r._mapping) for r in rows]


def by_key(spec, records: list[dict]) -> list[dict]:
    return sorted(records, key=lambda r: tuple(str(r[c]) for c in spec.key_columns))


@pytest.mark.parametrize("name", ["valuation", "listed_companies", "margin_alerts", "fins_summary"])
def test_a_month_from_its_file_equals_rest(premium_sim, warehouse_url, name) -> None:
    spec = find(name)
    assert spec is not None and spec.bulk
    expected = rest_records(premium_sim, spec)
    assert expected
    with client(premium_sim) as c:
        rows = load_file(get_engine(warehouse_url), c, spec, month_file(c, spec.path), "run-1")
    assert rows == len(expected)
    assert by_key(spec, stored(warehouse_url, spec)) == by_key(spec, expected)
    # The same rows as the REST write path stores them (its upsert of the converted records).
    with get_engine(warehouse_url).begin() as connection:
        connection.execute(sa.delete(DATASET_TABLES[spec.name]))
        ingest_store.upsert(connection, spec, expected)
    rest_stored = stored(warehouse_url, spec)
    assert by_key(spec, rest_stored) == by_key(spec, expected)
    with get_engine(warehouse_url).connect() as connection:
        assert connection.execute(sa.select(bulk_files.c.rows)).scalars().all() == [rows]


def test_a_corrupt_file_writes_nothing(premium_sim, warehouse_url) -> None:
    spec = find("valuation")
    with client(premium_sim) as c:
        file = month_file(c, spec.path)
        premium_sim.inject_download("truncate")
        with pytest.raises(BulkFileError, match="valuation_202610.*nothing of 2026-10"):
            load_file(get_engine(warehouse_url), c, spec, file)
    assert stored(warehouse_url, spec) == []

"""On PostgreSQL a month from a bulk file is written through COPY, storing exactly what the REST
path's INSERT stores, down to the JSON text: a spec whose fields map directly by COPY into a
staging table and one INSERT ... SELECT (``warehouse.csv_copy``), the others through
``warehouse.bulk.copy_rows`` of the converted records. A row the database refuses (a duplicate
key inside the file) fails the month cleanly."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import sqlalchemy as sa
from support.bulk_month import LAST, MONTH, client, month_file, rest_records, stored_as_text

from moo_markets.datasets.registry import find
from moo_markets.ingest import store as ingest_store
from moo_markets.jquants import BulkFileError
from moo_markets.warehouse import bulk, csv_copy, get_engine
from moo_markets.warehouse.bulk_files import load_file, load_month
from moo_markets.warehouse.schema import DATASET_TABLES


@pytest.fixture
def copies(monkeypatch) -> list[tuple[str, int]]:
    """Every ``bulk.copy_rows`` call (table, rows), still writing through the real COPY."""
    calls: list[tuple[str, int]] = []
    real = bulk.copy_rows

    def recording(connection, table, rows):
        calls.append((table, rows.count))
        return real(connection, table, rows)

    monkeypatch.setattr(bulk, "copy_rows", recording)
    return calls


@pytest.fixture
def direct(monkeypatch) -> list[tuple[str, int]]:
    """Every ``csv_copy.load`` call (target table, rows; -1 while or if it failed), still
    loading for real."""
    calls: list[tuple[str, int]] = []
    real = csv_copy.load

    def recording(connection, spec, key, fields, blocks, target, *args, **kwargs):
        calls.append((target.name, -1))
        loaded = real(connection, spec, key, fields, blocks, target, *args, **kwargs)
        calls[-1] = (target.name, loaded.validated)
        return loaded

    monkeypatch.setattr(csv_copy, "load", recording)
    return calls


@pytest.mark.parametrize(
    ("name", "in_sql"),
    [
        ("fins_details", False),  # FS: a JSON object
        ("margin_alerts", False),  # PubReason.*: nested fields
        ("fins_summary", True),  # quoted numbers, TIME, BOOLEAN, BIGINT
        ("dividends", True),  # markers, TIME
        ("short_sale_reports", True),
    ],
)
def test_a_month_is_copied_and_stored_as_the_rest_insert_stores_it(
    premium_sim, postgres_database, copies, direct, name, in_sql
) -> None:
    spec = find(name)
    assert spec is not None and spec.bulk
    expected = rest_records(premium_sim, spec)
    assert expected
    kinds = {type(v) for r in expected for v in r.values()}
    assert {dt.date, str} <= kinds
    assert (dict in kinds) if name == "fins_details" else (Decimal in kinds)
    assert csv_copy.maps_directly(spec) is in_sql
    with client(premium_sim) as c:
        rows = load_file(get_engine(postgres_database), c, spec, month_file(c, spec.path))
    assert rows == len(expected)
    table = DATASET_TABLES[spec.name].name
    taken, other = (direct, copies) if in_sql else (copies, direct)
    assert taken and {t for t, _ in taken} == {table} and not other
    assert sum(n for _, n in taken) == rows
    copied = stored_as_text(postgres_database, spec)
    with get_engine(postgres_database).begin() as connection:  # the REST path's write
        connection.execute(sa.delete(DATASET_TABLES[spec.name]))
        ingest_store.upsert(connection, spec, expected)
    assert copied == stored_as_text(postgres_database, spec)


def test_a_duplicate_key_in_the_file_fails_the_month_cleanly(
    premium_sim, postgres_database, direct
) -> None:
    spec = find("valuation")
    engine = get_engine(postgres_database)
    with client(premium_sim) as c:
        file = month_file(c, spec.path)
        downloader = c.bulk_downloader()
        try:
            content = b"".join(downloader.chunks(file))
        finally:
            downloader.close()
    header, first_row, *_ = content.split(b"\n", 2)
    doubled = content.rstrip(b"\n") + b"\n" + first_row + b"\n"
    for attempt in ("first load", "reload into staging"):
        before = stored_as_text(postgres_database, spec)
        with pytest.raises(BulkFileError, match=f"{file.key}.*refused by the database.*nothing"):
            with engine.begin() as connection:
                load_month(connection, spec, file.key, [doubled], MONTH, LAST)
        assert direct, "the rows went through COPY into staging and INSERT ... SELECT"
        assert stored_as_text(postgres_database, spec) == before, attempt
        if attempt == "first load":
            assert before == []
            with engine.begin() as connection:
                load_month(connection, spec, file.key, [content], MONTH, LAST)
            assert stored_as_text(postgres_database, spec)

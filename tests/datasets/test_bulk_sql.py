"""The SQL path of a bulk month on PostgreSQL (``warehouse/csv_copy.py``): which specs take it,
and that it stores what the records path (the REST conversion in Python) stores, or refuses
what it refuses, naming the file, the field and the value, with nothing of the month written
and the earlier content intact."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import pytest
import sqlalchemy as sa
from support.bulk_month import LAST, MONTH, client, month_file, stored_as_text

from moo_markets.datasets.registry import GENERIC_SPECS, find
from moo_markets.jquants import BulkFileError
from moo_markets.warehouse import csv_copy, get_engine
from moo_markets.warehouse.bulk_files import load_month
from moo_markets.warehouse.schema import DATASET_TABLES

ROWS = 60
"""Rows of the month's file kept: enough for several days, quick to load twice per case."""


def test_the_specs_that_map_directly() -> None:
    direct = {s.name for s in GENERIC_SPECS if s.bulk and csv_copy.maps_directly(s)}
    records = {s.name for s in GENERIC_SPECS if s.bulk} - direct
    # Nested PubReason.* fields and the FS JSON object need Python; everything flat does not.
    assert records == {"margin_alerts", "fins_details"}
    assert {"valuation", "dividends", "fins_summary", "short_ratio", "indices"} <= direct


def test_a_numeric_null_string_keeps_a_spec_on_the_records_path() -> None:
    import dataclasses

    spec = find("dividends")
    assert csv_copy.maps_directly(spec)
    # "0" would be read as the number 0 by the records path before the null strings apply.
    numeric_null = dataclasses.replace(
        spec, fields=spec.fields[: -len(spec.markers)], null_strings=frozenset({"", "-", "0"})
    )
    assert not csv_copy.maps_directly(numeric_null)


@pytest.fixture(scope="module")
def files(premium_sim) -> dict[str, tuple[str, bytes]]:
    """name -> (key, header and the first ROWS lines of the month's file)."""
    out = {}
    with client(premium_sim) as c:
        downloader = c.bulk_downloader()
        try:
            for name in ("valuation", "dividends", "fins_summary"):
                file = month_file(c, find(name).path)
                content = b"".join(downloader.chunks(file))
                out[name] = (file.key, b"\n".join(content.split(b"\n")[: ROWS + 1]) + b"\n")
        finally:
            downloader.close()
    return out


def edit(content: bytes, field: str, cell: str, line: int = 1) -> bytes:
    """``content`` with ``field`` of data line ``line`` (1 = first) replaced by ``cell`` (as
    written in the file: quote it for a string)."""
    lines = content.split(b"\n")
    header = lines[0].decode().split(",")
    cells = lines[line].decode().split(",")
    assert len(cells) == len(header), "a quoted comma: pick another line"
    cells[header.index(field)] = cell
    lines[line] = ",".join(cells).encode()
    return b"\n".join(lines)


def load(url: str, spec, key: str, content: bytes, monkeypatch, sql: bool) -> int:
    """One month through the SQL path (``sql``) or the records path, in one transaction."""
    with monkeypatch.context() as patch:
        calls = []
        real = csv_copy.load
        patch.setattr(csv_copy, "load", lambda *a, **k: calls.append(1) or real(*a, **k))
        if not sql:
            patch.setattr(csv_copy, "maps_directly", lambda spec: False)
        with get_engine(url).begin() as connection:
            rows = load_month(connection, spec, key, [content], MONTH, LAST)
        assert bool(calls) is sql
    return rows


def outcome(url: str, spec, key: str, content: bytes, monkeypatch, sql: bool):
    """What a path makes of ``content`` over a stored month: the stored rows, or the
    refusal (the month as it was before it)."""
    before = stored_as_text(url, spec)
    try:
        load(url, spec, key, content, monkeypatch, sql)
    except BulkFileError as exc:
        assert stored_as_text(url, spec) == before, "a refused month left rows behind"
        return "refused", str(exc)
    return "stored", stored_as_text(url, spec)


# Values the REST conversion takes, written as J-Quants (or a careless file) might.
ACCEPTED = [
    ("valuation", "EPS", "2850.0"),
    ("valuation", "EPS", "1e3"),
    ("valuation", "EPS", "+5"),
    ("valuation", "EPS", ".5"),
    ("valuation", "EPS", "-0"),
    ("valuation", "EPS", "12.3400000"),  # more decimals than the scale, all zero
    ("valuation", "ROE", "0.1000000000000000055511151231257827"),  # the float 0.1
    ("valuation", "EPS", ""),
    ("valuation", "EPS", '""'),
    ("valuation", "Date", '"20261001"'),
    ("dividends", "DivRate", '"-"'),  # undecided: NULL, and the marker kept
    ("dividends", "RecDate", '"-"'),
    ("dividends", "RecDate", '"20261001"'),
    ("dividends", "PubTime", '"09:30:15"'),
    ("fins_summary", "ShOutFY", '"24318700.0"'),  # a whole count written as a float
    ("fins_summary", "ShOutFY", '"9223372036854775807"'),
    ("fins_summary", "MatChgSub", '"TRUE"'),
    ("fins_summary", "MatChgSub", '"0"'),
    ("fins_summary", "EPS", '"-12.5"'),
]
REFUSED = [
    ("valuation", "EPS", "39.1234567", "has more than 6 decimals"),
    ("valuation", "EPS", "123456789012345", "digits before the point"),
    ("valuation", "EPS", "NaN", "is not a number"),
    ("valuation", "EPS", "Infinity", "is not a number"),
    ("valuation", "EPS", '"abc"', "is not a number"),
    ("valuation", "EPS", '"0x1A"', "is not a number"),
    ("valuation", "EPS", "1e400", "out of range"),
    ("valuation", "ROE", "0.12345678901", "has more than 10 decimals"),
    ("valuation", "ROE", "0.30000000000000004", "has more than 10 decimals"),  # float's text
    # 14 whole digits and 6 decimals, but as the float the REST path decodes: 1e14.
    ("valuation", "EPS", "99999999999999.999999", "digits before the point"),
    ("valuation", "Date", '"2026-11-02"', "lies outside 2026-10"),
    ("valuation", "Date", '"2026-10-32"', "is not a date"),
    ("valuation", "Date", "", "is missing (key field Date)"),
    ("valuation", "Code", '"12345678901234567"', "is longer than 16 characters"),
    ("dividends", "RecDate", '"2026/10/01"', "is not a date"),
    ("dividends", "RecDate", '"today"', "is not a date"),
    ("dividends", "PayDate", '"2026-02-30"', "is not a date"),
    ("dividends", "PubTime", '"25:00"', "is not a time"),
    ("dividends", "PubTime", '"12:00:60"', "is not a time"),
    ("dividends", "DivRate", '"*"', "is not a number"),
    ("fins_summary", "ShOutFY", '"1.5"', "is not an integer"),
    ("fins_summary", "ShOutFY", '"9223372036854775808"', "is not an integer"),
    ("fins_summary", "MatChgSub", '"yes"', "is not true/false"),
    ("fins_summary", "EPS", '"1.2.3"', "is not a number"),
]


@pytest.mark.parametrize(("name", "field", "cell"), ACCEPTED)
def test_an_accepted_value_is_stored_as_the_records_path_stores_it(
    files, postgres_database, monkeypatch, name, field, cell
) -> None:
    spec = find(name)
    key, content = files[name]
    edited = edit(content, field, cell)
    results = {}
    for sql in (False, True):
        with get_engine(postgres_database).begin() as connection:
            connection.execute(sa.delete(DATASET_TABLES[spec.name]))
        results[sql] = outcome(postgres_database, spec, key, edited, monkeypatch, sql)
    assert results[True][0] == "stored", results[True][1]
    assert len(results[True][1]) == ROWS
    assert results[True] == results[False]


@pytest.mark.parametrize(("name", "field", "cell", "reason"), REFUSED)
def test_a_refused_value_fails_the_month_naming_file_field_and_value(
    files, postgres_database, monkeypatch, name, field, cell, reason
) -> None:
    spec = find(name)
    key, content = files[name]
    edited = edit(content, field, cell, line=ROWS // 2)
    # Refused on a first load (nothing stored) and over a stored month (kept as it was).
    for stored_first in (False, True):
        if stored_first:
            load(postgres_database, spec, key, content, monkeypatch, True)
            assert stored_as_text(postgres_database, spec)
        kind, message = outcome(postgres_database, spec, key, edited, monkeypatch, True)
        assert kind == "refused"
        assert message.startswith(f"J-Quants bulk file {key}: ")
        assert f"field {field}: " in message and reason in message, message
        value = cell.strip('"')
        assert repr(value) in message or (value == "" and "None" in message), message
        assert message.endswith("nothing of 2026-10 was written")
    # The records path (the REST conversion) refuses it too.
    with get_engine(postgres_database).begin() as connection:
        connection.execute(sa.delete(DATASET_TABLES[spec.name]))
    assert outcome(postgres_database, spec, key, edited, monkeypatch, False)[0] == "refused"


@pytest.mark.parametrize("sabotaged", [False, True])
def test_the_asset_type_check_reads_a_sql_month_back(
    files, postgres_database, monkeypatch, sabotaged
) -> None:
    """``ingest/backfill.py``'s ``_Seen`` on the SQL path: per-day counts as stored, every row
    counted as compared, and a sample converted in Python compared with the stored rows, so
    a conversion in SQL that differs from the REST one shows as mismatches."""
    from moo_markets.ingest.backfill import _Seen
    from moo_markets.ingest.partition import PREVIEW_ROWS

    spec = find("dividends")
    key, content = files["dividends"]
    if sabotaged:  # SQL numbers one millionth off what Python makes of them
        real = csv_copy._Columns.number
        off = sa.literal(Decimal("0.000001"))
        monkeypatch.setattr(csv_copy._Columns, "number", staticmethod(lambda c: real(c) + off))
    seen = _Seen(spec, spec.partition_column)
    with get_engine(postgres_database).begin() as connection:
        rows = load_month(
            connection, spec, key, [content], MONTH, LAST,
            on_batch=seen, on_loaded=seen.loaded, sample_rows=PREVIEW_ROWS,
        )  # fmt: skip
    assert rows == ROWS and seen.compared == ROWS
    table = DATASET_TABLES[spec.name]
    with get_engine(postgres_database).connect() as connection:
        counts = dict(
            connection.execute(
                sa.select(table.c.pub_date, sa.func.count()).group_by(table.c.pub_date)
            ).all()
        )
    assert dict(seen.fetched) == counts and len(counts) > 1
    assert all(len(p) == min(PREVIEW_ROWS, counts[d]) for d, p in seen.preview.items())
    # The previews are each day's first rows in the file's order, as the records path's.
    rows_in_file = list(csv.DictReader(io.StringIO(content.decode())))
    for day, preview in seen.preview.items():
        in_file = [r["RefNo"] for r in rows_in_file if r["PubDate"] == day.isoformat()]
        assert [r["ref_no"] for r in preview] == in_file[:PREVIEW_ROWS]
    if sabotaged:
        assert seen.mismatch_count > 0 and "stored as" in seen.mismatches[0]
    else:
        assert seen.mismatch_count == 0, seen.mismatches[:3]

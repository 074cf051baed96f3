"""The byte-level rewrites of the bulk COPY path never change a value."""

from __future__ import annotations

import pytest

from moo_markets.warehouse import csv_stream


def test_split_header_yields_whole_lines_whatever_the_chunking() -> None:
    text = b'Date,Code,Vo\n"2026-10-01","72030",100.0\n"2026-10-01","13010",\n'
    for size in (1, 3, 7, len(text)):
        chunks = [text[i : i + size] for i in range(0, len(text), size)]
        fields, blocks = csv_stream.split_header(chunks)
        blocks = list(blocks)
        assert fields == ["Date", "Code", "Vo"]
        assert all(b.endswith(b"\n") for b in blocks)
        assert b"".join(blocks) == text.partition(b"\n")[2]


def test_whole_floats_lose_only_their_point_zero() -> None:
    block = b'"2026-10-01","72030",2850.0,10.05,0.0,1.50,24318700.0\n"x",,1.0,,\n'
    assert csv_stream.whole_floats_as_integers(block) == (
        b'"2026-10-01","72030",2850,10.05,0,1.50,24318700\n"x",,1,,\n'
    )


def test_trailing_cells_are_dropped_and_quoted_commas_refused() -> None:
    block = b'"a","b",1.0,37753.0,"1"\n"c","d",2.0,,\n'
    assert csv_stream.drop_trailing_cells(block, 2) == b'"a","b",1.0\n"c","d",2.0\n'
    assert csv_stream.drop_trailing_cells(block, 1) == b'"a","b",1.0,37753.0\n"c","d",2.0,\n'
    with pytest.raises(csv_stream.CsvFormatError):
        csv_stream.drop_trailing_cells(b'"a",1.0,"x,y"\n', 1)


def test_records_keep_json_types_and_nulls() -> None:
    fields = ["Date", "Code", "O", "Vo", "UL"]
    blocks = [b'"2026-10-01","72030",2850.5,100,"0"\n"2026-10-01","13010",,,""\n']
    (batch,) = list(csv_stream.records(fields, blocks, frozenset({"O", "Vo"})))
    assert batch == [
        {"Date": "2026-10-01", "Code": "72030", "O": 2850.5, "Vo": 100, "UL": "0"},
        {"Date": "2026-10-01", "Code": "13010", "O": None, "Vo": None, "UL": None},
    ]
    with pytest.raises(csv_stream.CsvFormatError):
        list(csv_stream.records(fields, [b'"2026-10-01","72030"\n'], frozenset()))

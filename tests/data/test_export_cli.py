"""``moo-markets export``: typed files from the command line, atomically, clear errors."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from support.warehouse_rows import bar, write

from moo_markets.cli import main
from moo_markets.data import export as export_module

D1, D2 = dt.date(2025, 6, 2), dt.date(2025, 6, 3)


@pytest.fixture
def url(sqlite_database: str) -> str:
    write(sqlite_database, "daily_bars", [bar(D1, "72030", 2585.5), bar(D2, "72030", 2600.0)])
    return sqlite_database


def test_export_parquet_with_range(url: str, tmp_path: Path, capsys) -> None:
    out = tmp_path / "out"
    target = out / "bars.parquet"
    code = main(
        [
            "export",
            "daily_bars",
            "--start",
            "2025-06-03",
            "--end",
            "2025-06-03",
            "--output",
            str(target),
            "--database-url",
            url,
        ]
    )
    assert code == 0
    table = pq.read_table(target)
    assert table.num_rows == 1
    assert table.schema.field("date").type == pa.date32()
    assert table.schema.field("close").type == pa.decimal128(20, 6)
    assert table.schema.metadata[b"moo_markets.jquants_path"] == b"/equities/bars/daily"
    assert "daily_bars: 1 rows" in capsys.readouterr().out
    assert list(out.iterdir()) == [target]  # nothing partial left beside it


def test_export_all_to_duckdb(url: str, tmp_path: Path) -> None:
    target = tmp_path / "moo.duckdb"
    assert (
        main(
            ["export", "all", "--format", "duckdb", "--output", str(target), "--database-url", url]
        )
        == 0
    )
    with duckdb.connect(str(target), read_only=True) as connection:
        rows = connection.table("daily_bars").order("date").project("date, close").fetchall()
        assert rows[0][0] == D1 and str(rows[0][1]) == "2585.500000"
        assert "valuation" in {r[0] for r in connection.execute("SHOW TABLES").fetchall()}


def test_export_errors_are_clear_and_leave_no_file(url: str, tmp_path: Path, capsys) -> None:
    target = tmp_path / "topix.csv"
    code = main(
        [
            "export",
            "topix",
            "--codes",
            "72030",
            "--format",
            "csv",
            "--output",
            str(target),
            "--database-url",
            url,
        ]
    )
    assert code == 2
    assert "no code column" in capsys.readouterr().err
    assert not target.exists()
    with pytest.raises(SystemExit):
        main(["export", "nope", "--database-url", url])
    with pytest.raises(SystemExit):
        main(["export", "daily_bars", "--start", "2025-13-01", "--database-url", url])


def test_a_failed_write_keeps_the_previous_file(url: str, tmp_path: Path, monkeypatch) -> None:
    out = tmp_path / "out"
    out.mkdir()
    target = out / "bars.parquet"
    target.write_bytes(b"previous")

    class Broken:
        def __init__(self, where, schema, **kwargs):  # noqa: ANN001
            self.where = where

        def write_table(self, table):  # noqa: ANN001
            Path(self.where).write_bytes(b"half")
            raise OSError("disk full")

    import pyarrow.parquet

    monkeypatch.setattr(pyarrow.parquet, "ParquetWriter", Broken)
    with pytest.raises(OSError, match="disk full"):
        export_module.export(["daily_bars"], "parquet", target, url=url)
    assert target.read_bytes() == b"previous"
    assert list(out.iterdir()) == [target]


def test_as_of_is_parsed_as_tokyo_when_naive() -> None:
    moment = export_module._as_of("2025-06-03T13:30")
    assert moment.utcoffset() == dt.timedelta(hours=9)


def test_a_long_history_is_exported_year_by_year(sqlite_database: str, tmp_path: Path) -> None:
    days = [dt.date(2023, 12, 29), dt.date(2024, 7, 1), dt.date(2025, 1, 6)]
    write(sqlite_database, "daily_bars", [bar(d, "72030", 100.5) for d in days])
    target = tmp_path / "out" / "bars.parquet"
    done = export_module.export(["daily_bars"], "parquet", target, url=sqlite_database)
    assert done[0].rows == 3
    parquet = pq.ParquetFile(target)
    assert parquet.metadata.num_row_groups == 3  # one per year: memory holds one year
    assert parquet.read().column("date").to_pylist() == days
    csv = tmp_path / "out" / "bars.csv"
    export_module.export(["daily_bars"], "csv", csv, start=dt.date(2024, 1, 1), url=sqlite_database)
    assert csv.read_text().count("\n") == 3  # header and two rows
    duck = tmp_path / "out" / "bars.duckdb"
    export_module.export(["daily_bars", "trading_calendar"], "duckdb", duck, url=sqlite_database)
    with duckdb.connect(str(duck), read_only=True) as connection:
        assert len(connection.table("daily_bars").fetchall()) == 3

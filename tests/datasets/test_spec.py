"""DatasetSpec: exact conversion of J-Quants values, NULL rules, and what a spec may declare."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from moo_markets.datasets.registry import SPECS
from moo_markets.datasets.spec import (
    AMOUNT,
    CODE,
    COUNT,
    DATE,
    FLAG,
    PRICE,
    TEXT,
    TIME,
    ConversionError,
    DatasetSpec,
    Field,
    Partitioning,
    snake,
)


def spec(**changes) -> DatasetSpec:
    values = dict(
        name="example",
        catalog_id=99,
        path="/example",
        title="example",
        description="example",
        plan="free",
        partitioning=Partitioning.BUSINESS_DAY,
        partition_field="Date",
        key=("Date", "Code", "Name"),
        published="16:30",
        cron="0 17 * * 1-5",
        fields=(
            ("Date", DATE),
            ("Code", CODE),
            ("Name", TEXT),
            ("Price", PRICE),
            ("Value", AMOUNT),
            ("Volume", COUNT),
            ("Time", TIME),
            ("Flag", FLAG),
            Field("Reason.Restricted", FLAG),
        ),
    )
    values.update(changes)
    return DatasetSpec(**values)


def test_numbers_are_exact_whether_sent_as_numbers_or_strings() -> None:
    record = spec().record(
        {
            "Date": "2026-11-27",
            "Code": "130A0",
            "Name": "",
            "Price": 2047.5,
            "Value": "100529000000",
            "Volume": 4685000.0,
            "Time": "15:30",
            "Flag": "true",
            "Reason": {"Restricted": "1"},
        }
    )
    assert record == {
        "date": dt.date(2026, 11, 27),
        "code": "130A0",
        "name": "",  # a key text keeps "" (keys cannot be NULL)
        "price": Decimal("2047.5"),
        "value": Decimal("100529000000"),
        "volume": 4685000,
        "time": dt.time(15, 30),
        "flag": True,
        "reason_restricted": True,
    }
    assert type(record["volume"]) is int


@pytest.mark.parametrize(
    ("field", "value", "words"),
    [
        ("Price", 0.1 + 0.2, "more than 6 decimals"),  # 0.30000000000000004 is not rounded
        ("Price", "12345678901234567.5", "digits before the point"),
        ("Volume", 12.5, "not an integer"),
        ("Value", "1,000", "not a number"),
        ("Date", "2026/11/27", "not a date"),
        ("Flag", "yes", "true/false"),
    ],
)
def test_a_value_that_does_not_fit_is_an_error_not_a_rounding(field, value, words) -> None:
    row = {"Date": "2026-11-27", "Code": "72030", "Name": "x", field: value}
    with pytest.raises(ConversionError, match=words):
        spec().record(row)


def test_empty_null_and_absent_are_all_null() -> None:
    example = spec()
    base = {"Date": "20261127", "Code": "72030", "Name": "x"}
    for row in ({**base, "Price": ""}, {**base, "Price": None}, base):
        record = example.record(row)
        assert record["price"] is None and record["date"] == dt.date(2026, 11, 27)
    assert spec(null_strings=frozenset({"", "-"})).record({**base, "Value": "-"})["value"] is None
    with pytest.raises(ConversionError, match="key field Code is missing"):
        example.record({"Date": "2026-11-27", "Name": "x"})


@pytest.mark.parametrize(
    ("changes", "words"),
    [
        ({"key": ("Nope",)}, "key"),
        ({"partition_field": None}, "partition_field"),
        ({"partition_field": "Code"}, "DATE field"),
        ({"plan": "gold"}, "plan"),
        ({"published": "4pm"}, "published"),
        ({"fields": (("Date", DATE), ("Date", DATE), ("Code", CODE), ("Name", TEXT))}, "twice"),
    ],
)
def test_a_spec_that_contradicts_itself_is_refused(changes, words) -> None:
    with pytest.raises(ValueError, match=words):
        spec(**changes)


def test_column_names_and_every_declared_spec() -> None:
    assert snake("FwdEPS") == "fwd_eps" and snake("SellExShortVa") == "sell_ex_short_va"
    assert snake("PubReason.Restricted") == "pub_reason_restricted"
    assert [s.catalog_id for s in SPECS] == list(range(1, len(SPECS) + 1))
    for declared in SPECS:
        assert declared.table == declared.name
        assert all(len(f.column) <= 63 for f in declared.columns)  # PostgreSQL's limit


def test_bulk_availability_matches_the_bulk_files_j_quants_serves() -> None:
    """Every spec says whether monthly bulk files exist (the simulator follows the docs)."""
    from moo_markets.datasets.registry import SPECS
    from moo_markets.jquants_sim.bulk import BULK_ENDPOINTS

    assert {s.path for s in SPECS if s.bulk} == set(BULK_ENDPOINTS) - {"/markets/calendar"}
    assert not any(s.bulk for s in SPECS if s.path.endswith(("/am", "/earnings-calendar")))


DERIVATIVES_COLUMNS = {
    # The tables' columns in order, as declared before the shared declaration existed.
    "futures": "code product_category date o h l c mo mh ml mc eo eh el ec ao ah al ac vo oi "
    "va contract_month vo_oa em_mrgn_trg_div ltd sqd settle ccm_flag",
    "options": "code product_category underlying_code date o h l c mo mh ml mc eo eh el ec ao "
    "ah al ac vo oi va contract_month strike vo_oa em_mrgn_trg_div pc_div ltd sqd settle theo "
    "base_vol under_px iv ir ccm_flag",
    "options_225": "date code o h l c eo eh el ec ao ah al ac vo oi va contract_month strike "
    "vo_oa em_mrgn_trg_div pc_div ltd sqd settle theo base_vol under_px iv ir",
}


@pytest.mark.parametrize("name", sorted(DERIVATIVES_COLUMNS))
def test_derivatives_specs_share_one_declaration_and_keep_their_tables(name: str) -> None:
    from moo_markets.datasets import derivatives
    from moo_markets.datasets.registry import find

    declared = find(name)
    assert [f.column for f in declared.columns] == DERIVATIVES_COLUMNS[name].split()
    for attribute, value in derivatives.COMMON.items():
        assert getattr(declared, attribute) == value, attribute
    by_source = {f.source: f for f in declared.columns}
    for shared in (*derivatives.TRADING, *derivatives.prices(morning=False)):
        assert by_source[shared.source] == shared


def test_dividend_markers_keep_undecided_apart_from_none() -> None:
    """``-`` (undecided) and ``""`` (none) both leave the typed column NULL; the marker
    column says which it was, so a quant can ask for the undecided rates."""
    from moo_markets.datasets.registry import find

    dividends = find("dividends")
    base = {"PubDate": "2026-11-13", "Code": "72030", "RefNo": "1"}
    undecided = dividends.record({**base, "DivRate": "-", "PayDate": "-", "CommDivRate": ""})
    assert undecided["div_rate"] is None and undecided["div_rate_mark"] == "-"
    assert undecided["pay_date"] is None and undecided["pay_date_mark"] == "-"
    assert undecided["comm_div_rate"] is None and undecided["comm_div_rate_mark"] is None
    decided = dividends.record({**base, "DivRate": "12.5", "PayDate": "2026-12-01"})
    assert decided["div_rate"] == Decimal("12.5") and decided["div_rate_mark"] is None
    assert decided["pay_date"] == dt.date(2026, 12, 1) and decided["pay_date_mark"] is None
    assert dividends.record({**base, "DivRate": 30})["div_rate_mark"] is None
    marks = [f for f in dividends.columns if f.marker_of]
    assert {f.marker_of for f in marks} == set(dividends.markers)
    assert all(f.type is TEXT and f.column == f"{snake(f.marker_of)}_mark" for f in marks)


def test_margin_alert_markers_are_null_because_null_is_unambiguous() -> None:
    """In /markets/margin-alert a ``-`` change (not published the day before) or a ``*``
    ratio (ETF) is the only way those fields lack a number (the simulator, after the docs,
    sends nothing else there: test_sim_datasets.py), so NULL says exactly that."""
    from moo_markets.datasets.registry import find

    alerts = find("margin_alerts")
    assert not alerts.markers
    base = {"PubDate": "2026-11-27", "Code": "72030", "AppDate": "2026-11-26"}
    record = alerts.record({**base, "ShrtOutChg": "-", "ShrtOutRatio": "*", "ShrtOut": 100})
    assert record["shrt_out_chg"] is None and record["shrt_out_ratio"] is None
    assert record["shrt_out"] == 100

"""``/markets/short-sale-report``: short positions of 0.5 % and more (Standard).

Partitioned by disclosure date; days without reports are empty. Absent
discretionary investor or fund names are ``""`` in the key, never NULL.
"""

from moo_markets.datasets.spec import CODE, COUNT, DATE, RATIO, TEXT, DatasetSpec, Partitioning

SPEC = DatasetSpec(
    name="short_sale_reports",
    catalog_id=13,
    path="/markets/short-sale-report",
    bulk=True,
    title="空売り残高報告取得 (short sale reports)",
    description="Fetches the short position reports disclosed on a date "
    "(/markets/short-sale-report): seller, fund, ratio to shares outstanding and shares.",
    plan="standard",
    partitioning=Partitioning.DISCLOSURE_DATE,
    partition_field="DiscDate",
    params={"disc_date": "{date}"},
    key=("DiscDate", "CalcDate", "Code", "SSName", "DICName", "FundName"),
    published="17:30",
    cron="0 18 * * 1-5",
    fields=(
        ("DiscDate", DATE, "disc_date"),
        ("CalcDate", DATE, "calc_date"),
        ("Code", CODE, "code"),
        ("SSName", TEXT, "short_seller"),
        ("SSAddr", TEXT, "short_seller_address"),
        ("DICName", TEXT, "discretionary_investor"),
        ("DICAddr", TEXT, "discretionary_investor_address"),
        ("FundName", TEXT, "fund_name"),
        ("ShrtPosToSO", RATIO, "short_position_ratio"),
        ("ShrtPosShares", COUNT, "short_position_shares"),
        ("ShrtPosUnits", COUNT, "short_position_units"),
        ("PrevRptDate", DATE, "previous_report_date"),
        ("PrevRptRatio", RATIO, "previous_report_ratio"),
        ("Notes", TEXT, "notes"),
    ),
)

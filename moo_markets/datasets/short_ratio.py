"""``/markets/short-ratio``: short selling value by sector (Standard)."""

from moo_markets.datasets.spec import AMOUNT, CODE, DATE, DatasetSpec, Partitioning

SPEC = DatasetSpec(
    name="short_ratio",
    catalog_id=12,
    path="/markets/short-ratio",
    bulk=True,
    title="業種別空売り比率取得 (short ratio)",
    description="Fetches the day's selling value by 33-sector (/markets/short-ratio): long "
    "sales, short sales with and without price restrictions; business days only.",
    plan="standard",
    partitioning=Partitioning.BUSINESS_DAY,
    partition_field="Date",
    key=("Date", "S33"),
    published="16:30",
    cron="0 17 * * 1-5",
    fields=(
        ("Date", DATE, "date"),
        ("S33", CODE, "sector33_code"),
        ("SellExShortVa", AMOUNT, "sell_ex_short_value"),
        ("ShrtWithResVa", AMOUNT, "short_with_restriction_value"),
        ("ShrtNoResVa", AMOUNT, "short_no_restriction_value"),
    ),
)

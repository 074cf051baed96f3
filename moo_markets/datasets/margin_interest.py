"""``/markets/margin-interest``: margin balances per issue (Standard).

Partitioned by application date (``Date``); daily since 2026-09-25 and
published about 16:00 the next business day, weekly (Fridays) before, so a
partition may be empty.
"""

from moo_markets.datasets.spec import (
    AMOUNT,
    CODE,
    COUNT,
    DATE,
    TEXT,
    DatasetSpec,
    Partitioning,
    fields,
)

SPEC = DatasetSpec(
    name="margin_interest",
    catalog_id=10,
    path="/markets/margin-interest",
    bulk=True,
    title="信用取引残高取得 (margin interest)",
    description="Fetches the margin buying and selling balances of an application date "
    "(/markets/margin-interest): shares and values, negotiable and standardized.",
    plan="standard",
    partitioning=Partitioning.DISCLOSURE_DATE,
    partition_field="Date",
    key=("Date", "Code"),
    published="16:00",
    cron="30 16 * * 1-5",
    lag_days=1,
    fields=(
        ("PubDate", DATE, "pub_date"),
        ("Date", DATE, "date"),
        ("Code", CODE, "code"),
        ("IssType", TEXT, "issue_type"),
        *fields(COUNT, "ShrtVol LongVol ShrtNegVol LongNegVol ShrtStdVol LongStdVol"),
        *fields(AMOUNT, "ShrtVal LongVal ShrtNegVal LongNegVal ShrtStdVal LongStdVal"),
    ),
)

"""``/fins/details``: full statements (BS/PL/CF), one row per disclosure (Premium).

``FS`` maps XBRL labels to values; it is stored as JSON as J-Quants sent it.
"""

from moo_markets.datasets.spec import CODE, DATE, JSON, TEXT, TIME, DatasetSpec, Partitioning

SPEC = DatasetSpec(
    name="fins_details",
    catalog_id=15,
    path="/fins/details",
    bulk=True,
    title="財務諸表取得 (financial statement details)",
    description="Fetches the balance sheets, income and cash-flow statements disclosed on a "
    "date (/fins/details), one row per disclosure number, the statement items as JSON.",
    plan="premium",
    partitioning=Partitioning.DISCLOSURE_DATE,
    partition_field="DiscDate",
    key=("DiscDate", "DiscNo"),
    published="24:30",
    cron="45 1 * * 2-6",
    lag_days=1,
    fields=(
        ("DiscDate", DATE, "disc_date"),
        ("DiscTime", TIME, "disc_time"),
        ("Code", CODE, "code"),
        ("DiscNo", CODE, "disc_no"),
        ("DocType", TEXT, "doc_type"),
        ("FS", JSON, "statements"),
    ),
)

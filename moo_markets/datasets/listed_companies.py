"""``/equities/master``: the listed-company master, one snapshot per date (job 1, Free).

Its asset is hand-built (``moo_markets.listed_companies``: a snapshot for a
configured date, new listings and delistings); table, fields and catalog entry
come from here.
"""

from moo_markets.datasets.spec import DATE, TEXT, DatasetSpec, Field, Partitioning, code

SPEC = DatasetSpec(
    name="listed_companies",
    catalog_id=1,
    path="/equities/master",
    bulk=True,
    title="上場企業情報取得 (listed companies)",
    description="Fetches the J-Quants listed-company master (/equities/master) for a date "
    "and stores it as that date's snapshot.",
    plan="free",
    partitioning=Partitioning.LATEST,
    params={},
    key=("Date", "Code"),
    published="08:00",
    cron="15 8 * * 1-5",
    hook="moo_markets.listed_companies",
    table_comment="J-Quants /equities/master snapshots, one per date",
    column_comments=False,
    premium_fields=frozenset(),
    fields=(
        Field("Date", DATE, "date", comment="snapshot date (J-Quants Date)"),
        ("Code", code(5), "code"),
        Field("CoName", TEXT, "company_name", required=True),
        ("CoNameEn", TEXT, "company_name_en"),
        ("S17", code(4), "sector17_code"),
        ("S17Nm", TEXT, "sector17_name"),
        ("S33", code(4), "sector33_code"),
        ("S33Nm", TEXT, "sector33_name"),
        ("ScaleCat", TEXT, "scale_category"),
        ("Mkt", code(4), "market_code"),
        ("MktNm", TEXT, "market_name"),
        ("Mrgn", code(2), "margin_code"),
        ("MrgnNm", TEXT, "margin_name"),
        ("ProdCat", code(8), "product_category"),
    ),
)

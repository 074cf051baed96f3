"""``/equities/earnings-calendar``: the next business day's earnings announcements (Free).

J-Quants serves only the latest list; each run upserts it, so the table
accumulates every list fetched.
"""

from moo_markets.datasets.spec import CODE, DATE, TEXT, DatasetSpec, Partitioning

SPEC = DatasetSpec(
    name="earnings_calendar",
    catalog_id=7,
    path="/equities/earnings-calendar",
    title="決算発表予定取得 (earnings calendar)",
    description="Fetches the issues announcing earnings on the next business day "
    "(/equities/earnings-calendar, latest list only) and keeps every list fetched.",
    plan="free",
    partitioning=Partitioning.LATEST,
    params={},
    key=("Date", "Code"),
    published="19:00",
    cron="30 19 * * 1-5",
    fields=(
        ("Date", DATE, "date"),
        ("Code", CODE, "code"),
        ("CoName", TEXT, "company_name"),
        ("FY", TEXT, "fiscal_year"),
        ("SectorNm", TEXT, "sector_name"),
        ("FQ", TEXT, "fiscal_quarter"),
        ("Section", TEXT, "market"),
    ),
)

"""``/fins/earnings-date``: announced earnings dates, one row per announcement (Free).

A changed date is a new row with a newer ``PubDate``: history is kept.
"""

from moo_markets.datasets.spec import CODE, DATE, TEXT, DatasetSpec, Partitioning

SPEC = DatasetSpec(
    name="earnings_dates",
    catalog_id=6,
    path="/fins/earnings-date",
    bulk=True,
    title="決算発表予定日取得 (earnings dates)",
    description="Fetches the earnings announcement dates published on a date "
    "(/fins/earnings-date); a changed date is a new row.",
    plan="free",
    partitioning=Partitioning.DISCLOSURE_DATE,
    partition_field="PubDate",
    key=("PubDate", "Code", "FQName", "FYE"),
    published="10:05",
    cron="0 11 * * 1-5",
    fields=(
        ("PubDate", DATE, "pub_date"),
        ("SchDate", DATE, "scheduled_date"),
        ("FQName", TEXT, "fiscal_quarter"),
        ("FYE", TEXT, "fiscal_year_end"),
        ("Code", CODE, "code"),
        ("CoName", TEXT, "company_name"),
        ("CoNameEn", TEXT, "company_name_en"),
    ),
)

"""``/indices/bars/daily``: daily bars of every J-Quants index (Standard)."""

from moo_markets.datasets.spec import CODE, DATE, PRICE, DatasetSpec, Partitioning

SPEC = DatasetSpec(
    name="indices",
    catalog_id=9,
    path="/indices/bars/daily",
    bulk=True,
    title="指数四本値取得 (indices)",
    description="Fetches the day's open, high, low and close of every index "
    "(/indices/bars/daily: TOPIX, sector, size, style and REIT indices); business days only.",
    plan="standard",
    partitioning=Partitioning.BUSINESS_DAY,
    partition_field="Date",
    key=("Date", "Code"),
    published="16:30",
    cron="0 17 * * 1-5",
    fields=(
        ("Date", DATE, "date"),
        ("Code", CODE, "code"),
        ("O", PRICE, "open"),
        ("H", PRICE, "high"),
        ("L", PRICE, "low"),
        ("C", PRICE, "close"),
    ),
)

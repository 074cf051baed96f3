"""``/indices/bars/daily/topix``: the TOPIX index's daily bars (Light)."""

from moo_markets.datasets.spec import DATE, PRICE, DatasetSpec, Partitioning

SPEC = DatasetSpec(
    name="topix",
    catalog_id=5,
    path="/indices/bars/daily/topix",
    bulk=True,
    title="TOPIX四本値取得 (TOPIX)",
    description="Fetches the day's TOPIX open, high, low and close (/indices/bars/daily/topix); "
    "business days only.",
    plan="light",
    partitioning=Partitioning.BUSINESS_DAY,
    partition_field="Date",
    params={"from": "{first}", "to": "{last}"},
    key=("Date",),
    published="16:30",
    cron="0 17 * * 1-5",
    fields=(
        ("Date", DATE, "date"),
        ("O", PRICE, "open"),
        ("H", PRICE, "high"),
        ("L", PRICE, "low"),
        ("C", PRICE, "close"),
    ),
)

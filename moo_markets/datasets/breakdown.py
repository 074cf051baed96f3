"""``/markets/breakdown``: trading value and volume by trade type per issue (Premium)."""

from moo_markets.datasets.spec import AMOUNT, CODE, COUNT, DATE, DatasetSpec, Partitioning, fields

KINDS = "LongSell ShrtNoMrgn MrgnSellNew MrgnSellClose LongBuy MrgnBuyNew MrgnBuyClose"

SPEC = DatasetSpec(
    name="breakdown",
    catalog_id=17,
    path="/markets/breakdown",
    bulk=True,
    title="売買内訳取得 (trading breakdown)",
    description="Fetches the day's trading breakdown per issue (/markets/breakdown): long, "
    "short and margin selling and buying, value and volume; business days only.",
    plan="premium",
    partitioning=Partitioning.BUSINESS_DAY,
    partition_field="Date",
    key=("Date", "Code"),
    published="18:00",
    cron="30 18 * * 1-5",
    fields=(
        ("Date", DATE, "date"),
        ("Code", CODE, "code"),
        *fields(AMOUNT, " ".join(f"{k}Va" for k in KINDS.split())),
        *fields(COUNT, " ".join(f"{k}Vo" for k in KINDS.split())),
    ),
)

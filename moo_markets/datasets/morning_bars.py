"""``/equities/bars/daily/am``: today's morning session bars (Premium, latest only).

Served from about 12:00 until 06:00 the next day; each run upserts that day's
rows. Earlier days' morning sessions are in the Premium columns of daily bars.
"""

from moo_markets.datasets.spec import AMOUNT, CODE, COUNT, DATE, PRICE, DatasetSpec, Partitioning

SPEC = DatasetSpec(
    name="morning_bars",
    catalog_id=20,
    path="/equities/bars/daily/am",
    title="前場四本値取得 (morning session bars)",
    description="Fetches today's morning-session bars of every issue (/equities/bars/daily/am, "
    "latest day only) and keeps every day fetched.",
    plan="premium",
    partitioning=Partitioning.LATEST,
    params={},
    key=("Date", "Code"),
    published="12:00",
    cron="30 12 * * 1-5",
    fields=(
        ("Date", DATE, "date"),
        ("Code", CODE, "code"),
        ("MO", PRICE, "open"),
        ("MH", PRICE, "high"),
        ("ML", PRICE, "low"),
        ("MC", PRICE, "close"),
        ("MVo", COUNT, "volume"),
        ("MVa", AMOUNT, "turnover_value"),
    ),
)

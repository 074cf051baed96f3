"""``/derivatives/bars/daily/options``: every option contract's daily bar (Premium).

Published about 03:00 the next morning, so the schedule fetches the previous
weekday; days with OSE holiday trading (HolDiv 3) have data.
"""

from moo_markets.datasets.spec import (
    AMOUNT,
    CODE,
    COUNT,
    DATE,
    PRICE,
    RATIO,
    TEXT,
    DatasetSpec,
    Partitioning,
    fields,
)

SPEC = DatasetSpec(
    name="options",
    catalog_id=19,
    path="/derivatives/bars/daily/options",
    bulk=True,
    title="オプション四本値取得 (options)",
    description="Fetches the day's bars of every option contract "
    "(/derivatives/bars/daily/options): index, JGB and equity options with IV and settlement.",
    plan="premium",
    partitioning=Partitioning.BUSINESS_DAY,
    partition_field="Date",
    key=("Date", "Code", "EmMrgnTrgDiv"),
    session_hol_divs=frozenset({"1", "2", "3"}),
    published="27:00",
    cron="0 4 * * 2-6",
    lag_days=1,
    fields=(
        *fields(CODE, "Code"),
        ("ProdCat", TEXT, "product_category"),
        ("UndSSO", TEXT, "underlying_code"),
        *fields(DATE, "Date"),
        *fields(PRICE, "O H L C MO MH ML MC EO EH EL EC AO AH AL AC"),
        *fields(COUNT, "Vo OI"),
        *fields(AMOUNT, "Va"),
        ("CM", TEXT, "contract_month"),
        *fields(PRICE, "Strike"),
        *fields(COUNT, "VoOA"),
        *fields(TEXT, "EmMrgnTrgDiv PCDiv"),
        *fields(DATE, "LTD SQD"),
        *fields(PRICE, "Settle Theo"),
        *fields(RATIO, "BaseVol"),
        *fields(PRICE, "UnderPx"),
        *fields(RATIO, "IV IR"),
        *fields(TEXT, "CCMFlag"),
    ),
)

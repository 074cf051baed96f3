"""``/derivatives/bars/daily/futures``: every futures contract's daily bar (Premium).

Published about 03:00 the next morning, so the schedule fetches the previous
weekday; days with OSE holiday trading (HolDiv 3) have data.
"""

from moo_markets.datasets.spec import (
    AMOUNT,
    CODE,
    COUNT,
    DATE,
    PRICE,
    TEXT,
    DatasetSpec,
    Partitioning,
    fields,
)

SPEC = DatasetSpec(
    name="futures",
    catalog_id=18,
    path="/derivatives/bars/daily/futures",
    bulk=True,
    title="先物四本値取得 (futures)",
    description="Fetches the day's bars of every futures contract "
    "(/derivatives/bars/daily/futures): sessions, volume, open interest, settlement.",
    plan="premium",
    partitioning=Partitioning.BUSINESS_DAY,
    partition_field="Date",
    key=("Date", "Code", "EmMrgnTrgDiv"),
    session_hol_divs=frozenset({"1", "2", "3"}),
    published="27:00",
    cron="45 3 * * 2-6",
    lag_days=1,
    fields=(
        *fields(CODE, "Code"),
        ("ProdCat", TEXT, "product_category"),
        *fields(DATE, "Date"),
        *fields(PRICE, "O H L C MO MH ML MC EO EH EL EC AO AH AL AC"),
        *fields(COUNT, "Vo OI"),
        *fields(AMOUNT, "Va"),
        ("CM", TEXT, "contract_month"),
        *fields(COUNT, "VoOA"),
        *fields(TEXT, "EmMrgnTrgDiv"),
        *fields(DATE, "LTD SQD"),
        *fields(PRICE, "Settle"),
        *fields(TEXT, "CCMFlag"),
    ),
)

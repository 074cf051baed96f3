"""``/derivatives/bars/daily/options/225``: Nikkei 225 options (Standard).

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
    name="options_225",
    catalog_id=14,
    path="/derivatives/bars/daily/options/225",
    bulk=True,
    title="日経225オプション四本値取得 (Nikkei 225 options)",
    description="Fetches the day's Nikkei 225 option bars (/derivatives/bars/daily/options/225): "
    "whole day, night and day sessions, volume, open interest, settlement, IV.",
    plan="standard",
    partitioning=Partitioning.BUSINESS_DAY,
    partition_field="Date",
    key=("Date", "Code", "EmMrgnTrgDiv"),
    session_hol_divs=frozenset({"1", "2", "3"}),
    published="27:00",
    cron="30 3 * * 2-6",
    lag_days=1,
    fields=(
        *fields(DATE, "Date"),
        *fields(CODE, "Code"),
        *fields(PRICE, "O H L C EO EH EL EC AO AH AL AC"),
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
    ),
)

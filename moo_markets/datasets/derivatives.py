"""What the three derivatives bar endpoints share: one declaration, so the futures, options
and Nikkei 225 options tables cannot drift apart on a field they all carry.

J-Quants publishes all three about 03:00 the next morning from the same OSE data (hence
``lag_days=1``), days with OSE holiday trading (HolDiv 3) have data, each contract has one
row per day and emergency-margin flag (``EmMrgnTrgDiv``), and all three come as monthly
bulk files. The field lists differ only where the endpoints do: the morning session
(``M*``, futures and all options, not the 225 options) and the option terms (strike,
put/call, theoretical price, IV). Each spec keeps its own field order (its table's
column order).
"""

from __future__ import annotations

from typing import Any

from moo_markets.datasets.spec import (
    AMOUNT,
    COUNT,
    DATE,
    PRICE,
    RATIO,
    TEXT,
    DatasetSpec,
    Field,
    Partitioning,
    fields,
)

COMMON: dict[str, Any] = {
    "bulk": True,
    "partitioning": Partitioning.BUSINESS_DAY,
    "partition_field": "Date",
    "key": ("Date", "Code", "EmMrgnTrgDiv"),
    "session_hol_divs": frozenset({"1", "2", "3"}),
    "published": "27:00",
    "lag_days": 1,
}


def prices(*, morning: bool) -> tuple[Field, ...]:
    """Whole day, (morning,) night and day session OHLC."""
    morning_session = "MO MH ML MC " if morning else ""
    return fields(PRICE, f"O H L C {morning_session}EO EH EL EC AO AH AL AC")


TRADING: tuple[Field, ...] = (
    *fields(COUNT, "Vo OI"),
    *fields(AMOUNT, "Va"),
    Field("CM", TEXT, "contract_month"),
)
"""Volume, open interest, turnover and contract month, right after the prices."""


def contract_terms(*, option: bool) -> tuple[Field, ...]:
    """From the off-auction volume to the settlement (and, for options, IV and rates)."""
    return (
        *(fields(PRICE, "Strike") if option else ()),
        *fields(COUNT, "VoOA"),
        *fields(TEXT, "EmMrgnTrgDiv PCDiv" if option else "EmMrgnTrgDiv"),
        *fields(DATE, "LTD SQD"),
        *fields(PRICE, "Settle Theo" if option else "Settle"),
        *(
            (*fields(RATIO, "BaseVol"), *fields(PRICE, "UnderPx"), *fields(RATIO, "IV IR"))
            if option
            else ()
        ),
    )


def derivatives_spec(**declared: Any) -> DatasetSpec:
    """A derivatives bar dataset: :data:`COMMON` plus what the endpoint declares itself."""
    return DatasetSpec(**{**COMMON, **declared})

"""``/equities/bars/daily``: every issue's daily bar (job 2, Free).

Its asset is hand-built (``moo_markets.daily_bars``: split refetch, the COPY
write path, the trading calendar, one run per backfill range); table, fields
and catalog entry come from here. Session fields (``M*`` morning, ``A*``
afternoon) are sent to Premium keys only and are NULL otherwise.
"""

from moo_markets.datasets.spec import (
    AMOUNT,
    COUNT,
    DATE,
    FACTOR,
    PRICE,
    DatasetSpec,
    Field,
    Partitioning,
    code,
)


def _bar_fields(prefix: str = "", column: str = "") -> tuple[Field, ...]:
    adjusted = "" if prefix else "AdjFactor"
    return (
        Field(f"{prefix}O", PRICE, f"{column}open"),
        Field(f"{prefix}H", PRICE, f"{column}high"),
        Field(f"{prefix}L", PRICE, f"{column}low"),
        Field(f"{prefix}C", PRICE, f"{column}close"),
        Field(f"{prefix}UL", code(1), f"{column}upper_limit"),
        Field(f"{prefix}LL", code(1), f"{column}lower_limit"),
        Field(f"{prefix}Vo", COUNT, f"{column}volume"),
        Field(f"{prefix}Va", COUNT, f"{column}turnover_value"),  # BIGINT: exceeds 2**31
        *((Field(adjusted, FACTOR, "adjustment_factor"),) if adjusted else ()),
        Field(f"{prefix}AdjO", PRICE, f"{column}adj_open"),
        Field(f"{prefix}AdjH", PRICE, f"{column}adj_high"),
        Field(f"{prefix}AdjL", PRICE, f"{column}adj_low"),
        Field(f"{prefix}AdjC", PRICE, f"{column}adj_close"),
        Field(f"{prefix}AdjVo", AMOUNT, f"{column}adj_volume"),  # fractional after splits
    )


SESSION_FIELDS = (*_bar_fields("M", "morning_"), *_bar_fields("A", "afternoon_"))

SPEC = DatasetSpec(
    name="daily_bars",
    catalog_id=2,
    path="/equities/bars/daily",
    bulk=True,
    title="日足データ取得 (daily bars)",
    description="Fetches the day's J-Quants daily bars (/equities/bars/daily) for every issue, "
    "business days only, and refetches the history of codes that split.",
    plan="free",
    partitioning=Partitioning.BUSINESS_DAY,
    partition_field="Date",
    key=("Date", "Code"),
    published="16:30",
    cron="0 18 * * 1-5",
    hook="moo_markets.daily_bars",
    extra_asset_keys=("trading_calendar",),
    table_comment="J-Quants /equities/bars/daily; no-trade days keep NULL prices and volume",
    column_comments=False,
    premium_fields=frozenset(f.source for f in SESSION_FIELDS),
    fields=(
        Field("Date", DATE, "date"),
        Field("Code", code(5), "code"),
        *_bar_fields(),
        *SESSION_FIELDS,
    ),
)

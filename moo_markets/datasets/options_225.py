"""``/derivatives/bars/daily/options/225``: Nikkei 225 options (Standard).

Published about 03:00 the next morning, so the schedule fetches the previous
weekday; days with OSE holiday trading (HolDiv 3) have data (``derivatives.COMMON``).
No morning session and no ``CCMFlag``, unlike ``/derivatives/bars/daily/options``.
"""

from moo_markets.datasets.derivatives import TRADING, contract_terms, derivatives_spec, prices
from moo_markets.datasets.spec import CODE, DATE, fields

SPEC = derivatives_spec(
    name="options_225",
    catalog_id=14,
    path="/derivatives/bars/daily/options/225",
    title="日経225オプション四本値取得 (Nikkei 225 options)",
    description="Fetches the day's Nikkei 225 option bars (/derivatives/bars/daily/options/225): "
    "whole day, night and day sessions, volume, open interest, settlement, IV.",
    plan="standard",
    cron="30 3 * * 2-6",
    fields=(
        *fields(DATE, "Date"),
        *fields(CODE, "Code"),
        *prices(morning=False),
        *TRADING,
        *contract_terms(option=True),
    ),
)

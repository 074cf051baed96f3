"""``/derivatives/bars/daily/futures``: every futures contract's daily bar (Premium).

Published about 03:00 the next morning, so the schedule fetches the previous
weekday; days with OSE holiday trading (HolDiv 3) have data (``derivatives.COMMON``).
"""

from moo_markets.datasets.derivatives import TRADING, contract_terms, derivatives_spec, prices
from moo_markets.datasets.spec import CODE, DATE, TEXT, fields

SPEC = derivatives_spec(
    name="futures",
    catalog_id=18,
    path="/derivatives/bars/daily/futures",
    title="先物四本値取得 (futures)",
    description="Fetches the day's bars of every futures contract "
    "(/derivatives/bars/daily/futures): sessions, volume, open interest, settlement.",
    plan="premium",
    cron="45 3 * * 2-6",
    fields=(
        *fields(CODE, "Code"),
        ("ProdCat", TEXT, "product_category"),
        *fields(DATE, "Date"),
        *prices(morning=True),
        *TRADING,
        *contract_terms(option=False),
        *fields(TEXT, "CCMFlag"),
    ),
)

"""``/derivatives/bars/daily/options``: every option contract's daily bar (Premium).

Published about 03:00 the next morning, so the schedule fetches the previous
weekday; days with OSE holiday trading (HolDiv 3) have data (``derivatives.COMMON``).
"""

from moo_markets.datasets.derivatives import TRADING, contract_terms, derivatives_spec, prices
from moo_markets.datasets.spec import CODE, DATE, TEXT, fields

SPEC = derivatives_spec(
    name="options",
    catalog_id=19,
    path="/derivatives/bars/daily/options",
    title="オプション四本値取得 (options)",
    description="Fetches the day's bars of every option contract "
    "(/derivatives/bars/daily/options): index, JGB and equity options with IV and settlement.",
    plan="premium",
    cron="0 4 * * 2-6",
    fields=(
        *fields(CODE, "Code"),
        ("ProdCat", TEXT, "product_category"),
        ("UndSSO", TEXT, "underlying_code"),
        *fields(DATE, "Date"),
        *prices(morning=True),
        *TRADING,
        *contract_terms(option=True),
        *fields(TEXT, "CCMFlag"),
    ),
)

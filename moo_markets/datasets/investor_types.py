"""``/equities/investor-types``: weekly trading by investor type (Light).

Corrections are added rows with a newer ``PubDate``, so the key includes it.
Values are thousand yen.
"""

from moo_markets.datasets.spec import AMOUNT, DATE, TEXT, DatasetSpec, Partitioning, fields

INVESTORS = "Prop Brk Tot Ind Frgn SecCo InvTr BusCo OthCo InsCo Bank TrstBnk OthFin"

SPEC = DatasetSpec(
    name="investor_types",
    catalog_id=8,
    path="/equities/investor-types",
    bulk=True,
    title="投資部門別売買状況取得 (investor types)",
    description="Fetches the trading by investor type published during a week "
    "(/equities/investor-types), thousand yen per section and investor type.",
    plan="light",
    partitioning=Partitioning.WEEKLY,
    partition_field="PubDate",
    params={"from": "{first}", "to": "{last}"},
    key=("PubDate", "Section", "StDate", "EnDate"),
    published="18:00",
    cron="30 18 * * 4",
    fields=(
        ("PubDate", DATE, "pub_date"),
        ("StDate", DATE, "start_date"),
        ("EnDate", DATE, "end_date"),
        ("Section", TEXT, "section"),
        *fields(
            AMOUNT,
            " ".join(f"{i}{s}" for i in INVESTORS.split() for s in ("Sell", "Buy", "Tot", "Bal")),
        ),
    ),
)

"""``/fins/dividend``: dividend notices, one row per notice (Premium).

Corrections are new notices (``StatCode`` 2, ``CARefNo`` the corrected one).

``-`` and ``""`` are different answers: ``-`` is "undecided" (未定: the board has not set the
rate or the date yet, a later notice will), ``""`` is "none" (nothing applies, e.g. no
commemorative dividend). Both leave the exactly typed column NULL, so the ``-`` is kept in
``<column>_mark`` (``div_rate_mark = '-'``: undecided; NULL with a NULL rate: none).
"""

from moo_markets.datasets.spec import (
    CODE,
    DATE,
    PRICE,
    RATIO,
    TEXT,
    TIME,
    DatasetSpec,
    Partitioning,
    fields,
)

SPEC = DatasetSpec(
    name="dividends",
    catalog_id=16,
    path="/fins/dividend",
    bulk=True,
    title="配当金情報取得 (dividends)",
    description="Fetches the dividend notices published on a date (/fins/dividend): rates, "
    "record, ex and payment dates; corrections are notices of their own.",
    plan="premium",
    partitioning=Partitioning.DISCLOSURE_DATE,
    partition_field="PubDate",
    key=("PubDate", "RefNo"),
    published="19:00",
    cron="30 19 * * 1-5",
    null_strings=frozenset({"", "-"}),
    markers=(
        "DivRate",
        "RecDate",
        "ExDate",
        "ActRecDate",
        "PayDate",
        "DistAmt",
        "RetEarn",
        "DeemDiv",
        "DeemCapGains",
        "NetAssetDecRatio",
        "CommDivRate",
        "SpecDivRate",
    ),  # fmt: skip
    fields=(
        *fields(DATE, "PubDate"),
        *fields(TIME, "PubTime"),
        *fields(CODE, "Code"),
        *fields(TEXT, "RefNo StatCode"),
        *fields(DATE, "BoardDate"),
        *fields(TEXT, "IFCode FRCode IFTerm"),
        *fields(PRICE, "DivRate"),
        *fields(DATE, "RecDate ExDate ActRecDate PayDate"),
        *fields(TEXT, "CARefNo"),
        *fields(PRICE, "DistAmt RetEarn DeemDiv DeemCapGains"),
        *fields(RATIO, "NetAssetDecRatio"),
        *fields(TEXT, "CommSpecCode"),
        *fields(PRICE, "CommDivRate SpecDivRate"),
    ),
)

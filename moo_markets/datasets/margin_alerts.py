"""``/markets/margin-alert``: margin balances of issues under daily publication (Standard).

Corrections are added rows with a newer ``PubDate``.

``-`` and ``*`` are stored as NULL, losing nothing: each field that may carry one is
otherwise always a number (docs/jquants-datasets.md), so NULL means exactly that marker.
``-`` in the six ``*Chg`` changes: the issue was not published the day before, so there is
no change to state (not a zero change). ``*`` in ``ShrtOutRatio``/``LongOutRatio``: an ETF,
for which no ratio to listed shares is computed. Typed NULLs keep the columns numeric for
sums and ratios, where a stored ``-`` or a 0 would be wrong.
"""

from moo_markets.datasets.spec import (
    CODE,
    COUNT,
    DATE,
    FLAG,
    RATIO,
    TEXT,
    DatasetSpec,
    Partitioning,
    fields,
)

REASONS = (
    "Restricted DailyPublication Monitoring RestrictedByJSF PrecautionByJSF UnclearOrSecOnAlert"
)

SPEC = DatasetSpec(
    name="margin_alerts",
    catalog_id=11,
    path="/markets/margin-alert",
    bulk=True,
    title="日々公表信用取引残高取得 (margin alerts)",
    description="Fetches the margin balances published on a date for issues under daily "
    "publication (/markets/margin-alert), with the reasons of the publication.",
    plan="standard",
    partitioning=Partitioning.DISCLOSURE_DATE,
    partition_field="PubDate",
    key=("PubDate", "Code", "AppDate"),
    published="16:30",
    cron="0 17 * * 1-5",
    null_strings=frozenset({"", "-", "*"}),
    fields=(
        ("PubDate", DATE, "pub_date"),
        ("Code", CODE, "code"),
        ("AppDate", DATE, "application_date"),
        *(fields(FLAG, " ".join(f"PubReason.{r}" for r in REASONS.split()))),
        *fields(COUNT, "ShrtOut ShrtOutChg LongOut LongOutChg"),
        *fields(RATIO, "ShrtOutRatio LongOutRatio SLRatio"),
        *fields(COUNT, "ShrtNegOut ShrtNegOutChg ShrtStdOut ShrtStdOutChg"),
        *fields(COUNT, "LongNegOut LongNegOutChg LongStdOut LongStdOutChg"),
        ("TSEMrgnRegCls", TEXT, "tse_margin_regulation"),
    ),
)

"""``/equities/valuation``: EPS, BPS, ROE, PER, PBR and market cap per issue and day (Free)."""

from moo_markets.datasets.spec import AMOUNT, CODE, DATE, PRICE, RATIO, DatasetSpec, Partitioning

SPEC = DatasetSpec(
    name="valuation",
    catalog_id=3,
    path="/equities/valuation",
    bulk=True,
    title="バリュエーション取得 (valuation)",
    description="Fetches the day's J-Quants valuation indicators (/equities/valuation) for every "
    "issue: EPS, BPS, ROE, PER, PBR (actual and forecast) and market cap; business days only.",
    plan="free",
    partitioning=Partitioning.BUSINESS_DAY,
    partition_field="Date",
    key=("Date", "Code"),
    published="16:30",
    cron="0 17 * * 1-5",
    fields=(
        ("Date", DATE, "date"),
        ("Code", CODE, "code"),
        ("EPS", PRICE, "eps"),
        ("FwdEPS", PRICE, "forecast_eps"),
        ("BPS", PRICE, "bps"),
        ("ROE", RATIO, "roe"),
        ("FwdROE", RATIO, "forecast_roe"),
        ("PER", RATIO, "per"),
        ("FwdPER", RATIO, "forecast_per"),
        ("PBR", RATIO, "pbr"),
        ("MktCap", AMOUNT, "market_cap_million_yen"),
    ),
)

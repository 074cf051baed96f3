"""Every dataset moo_markets keeps, in catalog-id order.

A simple list: adding a dataset is one module with a ``SPEC`` plus one line
here. Catalog ids are fixed and never reused: 1 ``listed_companies`` and
2 ``daily_bars`` (:mod:`moo_markets.core.catalog`), then these. Ids reserved
for the datasets of issue 13 (keep them even while a module is missing):
3 valuation, 4 fins_summary, 5 topix, 6 earnings_dates, 7 earnings_calendar,
8 investor_types, 9 indices, 10 margin_interest, 11 margin_alerts,
12 short_ratio, 13 short_sale_reports, 14 options_225, 15 fins_details,
16 dividends, 17 breakdown, 18 futures, 19 options, 20 morning_bars.
"""

from __future__ import annotations

from moo_markets.datasets import fins_summary, topix, valuation
from moo_markets.datasets.spec import DatasetSpec

SPECS: tuple[DatasetSpec, ...] = (
    valuation.SPEC,
    fins_summary.SPEC,
    topix.SPEC,
)


def find(name: str) -> DatasetSpec | None:
    for spec in SPECS:
        if spec.name == name:
            return spec
    return None

"""Every dataset moo_markets keeps, in catalog-id order.

A simple list: adding a dataset is one module with a ``SPEC`` plus one line
here. Catalog ids are fixed and never reused: 1 ``listed_companies`` and
2 ``daily_bars`` (whose assets are hand-built, see ``DatasetSpec.hook``), then
the generic datasets from 3. Ids reserved
for a retired dataset stay in ``catalog.RETIRED_IDS``; 21 is ``recheck``
(``catalog.OTHER_JOBS``); the next new one is 22.
"""

from __future__ import annotations

from moo_markets.datasets import (
    breakdown,
    daily_bars,
    dividends,
    earnings_calendar,
    earnings_dates,
    fins_details,
    fins_summary,
    futures,
    indices,
    investor_types,
    listed_companies,
    margin_alerts,
    margin_interest,
    morning_bars,
    options,
    options_225,
    short_ratio,
    short_sale_reports,
    topix,
    valuation,
)
from moo_markets.datasets.spec import DatasetSpec

SPECS: tuple[DatasetSpec, ...] = (
    listed_companies.SPEC,
    daily_bars.SPEC,
    valuation.SPEC,
    fins_summary.SPEC,
    topix.SPEC,
    earnings_dates.SPEC,
    earnings_calendar.SPEC,
    investor_types.SPEC,
    indices.SPEC,
    margin_interest.SPEC,
    margin_alerts.SPEC,
    short_ratio.SPEC,
    short_sale_reports.SPEC,
    options_225.SPEC,
    fins_details.SPEC,
    dividends.SPEC,
    breakdown.SPEC,
    futures.SPEC,
    options.SPEC,
    morning_bars.SPEC,
)


GENERIC_SPECS: tuple[DatasetSpec, ...] = tuple(s for s in SPECS if s.hook is None)
"""The datasets whose asset, job and schedule ``moo_markets.ingest`` builds."""


def find(name: str) -> DatasetSpec | None:
    for spec in SPECS:
        if spec.name == name:
            return spec
    return None

"""Checks on the bars a run stored, evaluated by the ``daily_bars`` asset itself.

They are ``check_specs`` of the asset rather than separate ``@asset_check``
steps: the asset reports one materialization per day as it commits them and
yields no output (see ``assets.py``), and Dagster skips a separate check step
whose asset yielded no output.

The checks read the warehouse, not the run's memory: right after a day
commits, :class:`RunChecks` runs three small queries bounded to that date
(the primary key starts with ``date``). In a paced backfill this happens
while the fetch thread waits for its next request slot, so checking a
ten-year backfill costs no wall time and no full-table scan at the end.
"""

import datetime as dt
from dataclasses import dataclass, field

import dagster as dg
import sqlalchemy as sa

from moo_markets.warehouse.schema import daily_bars, listed_companies

ASSET = "daily_bars"
UNIQUE = "rows_unique_per_date_code"
ROW_COUNT = "row_count_near_listing_count"
OHLC = "ohlc_consistent"

ROW_COUNT_TOLERANCE = 0.05
"""Allowed relative gap between a day's rows and its reference count (listings or previous day).

Issues list and delist a handful at a time, so a day outside +-5 % means a
truncated or duplicated ingest, not market reality.
"""

SAMPLE = 20

CHECK_SPECS = [
    dg.AssetCheckSpec(UNIQUE, asset=ASSET, description="No (date, code) is stored twice."),
    dg.AssetCheckSpec(
        ROW_COUNT,
        asset=ASSET,
        description="Each business day's row count is within 5 % of the listing count stored "
        "for that date (listed_companies), else of the previous business day's row count.",
    ),
    dg.AssetCheckSpec(
        OHLC,
        asset=ASSET,
        description="Low <= Open, Close <= High wherever they are not NULL (raw and adjusted).",
    ),
]


def _ohlc_violation(prefix: str) -> sa.ColumnElement[bool]:
    c = daily_bars.c
    o, h, lo, cl = (c[f"{prefix}open"], c[f"{prefix}high"], c[f"{prefix}low"], c[f"{prefix}close"])
    # Comparisons with NULL are not true, so no-trade rows (all NULL) never count.
    return sa.or_(lo > h, o < lo, o > h, cl < lo, cl > h)


_OHLC_BAD = sa.or_(_ohlc_violation(""), _ohlc_violation("adj_"))


def _count(connection: sa.Connection, table: sa.Table, day: dt.date) -> int:
    return connection.execute(
        sa.select(sa.func.count()).select_from(table).where(table.c.date == day)
    ).scalar_one()


@dataclass
class RunChecks:
    """Check outcomes accumulated day by day over a run's business days."""

    days: list[dt.date] = field(default_factory=list)
    duplicates: list[str] = field(default_factory=list)
    outside_band: list[str] = field(default_factory=list)
    without_reference: int = 0
    largest_gap: float = 0.0
    ohlc_violations: int = 0
    ohlc_sample: list[str] = field(default_factory=list)
    _previous: tuple[dt.date, int] | None = None

    def add_day(self, connection: sa.Connection, day: dt.date) -> None:
        """Check one committed business day (days must come in date order).

        One aggregate query over the day's rows answers all three checks;
        offending rows are looked up only when there are some.
        """
        self.days.append(day)
        c = daily_bars.c
        rows, codes, bad = connection.execute(
            sa.select(
                sa.func.count(),
                sa.func.count(sa.distinct(c.code)),
                sa.func.coalesce(sa.func.sum(sa.case((_OHLC_BAD, 1), else_=0)), 0),
            ).where(c.date == day)
        ).one()

        if codes != rows:
            for code, n in connection.execute(
                sa.select(c.code, sa.func.count())
                .where(c.date == day)
                .group_by(c.code)
                .having(sa.func.count() > 1)
                .limit(SAMPLE)
            ):
                self.duplicates.append(f"{day}/{code} x{n}")

        reference = _count(connection, listed_companies, day) or self._previous_count(
            connection, day
        )
        if reference:
            gap = abs(rows - reference) / reference
            self.largest_gap = max(self.largest_gap, gap)
            if gap > ROW_COUNT_TOLERANCE:
                self.outside_band.append(f"{day}: {rows} rows vs {reference}")
        else:
            self.without_reference += 1
        self._previous = (day, rows)

        if bad:
            self.ohlc_violations += bad
            room = SAMPLE - len(self.ohlc_sample)
            sample = connection.execute(
                sa.select(c.code).where(c.date == day, _OHLC_BAD).limit(max(room, 0))
            ).scalars()
            self.ohlc_sample += [f"{day}/{code}" for code in sample]

    def _previous_count(self, connection: sa.Connection, day: dt.date) -> int | None:
        if self._previous is not None:
            return self._previous[1] or None
        previous_day = connection.execute(
            sa.select(sa.func.max(daily_bars.c.date)).where(daily_bars.c.date < day)
        ).scalar_one_or_none()
        return _count(connection, daily_bars, previous_day) if previous_day else None

    def results(self) -> list[dg.AssetCheckResult]:
        if not self.days:
            note = {"days_checked": 0, "note": "no business day in this run: nothing stored"}
            return [
                dg.AssetCheckResult(check_name=name, passed=True, metadata=note)
                for name in (UNIQUE, ROW_COUNT, OHLC)
            ]
        scope = {
            "days_checked": len(self.days),
            "first_day": min(self.days).isoformat(),
            "last_day": max(self.days).isoformat(),
        }
        return [
            dg.AssetCheckResult(
                check_name=UNIQUE,
                passed=not self.duplicates,
                severity=dg.AssetCheckSeverity.ERROR,
                metadata={
                    **scope,
                    "duplicated_keys": len(self.duplicates),
                    "duplicates_sample": ", ".join(self.duplicates[:SAMPLE]),
                },
            ),
            dg.AssetCheckResult(
                check_name=ROW_COUNT,
                passed=not self.outside_band,
                severity=dg.AssetCheckSeverity.WARN,
                metadata={
                    **scope,
                    "days_outside_band": len(self.outside_band),
                    "days_without_reference": self.without_reference,
                    "largest_relative_gap": round(self.largest_gap, 4),
                    "tolerance": ROW_COUNT_TOLERANCE,
                    "outside_sample": "; ".join(self.outside_band[:SAMPLE]),
                },
            ),
            dg.AssetCheckResult(
                check_name=OHLC,
                passed=self.ohlc_violations == 0,
                severity=dg.AssetCheckSeverity.ERROR,
                metadata={
                    **scope,
                    "violations": self.ohlc_violations,
                    "violations_sample": ", ".join(self.ohlc_sample),
                },
            ),
        ]

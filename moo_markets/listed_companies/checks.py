"""Asset checks on the stored listed-company snapshot.

They read the warehouse, not the run's memory, so they also catch damage done
outside Dagster. The snapshot checked is the one the latest materialization
reported (falling back to the newest stored date).
"""

import datetime as dt

import dagster as dg
import sqlalchemy as sa

from moo_markets.listed_companies import store
from moo_markets.listed_companies.assets import listed_companies
from moo_markets.warehouse.resource import WarehouseResource
from moo_markets.warehouse.schema import listed_companies as table


def _checked_date(
    context: dg.AssetCheckExecutionContext, connection: sa.Connection
) -> dt.date | None:
    event = context.instance.get_latest_materialization_event(listed_companies.key)
    materialization = event.asset_materialization if event else None
    if materialization and "snapshot_date" in materialization.metadata:
        return dt.date.fromisoformat(materialization.metadata["snapshot_date"].value)
    return store.latest_snapshot_date(connection)


@dg.asset_check(asset=listed_companies, blocking=True, description="The snapshot has rows.")
def listed_companies_not_empty(
    context: dg.AssetCheckExecutionContext, warehouse: WarehouseResource
) -> dg.AssetCheckResult:
    with warehouse.begin() as connection:
        date = _checked_date(context, connection)
        rows = connection.execute(
            sa.select(sa.func.count()).select_from(table).where(table.c.date == date)
        ).scalar_one()
    return dg.AssetCheckResult(passed=rows > 0, metadata={"snapshot_date": str(date), "rows": rows})


@dg.asset_check(asset=listed_companies, description="(date, code) is unique in the snapshot.")
def listed_companies_unique(
    context: dg.AssetCheckExecutionContext, warehouse: WarehouseResource
) -> dg.AssetCheckResult:
    with warehouse.begin() as connection:
        date = _checked_date(context, connection)
        duplicates = (
            connection.execute(
                sa.select(table.c.code)
                .where(table.c.date == date)
                .group_by(table.c.code)
                .having(sa.func.count() > 1)
            )
            .scalars()
            .all()
        )
    return dg.AssetCheckResult(
        passed=not duplicates,
        metadata={"snapshot_date": str(date), "duplicate_codes": ", ".join(duplicates[:50])},
    )


@dg.asset_check(
    asset=listed_companies, description="Every code has 5 characters (e.g. 72030, 130A0)."
)
def listed_companies_code_format(
    context: dg.AssetCheckExecutionContext, warehouse: WarehouseResource
) -> dg.AssetCheckResult:
    with warehouse.begin() as connection:
        date = _checked_date(context, connection)
        codes = connection.execute(sa.select(table.c.code).where(table.c.date == date)).scalars()
        bad = sorted(c for c in codes if len(c) != 5 or not c.isalnum())
    return dg.AssetCheckResult(
        passed=not bad, metadata={"snapshot_date": str(date), "bad_codes": ", ".join(bad[:50])}
    )


CHECKS = [listed_companies_not_empty, listed_companies_unique, listed_companies_code_format]

"""The asset of a declared dataset, built from its spec (no per-dataset code).

One run fetches one partition (or the latest snapshot) through the paced,
retrying J-Quants client, converts every row exactly as the spec declares,
and replaces the partition in one transaction. Its checks read back what was
stored: keys unique, rows present on a day that must have them, and every
stored value equal, in value and Python type, to the converted row (so a
column that rounds or retypes a value fails the check).

A run of a partition range (a UI backfill, a range launched by the REST API or
a schedule catching up) is handled in that one run (``ingest/backfill.py``):
partitioned datasets (``DatasetSpec.single_run_backfill``: daily and weekly) take
``BackfillPolicy.single_run()`` so a UI backfill of five years is one run, whole
months come from J-Quants' monthly files, and each partition is committed and
reported on its own, as ``daily_bars`` does.

Plans: a dataset above ``JQUANTS_PLAN`` fails at once, saying so; a partition
outside the plan's history window is not requested; a 403 from J-Quants reads
"plan X does not include /path (HTTP 403)".

No ``from __future__ import annotations``: Dagster reads the annotations.
"""

import warnings
from collections.abc import Iterator
from typing import Any

import dagster as dg
from pydantic import Field

from moo_markets.daily_bars import calendar
from moo_markets.datasets.spec import DatasetSpec, Partitioning
from moo_markets.ingest import backfill
from moo_markets.ingest.partition import (
    check_names,
    check_plan,
    metadata,
    partition_checks,
    rest_partition,
    session_of,
    table_metadata,
)
from moo_markets.ingest.partitions import partitions_for
from moo_markets.jobs import stop_is_final
from moo_markets.jquants import JQuantsResource
from moo_markets.jquants_pool import JQUANTS_POOL
from moo_markets.warehouse.resource import WarehouseResource


class DatasetConfig(dg.Config):
    use_bulk_files: bool = Field(
        default=True,
        description="In a run of several partitions, load whole months from J-Quants' "
        "monthly bulk files (one request per month instead of one per partition; Light plan "
        "and up, datasets with bulk files). Off: every partition by REST.",
    )
    reload_unchanged_bulk_files: bool = Field(
        default=False,
        description="Download a month's bulk file again even when the stored month came from "
        "the same file (same LastModified) and still holds its rows.",
    )


def check_specs(spec: DatasetSpec) -> list[dg.AssetCheckSpec]:
    names = check_names(spec)
    key = ", ".join(spec.key_columns)
    return [
        dg.AssetCheckSpec(names["unique"], asset=spec.name, description=f"No ({key}) twice."),
        dg.AssetCheckSpec(
            names["not_empty"],
            asset=spec.name,
            description="A business day's partition has rows"
            if spec.must_have_rows
            else "Informational: this dataset may legitimately be empty for a partition.",
        ),
        dg.AssetCheckSpec(
            names["types"],
            asset=spec.name,
            description="Every stored value equals the converted J-Quants value, with the "
            "declared type (exact decimals, dates as dates). A bulk month PostgreSQL converts "
            "in SQL is validated value by value in SQL by the same rules before it is written "
            "(rows_compared counts those rows) and its preview rows per day, converted in "
            "Python from the loaded cells, are compared with the stored ones.",
        ),
    ]


def description(spec: DatasetSpec) -> str:
    return (
        f"{spec.description} J-Quants {spec.path} ({spec.plan} plan and up), partitioned by "
        f"{spec.partitioning.value}, stored in the warehouse table `{spec.table}` keyed by "
        f"({', '.join(spec.key_columns)}). Published about {spec.published} JST."
    )


# --------------------------------------------------------------------------- the run


def materialize(
    spec: DatasetSpec,
    context: dg.AssetExecutionContext,
    jquants: JQuantsResource,
    warehouse: WarehouseResource,
) -> dg.MaterializeResult:
    """A single-partition (or latest-snapshot) run."""
    key = context.partition_key if spec.partitioned else None
    query = spec.query(key)
    plan = jquants.effective_plan()
    check_plan(spec, plan, query, key)
    session = "open"
    if spec.partitioning is Partitioning.BUSINESS_DAY and query.first is not None:
        hol_div = calendar.hol_divs_for(context, jquants, warehouse, [query.first])[query.first]
        session = session_of(spec, hol_div)
    result = rest_partition(spec, context, jquants, warehouse, plan, key, session)
    return dg.MaterializeResult(
        metadata=metadata(spec, result), check_results=partition_checks(spec, result)
    )


def _asset_options(spec: DatasetSpec) -> dict[str, Any]:
    partitions = partitions_for(spec)
    options: dict[str, Any] = {"partitions_def": partitions}
    if partitions is not None:
        # A range run reports each partition as it commits and yields no output of its own.
        options["output_required"] = False
    if spec.single_run_backfill:
        options["backfill_policy"] = dg.BackfillPolicy.single_run()
    return options


def build_asset(spec: DatasetSpec) -> dg.AssetsDefinition:
    """The spec's asset: partitioned as declared, in the ``jquants`` pool, with its checks."""
    with warnings.catch_warnings():
        # Dagster 1.13 flags `backfill_policy` as beta on every import; single-run backfills
        # are what partitioned datasets are built and tested for (as daily_bars).
        warnings.simplefilter("ignore", dg.BetaWarning)
        decorate = dg.asset(
            name=spec.name,
            group_name="jquants",
            kinds={"sql"},
            pool=JQUANTS_POOL,
            description=description(spec),
            metadata=table_metadata(spec),
            check_specs=check_specs(spec),
            **_asset_options(spec),
        )

    @decorate
    @stop_is_final
    def dataset_asset(
        context: dg.AssetExecutionContext,
        config: DatasetConfig,
        jquants: JQuantsResource,
        warehouse: WarehouseResource,
    ) -> Iterator[Any]:
        if spec.partitioned and len(context.partition_keys) > 1:
            yield from backfill.materialize_range(spec, context, config, jquants, warehouse)
        else:
            yield materialize(spec, context, jquants, warehouse)

    return dataset_asset

"""The asset of a declared dataset, built from its spec (no per-dataset code).

One run fetches one partition (or the latest snapshot) through the paced,
retrying J-Quants client, converts every row exactly as the spec declares,
and replaces the partition in one transaction. Its checks read back what was
stored: keys unique, rows present on a day that must have them, and every
stored value equal, in value and Python type, to the converted row (so a
column that rounds or retypes a value fails the check).

Plans: a dataset above ``JQUANTS_PLAN`` fails at once, saying so; a partition
outside the plan's history window is not requested; a 403 from J-Quants reads
"plan X does not include /path (HTTP 403)".

No ``from __future__ import annotations``: Dagster reads the annotations.
"""

import time
from collections import Counter
from typing import Any

import dagster as dg

from moo_markets.core.plans import history_window, refusal
from moo_markets.core.time import today_jst
from moo_markets.daily_bars import calendar
from moo_markets.datasets.spec import ConversionError, DatasetSpec, Partitioning, Query
from moo_markets.ingest import store
from moo_markets.ingest.partitions import partitions_for
from moo_markets.jobs import JQUANTS_POOL, stop_is_final
from moo_markets.jquants import JQuantsResource
from moo_markets.jquants.errors import JQuantsRequestError
from moo_markets.metadata import markdown_table
from moo_markets.warehouse.resource import WarehouseResource

PREVIEW_ROWS = 10


def column_schema(spec: DatasetSpec) -> dg.TableSchema:
    """The table's columns as the Dagster catalog shows them."""
    key = set(spec.key)
    return dg.TableSchema(
        columns=[
            dg.TableColumn(
                f.column,
                f.type.name,
                description=f"J-Quants {f.source}"
                + (" (Premium only)" if f.source in spec.premium_fields else ""),
                constraints=dg.TableColumnConstraints(nullable=f.source not in key),
            )
            for f in spec.columns
        ],
        constraints=dg.TableConstraints(other=[f"primary key ({', '.join(spec.key_columns)})"]),
    )


def table_metadata(spec: DatasetSpec) -> dict[str, Any]:
    return {
        "dagster/column_schema": column_schema(spec),
        "dagster/table_name": spec.table,
        "jquants_path": spec.path,
        "jquants_plan": spec.plan,
        "partitioning": spec.partitioning.value,
        "published_jst": spec.published,
    }


def check_names(spec: DatasetSpec) -> dict[str, str]:
    return {
        "unique": f"{spec.name}_unique_key",
        "not_empty": f"{spec.name}_not_empty",
        "types": f"{spec.name}_types",
    }


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
            "declared type (exact decimals, dates as dates).",
        ),
    ]


def description(spec: DatasetSpec) -> str:
    return (
        f"{spec.description} J-Quants {spec.path} ({spec.plan} plan and up), partitioned by "
        f"{spec.partitioning.value}, stored in the warehouse table `{spec.table}` keyed by "
        f"({', '.join(spec.key_columns)}). Published about {spec.published} JST."
    )


# --------------------------------------------------------------------------- the run


def _check_plan(spec: DatasetSpec, plan: str, query: Query, key: str | None) -> None:
    reason = spec.unavailable_reason(plan)
    if reason:
        raise dg.Failure(f"plan {plan} does not include {spec.path}: {reason}", allow_retries=False)
    if query.first is None or query.last is None:
        return
    window = history_window(plan, today_jst())
    overlaps = query.last >= window.first and (window.last is None or query.first <= window.last)
    inside = overlaps if spec.partitioning is Partitioning.WEEKLY else window.contains(query.first)
    if not inside:
        raise dg.Failure(
            f"{spec.path} partition {key} was not requested: it lies outside the J-Quants "
            f"history window ({window.describe()})",
            allow_retries=False,
        )


def fetch(spec: DatasetSpec, jquants: JQuantsResource, plan: str, query: Query) -> list[dict]:
    """Every row of the partition's query; J-Quants' refusals as clear, final failures."""
    try:
        return [
            row for page in jquants.client.dataset_pages(spec.path, query.params) for row in page
        ]
    except JQuantsRequestError as exc:
        detail = refusal(plan, spec.path, exc.status, exc.message) or str(exc)
        raise dg.Failure(detail, allow_retries=False) from None


def _key_of(spec: DatasetSpec, record: dict[str, Any]) -> tuple:
    return tuple(record[c] for c in spec.key_columns)


def _type_mismatches(
    spec: DatasetSpec, records: list[dict[str, Any]], stored: list[dict[str, Any]]
) -> list[str]:
    """Values stored differently from how they were converted (value or Python type)."""
    by_key = {_key_of(spec, r): r for r in stored}
    problems = []
    for record in records:
        row = by_key.get(_key_of(spec, record))
        if row is None:
            problems.append(f"{_key_of(spec, record)} not stored")
            continue
        for f in spec.columns:
            want, got = record[f.column], row[f.column]
            if want is None and got is None:
                continue
            if got is None or not isinstance(got, f.type.python) or got != want:
                problems.append(f"{_key_of(spec, record)} {f.column}: {want!r} stored as {got!r}")
    return problems


def materialize(
    spec: DatasetSpec,
    context: dg.AssetExecutionContext,
    jquants: JQuantsResource,
    warehouse: WarehouseResource,
) -> dg.MaterializeResult:
    started = time.monotonic()
    key = context.partition_key if spec.partitioned else None
    query = spec.query(key)
    plan = jquants.effective_plan()
    _check_plan(spec, plan, query, key)

    session = "open"
    if spec.partitioning is Partitioning.BUSINESS_DAY and query.first is not None:
        hol_div = calendar.hol_divs_for(context, jquants, warehouse, [query.first])[query.first]
        if hol_div not in spec.session_hol_divs:
            session = f"closed (HolDiv {hol_div})"

    records: list[dict[str, Any]] = []
    if session == "open":
        rows = fetch(spec, jquants, plan, query)
        try:
            records = spec.records(rows)
        except ConversionError as exc:
            raise dg.Failure(
                f"J-Quants sent a value moo_markets cannot store exactly: {exc}"
            ) from None
        repeated = [k for k, n in Counter(_key_of(spec, r) for r in records).items() if n > 1]
        if repeated:
            raise dg.Failure(
                f"J-Quants sent {len(repeated)} key(s) of {spec.path} more than once, first "
                f"{repeated[0]} (key {spec.key}); nothing was stored"
            )
        with warehouse.begin() as connection:
            store.replace_partition(connection, spec, query.first, query.last, records)
        context.log.info(f"stored {len(records)} rows of {spec.path} for {key or 'latest'}")
    else:
        context.log.info(f"{key} is {session}: {spec.path} has no data for it, nothing fetched")

    with warehouse.begin() as connection:
        duplicates = store.duplicate_keys(connection, spec, query.first, query.last, records)
        stored = store.stored(connection, spec, query.first, query.last, records)
    mismatches = _type_mismatches(spec, records, stored)
    names = check_names(spec)
    empty_is_wrong = spec.must_have_rows and session == "open"
    checks = [
        dg.AssetCheckResult(
            check_name=names["unique"],
            passed=duplicates == 0,
            metadata={"duplicated_keys": duplicates},
        ),
        dg.AssetCheckResult(
            check_name=names["not_empty"],
            passed=bool(records) or not empty_is_wrong,
            severity=dg.AssetCheckSeverity.ERROR if empty_is_wrong else dg.AssetCheckSeverity.WARN,
            metadata={"rows": len(records), "session": session},
        ),
        dg.AssetCheckResult(
            check_name=names["types"],
            passed=not mismatches,
            metadata={"mismatches": len(mismatches), "first": "; ".join(mismatches[:5])},
        ),
    ]
    client = jquants.client if session == "open" else None
    preview_columns = [f.column for f in spec.columns][:8]
    return dg.MaterializeResult(
        metadata={
            **table_metadata(spec),
            "dagster/row_count": len(stored),
            "fetched_rows": len(records),
            "partition_first_day": query.first.isoformat() if query.first else None,
            "partition_last_day": query.last.isoformat() if query.last else None,
            "query": dg.MetadataValue.json(query.params),
            "session": session,
            "duration_seconds": round(time.monotonic() - started, 3),
            "jquants_requests": client.stats.requests if client else 0,
            "jquants_retries": client.stats.retries if client else 0,
            "preview": dg.MetadataValue.md(
                markdown_table(records[:PREVIEW_ROWS], preview_columns, limit=PREVIEW_ROWS)
            ),
        },
        check_results=checks,
    )


def build_asset(spec: DatasetSpec) -> dg.AssetsDefinition:
    """The spec's asset: partitioned as declared, in the ``jquants`` pool, with its checks."""

    @dg.asset(
        name=spec.name,
        group_name="jquants",
        kinds={"sql"},
        pool=JQUANTS_POOL,
        partitions_def=partitions_for(spec),
        description=description(spec),
        metadata=table_metadata(spec),
        check_specs=check_specs(spec),
    )
    @stop_is_final
    def dataset_asset(
        context: dg.AssetExecutionContext, jquants: JQuantsResource, warehouse: WarehouseResource
    ) -> dg.MaterializeResult:
        return materialize(spec, context, jquants, warehouse)

    return dataset_asset

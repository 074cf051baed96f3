"""One partition of a declared dataset: what it stored, its metadata and its checks.

A single-partition run (a schedule tick, run-now) and a range run
(``ingest/backfill.py``) share this: the REST path of one partition (fetch,
exact conversion, replace in one transaction, read back) and the metadata a
partition's materialization carries, whichever way its rows came, so a backfill's partitions look the same as the
schedule's.
"""

import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import dagster as dg

from moo_markets.core.plans import Window, history_window, refusal
from moo_markets.core.time import today_jst
from moo_markets.datasets.spec import ConversionError, DatasetSpec, Partitioning, Query
from moo_markets.ingest import store
from moo_markets.jquants import JQuantsResource
from moo_markets.jquants.errors import JQuantsRequestError
from moo_markets.metadata import markdown_table
from moo_markets.warehouse.resource import WarehouseResource

PREVIEW_ROWS = 10
REST = "rest"
"""``source`` of a partition fetched by REST (else: the bulk file's key)."""


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


# --------------------------------------------------------------------------- plans


def unavailable(spec: DatasetSpec, plan: str) -> dg.Failure | None:
    """The failure of a run of a dataset above the plan (None: the plan has it)."""
    reason = spec.unavailable_reason(plan)
    if reason:
        return dg.Failure(
            f"plan {plan} does not include {spec.path}: {reason}", allow_retries=False
        )
    return None


def outside_window(spec: DatasetSpec, window: Window, query: Query) -> bool:
    """Whether the partition of ``query`` lies outside the plan's history window (a weekly
    partition counts as inside when any of its days is: :meth:`Window.holds`)."""
    if query.first is None or query.last is None:
        return False
    return not window.holds(query.first, query.last)


def check_plan(spec: DatasetSpec, plan: str, query: Query, key: str | None) -> None:
    failure = unavailable(spec, plan)
    if failure is not None:
        raise failure
    window = history_window(plan, today_jst())
    if outside_window(spec, window, query):
        raise dg.Failure(
            f"{spec.path} partition {key} was not requested: it lies outside the J-Quants "
            f"history window ({window.describe()})",
            allow_retries=False,
        )


# --------------------------------------------------------------------------- the REST path


def fetch(spec: DatasetSpec, jquants: JQuantsResource, plan: str, query: Query) -> list[dict]:
    """Every row of the partition's query; J-Quants' refusals as clear, final failures."""
    try:
        return [
            row for page in jquants.client.dataset_pages(spec.path, query.params) for row in page
        ]
    except JQuantsRequestError as exc:
        detail = refusal(plan, spec.path, exc.status, exc.message) or str(exc)
        raise dg.Failure(detail, allow_retries=False) from None


def key_of(spec: DatasetSpec, record: dict[str, Any]) -> tuple:
    return tuple(record[c] for c in spec.key_columns)


def type_mismatches(
    spec: DatasetSpec, records: list[dict[str, Any]], stored: list[dict[str, Any]]
) -> list[str]:
    """Values stored differently from how they were converted (value or Python type)."""
    by_key = {key_of(spec, r): r for r in stored}
    problems = []
    for record in records:
        row = by_key.get(key_of(spec, record))
        if row is None:
            problems.append(f"{key_of(spec, record)} not stored")
            continue
        for f in spec.columns:
            want, got = record[f.column], row[f.column]
            if want is None and got is None:
                continue
            if got is None or not isinstance(got, f.type.python) or got != want:
                problems.append(f"{key_of(spec, record)} {f.column}: {want!r} stored as {got!r}")
    return problems


def session_of(spec: DatasetSpec, hol_div: str | None) -> str:
    """ "open", or why a business-day dataset has no data on the day (the calendar's HolDiv)."""
    if spec.partitioning is Partitioning.BUSINESS_DAY and hol_div not in spec.session_hol_divs:
        return f"closed (HolDiv {hol_div})"
    return "open"


@dataclass
class PartitionResult:
    """What one partition's run stored (REST or bulk file), for its metadata and checks."""

    key: str | None
    query: Query
    session: str
    fetched: int
    """Rows J-Quants sent (REST) or the file held for the partition."""
    stored: int
    """Rows stored for the partition afterwards."""
    duplicates: int = 0
    mismatches: list[str] = field(default_factory=list)
    more_mismatches: int = 0
    """Mismatches found beyond those listed (a bulk month lists a sample)."""
    compared: int = 0
    """Rows whose stored values were compared with the converted ones."""
    preview: list[dict[str, Any]] = field(default_factory=list)
    requests: int = 0
    retries: int = 0
    seconds: float = 0.0
    source: str = REST
    bulk_unchanged: bool | None = None
    """Bulk partitions: whether the stored month already came from this very file."""


def rest_partition(
    spec: DatasetSpec,
    context: dg.AssetExecutionContext,
    jquants: JQuantsResource,
    warehouse: WarehouseResource,
    plan: str,
    key: str | None,
    session: str = "open",
    since: tuple[int, int] = (0, 0),
) -> PartitionResult:
    """Fetch, convert and replace one partition (or the latest snapshot) in one transaction,
    then read it back. ``since``: the client's (requests, retries) before this partition."""
    started = time.monotonic()
    query = spec.query(key)
    records: list[dict[str, Any]] = []
    if session == "open":
        rows = fetch(spec, jquants, plan, query)
        try:
            records = spec.records(rows)
        except ConversionError as exc:
            raise dg.Failure(
                f"J-Quants sent a value moo_markets cannot store exactly: {exc}"
            ) from None
        repeated = [k for k, n in Counter(key_of(spec, r) for r in records).items() if n > 1]
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
    client = jquants.client if session == "open" else None
    return PartitionResult(
        key=key,
        query=query,
        session=session,
        fetched=len(records),
        stored=len(stored),
        duplicates=duplicates,
        mismatches=type_mismatches(spec, records, stored),
        compared=len(records),
        preview=records[:PREVIEW_ROWS],
        requests=client.stats.requests - since[0] if client else 0,
        retries=client.stats.retries - since[1] if client else 0,
        seconds=time.monotonic() - started,
    )


# --------------------------------------------------------------------------- reporting


def metadata(spec: DatasetSpec, result: PartitionResult) -> dict[str, Any]:
    """A partition's materialization metadata; the same keys whether it came by REST or from
    a bulk file (plus the file's key and whether it was unchanged)."""
    query = result.query
    preview_columns = [f.column for f in spec.columns][:8]
    source: dict[str, Any] = {"source": result.source}
    if result.source != REST:
        source["bulk_file"] = result.source
        source["bulk_unchanged"] = bool(result.bulk_unchanged)
    return {
        **table_metadata(spec),
        "dagster/row_count": result.stored,
        "fetched_rows": result.fetched,
        "partition_first_day": query.first.isoformat() if query.first else None,
        "partition_last_day": query.last.isoformat() if query.last else None,
        "query": dg.MetadataValue.json(query.params),
        "session": result.session,
        "duration_seconds": round(result.seconds, 3),
        "jquants_requests": result.requests,
        "jquants_retries": result.retries,
        "preview": dg.MetadataValue.md(
            markdown_table(result.preview[:PREVIEW_ROWS], preview_columns, limit=PREVIEW_ROWS)
        ),
        **source,
    }


def partition_checks(spec: DatasetSpec, result: PartitionResult) -> list[dg.AssetCheckResult]:
    """The checks of a single-partition run, on that partition."""
    names = check_names(spec)
    empty_is_wrong = spec.must_have_rows and result.session == "open"
    return [
        dg.AssetCheckResult(
            check_name=names["unique"],
            passed=result.duplicates == 0,
            metadata={"duplicated_keys": result.duplicates},
        ),
        dg.AssetCheckResult(
            check_name=names["not_empty"],
            passed=bool(result.fetched) or not empty_is_wrong,
            severity=dg.AssetCheckSeverity.ERROR if empty_is_wrong else dg.AssetCheckSeverity.WARN,
            metadata={"rows": result.fetched, "session": result.session},
        ),
        dg.AssetCheckResult(
            check_name=names["types"],
            passed=not result.mismatches,
            metadata={
                "mismatches": len(result.mismatches),
                "first": "; ".join(result.mismatches[:5]),
            },
        ),
    ]

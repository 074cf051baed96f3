"""``moo-markets mirror sync``: one full mirror pass on demand.

For repairs (a restored or recreated warehouse, rows edited by hand) and tests:
it reads the whole run history of the instance at ``$DAGSTER_HOME`` and
re-derives every row, including error texts; unchanged rows are not written.
The sensor does the same incrementally, so running both at once is safe.
"""

from __future__ import annotations

import argparse
import sys

import sqlalchemy as sa

from moo_markets.core.settings import SettingsError, load_settings
from moo_markets.core.time import iso
from moo_markets.warehouse.engine import get_engine, redact
from moo_markets.warehouse.schema import jobs


def add_arguments(parser: argparse.ArgumentParser) -> None:
    actions = parser.add_subparsers(dest="mirror_action", required=True, metavar="ACTION")
    sync_parser = actions.add_parser(
        "sync",
        help="mirror every schedule and run of $DAGSTER_HOME's instance into jobs/job_executions",
        description=__doc__.splitlines()[0],
    )
    sync_parser.add_argument(
        "--database-url",
        default=None,
        help="warehouse URL (default: $MOO_MARKETS_DATABASE_URL, else ./data/moo_markets.db)",
    )
    sync_parser.add_argument(
        "--prune",
        action="store_true",
        help="also delete rows of runs the Dagster instance no longer has (deleted runs)",
    )


def run(args: argparse.Namespace) -> int:
    if args.mirror_action == "sync":
        return _sync(args)
    raise AssertionError(f"unknown mirror action {args.mirror_action!r}")


def _sync(args: argparse.Namespace) -> int:
    try:
        settings = load_settings()
    except SettingsError as exc:
        print(f"mirror sync: {exc}", file=sys.stderr)
        return 2
    if not settings.dagster_home:
        print(
            "mirror sync: $DAGSTER_HOME is not set; point it at the folder holding the "
            "dagster.yaml of the instance to mirror"
        )
        return 2
    import dagster as dg

    from moo_markets.mirror.jobs import catalog_schedules
    from moo_markets.mirror.sync import sync
    from moo_markets.warehouse.migrate import upgrade
    from moo_markets.warehouse.schedule_overrides import crons_in_force

    engine = get_engine(args.database_url or settings.database_url_value)
    upgrade(engine)  # a repair command: bring the schema to head first, explicitly
    with dg.DagsterInstance.get() as instance:
        summary = sync(
            instance,
            engine,
            refresh=True,
            prune=args.prune,
            schedules=catalog_schedules(
                settings, crons=crons_in_force(settings, url=args.database_url)
            ),
        )
    print(f"mirror sync into {redact(str(engine.url))}: {summary.describe()}")
    with engine.connect() as connection:
        for row in connection.execute(sa.select(jobs).order_by(jobs.c.id)):
            state = "enabled" if row.is_enabled else "disabled"
            print(
                f"  {row.id} {row.job_type}: {state}, schedule {row.schedule!r}, "
                f"last run {iso(row.last_run_at)}, next run {iso(row.next_run_at)}"
            )
    return 0

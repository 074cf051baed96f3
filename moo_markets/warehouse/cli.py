"""``moo-markets db upgrade``: bring the warehouse schema to the newest revision.

The explicit migration step (the code location also checks, and upgrades if
behind, each time Dagster loads it). Safe to run while Dagster is running:
processes that start together are serialised by a lock.
"""

from __future__ import annotations

import argparse
import sys

import sqlalchemy as sa

from moo_markets.core.settings import load_settings
from moo_markets.warehouse.engine import WarehouseConfigError, get_engine, redact


def add_arguments(parser: argparse.ArgumentParser) -> None:
    actions = parser.add_subparsers(dest="db_action", required=True, metavar="ACTION")
    upgrade = actions.add_parser(
        "upgrade", help="migrate the warehouse schema to head", description=__doc__.splitlines()[0]
    )
    upgrade.add_argument(
        "--database-url",
        default=None,
        help="warehouse URL (default: $MOO_MARKETS_DATABASE_URL, else ./data/moo_markets.db)",
    )


def run(args: argparse.Namespace) -> int:
    from moo_markets.warehouse.migrate import upgrade

    engine = get_engine(args.database_url or load_settings().database_url_value)
    where = redact(str(engine.url))
    try:
        before, head = upgrade(engine)
    except WarehouseConfigError as exc:
        print(f"db upgrade: {exc}", file=sys.stderr)
        return 2
    except sa.exc.DBAPIError as exc:
        print(
            f"db upgrade: cannot reach {where}: {type(exc.orig or exc).__name__}", file=sys.stderr
        )
        return 1
    if before == head:
        print(f"warehouse schema of {where} is at head ({head})")
    else:
        print(f"warehouse schema of {where} upgraded from {before or 'empty'} to {head}")
    return 0

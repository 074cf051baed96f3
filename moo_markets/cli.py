"""The ``moo-markets`` command line.

Each subcommand is a module exposing ``add_arguments(parser)`` and
``run(args) -> int``; this file only routes to them.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
from collections.abc import Sequence

# name -> (module with add_arguments(parser) and run(args) -> int, help)
SUBCOMMANDS: dict[str, tuple[str, str]] = {
    "dev": (
        "moo_markets.devserver",
        "run Dagster, its daemon, the REST API and the simulator locally",
    ),
    "jquants-sim": ("moo_markets.jquants_sim.cli", "serve the offline J-Quants V2 simulator"),
    "api": (
        "moo_markets.api.cli",
        "serve the scheduler REST API (/api/scheduler) over Dagster GraphQL",
    ),
    "backup": (
        "moo_markets.backup",
        "back up the moo_markets database (data and mirror) to a file",
    ),
    "restore": ("moo_markets.backup", "replace the moo_markets database with a backup file"),
    "db": ("moo_markets.warehouse.cli", "migrate the warehouse schema (db upgrade)"),
    "schedule": (
        "moo_markets.api.schedule_cli",
        "change a job's cron at runtime (schedule set JOB CRON / schedule reset JOB)",
    ),
    "export": (
        "moo_markets.data.export",
        "export a dataset to Parquet, CSV or a DuckDB file (exact types, --as-of)",
    ),
    "mirror": (
        "moo_markets.mirror.cli",
        "sync the scheduler mirror tables (jobs, job_executions) from Dagster",
    ),
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="moo-markets", description=__doc__.splitlines()[0])
    parser.add_argument("--log-level", default="INFO", help="Python log level (default INFO)")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, (module_name, help_text) in SUBCOMMANDS.items():
        sub = commands.add_parser(name, help=help_text, description=help_text)
        sub.set_defaults(_module=module_name)
        _module(module_name).add_arguments(sub)
    return parser


def _module(name: str):
    return importlib.import_module(name)


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=args.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    from moo_markets.core.settings import SettingsError

    try:
        return int(_module(args._module).run(args) or 0)
    except SettingsError as exc:  # one clear line naming the variable, exit 2
        print(f"moo-markets {args.command}: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())

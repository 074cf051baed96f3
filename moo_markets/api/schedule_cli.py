"""``moo-markets schedule set JOB CRON`` / ``moo-markets schedule reset JOB``.

The command-line twin of ``PUT``/``DELETE /api/scheduler/jobs/:id/schedule``
(the Dagster UI has no cron editor): the same service, so the same
validation, storage in the warehouse, reload of the code location through the
webserver's GraphQL (``MOO_MARKETS_DAGSTER_URL``) and the same wait until
Dagster schedules on the new cron. Needs no REST API process and no token; it
needs the webserver and the warehouse, like the API.
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import socket
import sys
from typing import Any

from moo_markets.core.settings import load_settings
from moo_markets.core.time import iso


def add_arguments(parser: argparse.ArgumentParser) -> None:
    actions = parser.add_subparsers(dest="schedule_action", required=True, metavar="ACTION")
    put = actions.add_parser(
        "set",
        help="put a cron in force for a job (5 fields, Asia/Tokyo), without a restart",
        description="Store the cron in the warehouse and reload the Dagster code location.",
    )
    put.add_argument("job", help="catalog id (1) or job_type (listed_companies)")
    put.add_argument("cron", help="e.g. '30 18 * * 1-5' (quote it)")
    reset = actions.add_parser(
        "reset",
        help="return a job to its default cron (MOO_MARKETS_<JOB>_CRON, else the catalog's)",
        description="Remove the job's stored cron and reload the Dagster code location.",
    )
    reset.add_argument("job", help="catalog id (1) or job_type (listed_companies)")
    for sub in (put, reset):
        sub.add_argument(
            "--dagster-url",
            default=None,
            help="Dagster webserver URL (env MOO_MARKETS_DAGSTER_URL, default "
            "http://127.0.0.1:3000)",
        )


def run(args: argparse.Namespace) -> int:
    overrides = {"dagster_url": args.dagster_url} if args.dagster_url else {}
    return asyncio.run(_change(args, load_settings(**overrides)))


def _set_by() -> str:
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = "unknown"
    return f"cli ({user}@{socket.gethostname()})"


async def _change(args: argparse.Namespace, settings: Any) -> int:
    from moo_markets.api.errors import ApiError, InvalidInput, NotFound, Redactor
    from moo_markets.api.graphql import DagsterGraphQL
    from moo_markets.api.mirror import MirrorReader
    from moo_markets.api.service import SchedulerService, resolve_job

    gql = DagsterGraphQL(settings)
    mirror = MirrorReader(settings.database_url_value)
    redact = Redactor(settings.secrets())
    service = SchedulerService(gql, settings, mirror, redact)
    cron = args.cron if args.schedule_action == "set" else None
    try:
        job = resolve_job(args.job)
        answer = await service.set_schedule(job, cron, _set_by())
    except ApiError as exc:
        print(f"moo-markets schedule {args.schedule_action}: {redact(exc.detail)}", file=sys.stderr)
        return 2 if isinstance(exc, (InvalidInput, NotFound)) else 1
    finally:
        await gql.aclose()
        mirror.dispose()
    state = "enabled" if answer["is_enabled"] else "disabled"
    print(
        f"{job.id} {job.job_type}: schedule {answer['schedule']!r} ({answer['timezone']}), "
        f"{state}, next run {iso(answer['next_run_at'])}"
    )
    return 0

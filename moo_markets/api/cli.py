"""``moo-markets api``: serve the scheduler REST API with uvicorn."""

from __future__ import annotations

import argparse
import logging
import sys

from moo_markets.core.settings import SettingsError, load_settings

log = logging.getLogger(__name__)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--host", default=None, help="bind address (env MOO_MARKETS_API_HOST, default 127.0.0.1)"
    )
    parser.add_argument(
        "--port", type=int, default=None, help="port (env MOO_MARKETS_API_PORT, default 4000)"
    )
    parser.add_argument(
        "--dagster-url",
        default=None,
        help="Dagster webserver URL (env MOO_MARKETS_DAGSTER_URL, default http://127.0.0.1:3000)",
    )


def settings_for(args: argparse.Namespace):
    """The settings, with the command line's --host/--port/--dagster-url winning."""
    overrides = {
        "api_host": args.host,
        "api_port": args.port,
        "dagster_url": args.dagster_url,
    }
    return load_settings(**{k: v for k, v in overrides.items() if v is not None})


def run(args: argparse.Namespace) -> int:
    import uvicorn

    from moo_markets.api.exposure import dagster_exposure_warning
    from moo_markets.api.main import create_app

    try:
        settings = settings_for(args)
    except SettingsError as exc:
        print(f"moo-markets api: {exc}", file=sys.stderr)
        return 2
    if settings.api_token is None and settings.api_host not in ("127.0.0.1", "localhost", "::1"):
        log.warning(
            "the API listens on %s without MOO_MARKETS_API_TOKEN: anyone who reaches the port "
            "can start/stop jobs; set a token",
            settings.api_host,
        )
    exposure = dagster_exposure_warning(settings)
    if exposure:
        log.warning(exposure)
    log.info(
        "serving the scheduler API on http://%s:%s (Dagster: %s, token %s)",
        settings.api_host,
        settings.api_port,
        settings.dagster_url_for_logs,
        "required for PUT/POST/DELETE" if settings.api_token else "not set",
    )
    level = logging.getLogger().getEffectiveLevel()
    # A line per request (uvicorn's access log, httpx's per GraphQL call) only at DEBUG.
    per_request = level <= logging.DEBUG
    logging.getLogger("httpx").setLevel(logging.DEBUG if per_request else logging.WARNING)
    uvicorn.run(
        create_app(settings),
        host=settings.api_host,
        port=settings.api_port,
        log_level=logging.getLevelName(level).lower(),
        access_log=per_request,
        proxy_headers=False,
    )
    return 0

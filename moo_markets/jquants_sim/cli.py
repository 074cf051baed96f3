"""``moo-markets jquants-sim``: serve the offline J-Quants V2 simulator until stopped.

Every flag can also come from an environment variable ``JQUANTS_SIM_<FLAG>`` (e.g.
``JQUANTS_SIM_API_KEY``), so the demo can be configured like a container; a flag given on
the command line wins over the variable. The simulator accepts exactly the keys it was given:
``--api-key KEY[:PLAN]`` is repeatable (``JQUANTS_SIM_API_KEY`` takes them comma-separated),
and a key without ``:PLAN`` gets ``--plan``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import logging
import os
import signal
import sys
import threading
from collections.abc import Callable
from typing import Any

from moo_markets.jquants_sim.plans import PLANS
from moo_markets.jquants_sim.server import PLAN_RATE, JQuantsSimulator, SimulatorConfig

log = logging.getLogger("moo_markets.jquants_sim")

BANNER = "J-Quants simulator: serving OFFLINE SAMPLE DATA (not real market data) at {url}"


def _rate(text: str) -> int | str:
    """``plan`` = each key's plan limit; ``0``, ``none``, ``unlimited`` = no limit; else an int."""
    value = text.strip().lower()
    if value == PLAN_RATE:
        return PLAN_RATE
    if value in ("", "0", "none", "unlimited"):
        return "unlimited"
    return int(value)


def _keys(text: str) -> list[tuple[str, str | None]]:
    """``KEY[:PLAN]``, or several comma-separated (the environment variable's form)."""
    out = []
    for item in text.split(","):
        item = item.strip()
        if not item:
            continue
        key, sep, plan = item.rpartition(":")
        if sep and plan in PLANS:
            out.append((key, plan))
        else:
            out.append((item, None))
    return out


def _date(text: str) -> dt.date:
    return dt.date.fromisoformat(text.strip())


def _plan(text: str) -> str:
    if text not in PLANS:
        raise ValueError(f"plan must be one of {', '.join(PLANS)}")
    return text


# (flag, converter, default, help)
_OPTIONS: tuple[tuple[str, Callable[[str], Any], Any, str], ...] = (
    ("--host", str, "127.0.0.1", "interface to listen on"),
    ("--port", int, 8765, "TCP port (0 = any free port)"),
    (
        "--api-key",
        _keys,
        None,
        "an accepted x-api-key, KEY or KEY:PLAN; repeat for several keys (required)",
    ),
    ("--seed", int, 42, "seed of the synthetic data"),
    (
        "--plan",
        _plan,
        "standard",
        "plan of keys given without :PLAN: free, light, standard or premium",
    ),
    (
        "--rate-limit",
        _rate,
        PLAN_RATE,
        "requests per key per window: 'plan' (5/60/120/500 by plan), N, or 0 = unlimited",
    ),
    ("--rate-window", float, 60.0, "rate-limit window in seconds"),
    ("--lockout", float, 300.0, "seconds a key is locked out after hammering past the limit"),
    ("--page-size", int, 5000, "rows per page before a pagination_key is issued"),
    ("--error-rate", float, 0.0, "probability of a random 500"),
    ("--latency", float, 0.0, "seconds to wait before answering every request"),
    ("--truncate-rate", float, 0.0, "probability of a 200 with a truncated JSON body"),
    ("--burst-500-every", int, 0, "after every N requests..."),
    ("--burst-500-length", int, 0, "...the next M requests get 500"),
    ("--today", _date, None, "the simulator's today, YYYY-MM-DD (default: today in Asia/Tokyo)"),
    ("--bulk-url-ttl", float, 300.0, "seconds a /bulk/get download URL stays valid"),
    ("--bulk-cache-dir", str, None, "directory for generated bulk files (default: a temp dir)"),
    (
        "--bulk-prebuild",
        lambda text: tuple(e.strip() for e in text.split(",") if e.strip()),
        (),
        "comma-separated endpoints whose bulk files are generated at start",
    ),
    ("--storage-port", int, 0, "port of the bulk download host (0 = any free port)"),
)


def _dest(flag: str) -> str:
    return flag.lstrip("-").replace("-", "_")


def env_name(flag: str) -> str:
    return "JQUANTS_SIM_" + _dest(flag).upper()


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Flags of the ``jquants-sim`` subcommand; defaults are resolved in :func:`run` (flag > env > default)."""
    for flag, convert, default, help_text in _OPTIONS:
        shown = "unset" if default in (None, ()) else default
        parser.add_argument(
            flag,
            dest=_dest(flag),
            type=convert,
            default=None,
            action="append" if flag == "--api-key" else "store",
            help=f"{help_text} [env {env_name(flag)}; default {shown}]",
        )


def resolve(args: argparse.Namespace, environ: dict[str, str] | None = None) -> dict[str, Any]:
    """Each setting from its flag, else its environment variable, else its default."""
    environ = dict(os.environ) if environ is None else environ
    settings: dict[str, Any] = {}
    for flag, convert, default, _ in _OPTIONS:
        dest = _dest(flag)
        value = getattr(args, dest, None)
        if flag == "--api-key" and value is not None:  # appended lists of (key, plan)
            value = [pair for pairs in value for pair in pairs]
        if value is None and environ.get(env_name(flag), "") != "":
            try:
                value = convert(environ[env_name(flag)])
            except ValueError as err:
                raise ValueError(f"{env_name(flag)}: {err}") from err
        settings[dest] = default if value is None else value
    return settings


def build(settings: dict[str, Any]) -> JQuantsSimulator:
    keys = {key: plan or settings["plan"] for key, plan in settings["api_key"] or []}
    config = SimulatorConfig(
        api_keys=keys,
        seed=settings["seed"],
        plan=settings["plan"],
        rate_limit_per_minute=None
        if settings["rate_limit"] == "unlimited"
        else settings["rate_limit"],
        rate_window_seconds=settings["rate_window"],
        lockout_seconds=settings["lockout"],
        page_size=settings["page_size"],
        error_rate=settings["error_rate"],
        latency_seconds=settings["latency"],
        truncate_rate=settings["truncate_rate"],
        burst_500_every=settings["burst_500_every"],
        burst_500_length=settings["burst_500_length"],
        today=settings["today"],
        bulk_url_ttl_seconds=settings["bulk_url_ttl"],
        bulk_cache_dir=settings["bulk_cache_dir"],
        bulk_prebuild=settings["bulk_prebuild"],
        storage_port=settings["storage_port"],
    )
    return JQuantsSimulator(config, host=settings["host"], port=settings["port"])


def run(args: argparse.Namespace) -> int:
    """Serve until SIGINT/SIGTERM; 0 on a clean stop, 2 on bad settings."""
    try:
        settings = resolve(args)
        if not settings["api_key"]:
            raise ValueError(f"--api-key (or {env_name('--api-key')}) is required")
        sim = build(settings)
    except ValueError as err:
        print(f"jquants-sim: error: {err}", file=sys.stderr)
        return 2
    if not logging.getLogger().handlers:
        logging.basicConfig(
            level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
        )

    stop = threading.Event()
    previous: dict[int, Any] = {}
    if threading.current_thread() is threading.main_thread():
        for signum in (signal.SIGINT, signal.SIGTERM):
            previous[signum] = signal.signal(signum, lambda *_: stop.set())
    try:
        sim.start()
    except OSError as err:
        print(
            f"jquants-sim: error: cannot listen on {settings['host']}:{settings['port']}: {err}",
            file=sys.stderr,
        )
        return 2
    try:
        print(BANNER.format(url=sim.base_url), flush=True)
        print(f"J-Quants simulator: bulk downloads at {sim.storage_url}", flush=True)
        while not stop.wait(0.5):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        sim.stop()
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        log.info("J-Quants simulator stopped")
    return 0

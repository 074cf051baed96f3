"""``moo-markets dev``: the whole system on one machine, on embedded defaults.

What ``make dev`` runs, as separate processes so they can be stopped in order
(``dagster dev`` ignores SIGINT/SIGTERM when backgrounded and stops its
children in an order of its own):

- the J-Quants simulator, when no ``JQUANTS_API_KEY`` is set (with a throwaway key);
- one ``dagster code-server`` on a unix socket in the dev home, shared by the
  webserver and the daemon as ``dagster dev`` shares its own: the code is loaded
  once and no process reloads it behind the others' back;
- ``dagster-webserver`` (the UI), ``dagster-daemon`` and the REST API.

The instance is the repository's ``dagster.yaml`` (copied into ``.dagster_home/``),
so ``make dev`` and plain ``dagster dev`` behave the same. Ports are checked
before anything starts. Logs are quiet: the daemon prints warnings and errors
only (``--verbose`` for everything).

Ctrl-C (or SIGTERM) ends in-flight runs first, as canceled with the reason
"stopped: make dev was shut down" (:mod:`moo_markets.dev_runs`), then stops the
daemon, webserver, code server, REST API and simulator, in that order. A second
Ctrl-C skips the waiting.
"""

from __future__ import annotations

import argparse
import errno
import logging
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import requests
import yaml

LOCATION = "moo_markets"
DEFAULT_UI_PORT, DEFAULT_API_PORT, DEFAULT_SIM_PORT = 3000, 4000, 8765
STOP_GRACE_SECONDS = 15.0
STOP_ORDER = ("daemon", "webserver", "code-server", "api", "jquants-sim")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", default="127.0.0.1", help="bind address of UI and API")
    parser.add_argument(
        "--port", type=int, default=DEFAULT_UI_PORT, help="Dagster UI port (default 3000)"
    )
    parser.add_argument(
        "--api-port", type=int, default=DEFAULT_API_PORT, help="REST API port (default 4000)"
    )
    parser.add_argument(
        "--sim-port",
        type=int,
        default=DEFAULT_SIM_PORT,
        help="J-Quants simulator port, used without JQUANTS_API_KEY (default 8765)",
    )
    parser.add_argument(
        "--home", default=".dagster_home", help="DAGSTER_HOME when unset (default .dagster_home)"
    )
    parser.add_argument(
        "--verbose", action="store_true", help="show the daemon's and webserver's INFO lines"
    )


# ---- before anything starts -----------------------------------------------------------


@dataclass(frozen=True)
class Port:
    name: str
    number: int
    make_variable: str
    option: str


def ports_to_use(args: argparse.Namespace, simulator: bool) -> list[Port]:
    ports = [
        Port("Dagster UI", args.port, "UI_PORT", "--port"),
        Port("REST API", args.api_port, "API_PORT", "--api-port"),
    ]
    if simulator:
        ports.append(Port("J-Quants simulator", args.sim_port, "SIM_PORT", "--sim-port"))
    return ports


def port_problems(ports: list[Port], host: str) -> list[str]:
    """One line per port that cannot be used, saying how to choose another."""
    problems = []
    seen: dict[int, str] = {}
    for port in ports:
        if port.number in seen:
            problems.append(f"the {port.name} and the {seen[port.number]} both use {port.number}")
            continue
        seen[port.number] = port.name
        bind_host = "127.0.0.1" if port.name == "J-Quants simulator" else host
        with socket.socket() as probe:
            try:
                probe.bind((bind_host, port.number))
            except OSError as exc:
                why = "is already in use" if exc.errno == errno.EADDRINUSE else f"fails: {exc}"
                problems.append(
                    f"port {port.number} for the {port.name} {why}; choose another with "
                    f"`make dev {port.make_variable}={port.number + 100}` "
                    f"(or `moo-markets dev {port.option} {port.number + 100}`)"
                )
    return problems


def write_dev_instance(home: Path, source: Path) -> Path:
    """``home/dagster.yaml``: the repository's instance file (SQLite storage in ``home``)."""
    home.mkdir(parents=True, exist_ok=True)
    target = home / "dagster.yaml"
    config = yaml.safe_load(source.read_text()) if source.exists() else {}
    target.write_text(
        f"# Copied by `moo-markets dev` from {source}; edit that file, not this one.\n"
        + yaml.safe_dump(config or {}, sort_keys=False)
    )
    return target


def write_dev_workspace(home: Path, socket_path: Path) -> Path:
    """A workspace pointing webserver and daemon at the one code server."""
    target = home / "workspace.yaml"
    target.write_text(
        yaml.safe_dump(
            {
                "load_from": [
                    {"grpc_server": {"socket": str(socket_path), "location_name": LOCATION}}
                ]
            }
        )
    )
    return target


def dev_environment(args: argparse.Namespace, root: Path) -> tuple[dict[str, str], bool]:
    """Environment for the child processes; True when the simulator must run."""
    env = dict(os.environ)
    home = Path(env.get("DAGSTER_HOME") or root / args.home).resolve()
    env["DAGSTER_HOME"] = str(home)
    env.setdefault(
        "MOO_MARKETS_DATABASE_URL", f"sqlite:///{(root / 'data' / 'moo_markets.db').resolve()}"
    )
    env.setdefault("MOO_MARKETS_DAGSTER_URL", f"http://{args.host}:{args.port}")
    use_simulator = not env.get("JQUANTS_API_KEY")
    if use_simulator:
        key = secrets.token_urlsafe(24)
        env["JQUANTS_API_KEY"] = key
        env["JQUANTS_SIM_API_KEY"] = key
        env["JQUANTS_BASE_URL"] = f"http://127.0.0.1:{args.sim_port}/v2"
        env.setdefault("JQUANTS_PLAN", "premium")
        # The simulator enforces the plan (datasets, history window, rate limit): the same one.
        env.setdefault("JQUANTS_SIM_PLAN", env["JQUANTS_PLAN"])
    return env, use_simulator


def prepare_instance(home: Path) -> None:
    """Create the instance's storage in this one process, then limit the jquants pool.

    Before any child starts: webserver, daemon and code server all open the instance, and
    on a fresh home they would each create and stamp the SQLite storage at once
    (:mod:`moo_markets.dagster_home`). The pool limit makes one J-Quants run at a time hold
    from the queue's very first pass (see jquants_pool.py).
    """
    import dagster as dg

    from moo_markets.dagster_home import initialise_storage
    from moo_markets.jquants_pool import JQUANTS_POOL

    # Every open of a SQLite instance logs Alembic bookkeeping at INFO (this process opens
    # it again to end runs at shutdown): quiet here for good.
    logging.getLogger("alembic").setLevel(logging.WARNING)
    initialise_storage(home)
    os.environ["DAGSTER_HOME"] = str(home)
    with dg.DagsterInstance.get() as instance:
        instance.event_log_storage.set_concurrency_slots(JQUANTS_POOL, 1)


# ---- running -------------------------------------------------------------------------


def commands(
    args: argparse.Namespace, home: Path, use_simulator: bool
) -> list[tuple[str, list[str]]]:
    bin_dir = Path(sys.executable).parent
    socket_path = home / "code-server.sock"
    socket_path.unlink(missing_ok=True)
    workspace = str(write_dev_workspace(home, socket_path))
    quiet = "info" if args.verbose else "warning"
    result: list[tuple[str, list[str]]] = []
    if use_simulator:
        result.append(
            (
                "jquants-sim",
                [
                    str(bin_dir / "moo-markets"),
                    "--log-level",
                    "INFO" if args.verbose else "WARNING",
                    "jquants-sim",
                    "--port",
                    str(args.sim_port),
                ],
            )
        )
    result += [
        (
            "code-server",
            [
                str(bin_dir / "dagster"), "code-server", "start", "--socket", str(socket_path),
                "-m", "moo_markets.definitions", "--location-name", LOCATION,
                "--log-level", "info",
            ],
        ),
        (
            "webserver",
            [
                str(bin_dir / "dagster-webserver"), "-h", args.host, "-p", str(args.port),
                "-w", workspace, "--log-level", quiet,
            ],
        ),
        ("daemon", [str(bin_dir / "dagster-daemon"), "run", "-w", workspace, "--log-level", quiet]),
        (
            "api",
            [
                str(bin_dir / "moo-markets"), "--log-level", "DEBUG" if args.verbose else "INFO",
                "api", "--host", args.host, "--port", str(args.api_port),
            ],
        ),
    ]  # fmt: skip
    return result


def run(args: argparse.Namespace) -> int:
    started = time.monotonic()
    root = Path.cwd()
    env, use_simulator = dev_environment(args, root)
    problems = port_problems(ports_to_use(args, use_simulator), args.host)
    if problems:
        for problem in problems:
            print(f"moo-markets dev: {problem}", file=sys.stderr, flush=True)
        return 2
    home = Path(env["DAGSTER_HOME"])
    write_dev_instance(home, root / "dagster.yaml")
    if use_simulator:
        print(
            "*** JQUANTS_API_KEY is not set: starting the J-Quants SIMULATOR. "
            "moo_markets is serving OFFLINE SAMPLE DATA, not real market data. ***",
            flush=True,
        )
    prepare_instance(home)
    banner = (
        f"Dagster UI: {env['MOO_MARKETS_DAGSTER_URL']}   "
        f"REST API: http://{args.host}:{args.api_port}/api   DAGSTER_HOME={home}"
    )
    return Supervisor(env, root, started, banner).run(commands(args, home, use_simulator))


class Supervisor:
    """Starts the commands, reports when the UI answers, and stops everything in order."""

    def __init__(self, env: dict[str, str], cwd: Path, started: float, banner: str) -> None:
        self.env, self.cwd, self.started, self.banner = env, cwd, started, banner
        self.processes: dict[str, subprocess.Popen[bytes]] = {}
        self.stop_requests = 0

    def _request_stop(self, _signum: int, _frame: object) -> None:
        self.stop_requests += 1

    def run(self, commands: list[tuple[str, list[str]]]) -> int:
        signal.signal(signal.SIGINT, self._request_stop)
        signal.signal(signal.SIGTERM, self._request_stop)
        exit_code = 0
        ui = self.env["MOO_MARKETS_DAGSTER_URL"]
        try:
            for name, argv in commands:
                # Own session: Ctrl-C reaches only us, and each child tree is stopped by us.
                self.processes[name] = subprocess.Popen(
                    argv, env=self.env, cwd=self.cwd, start_new_session=True
                )
                if "--socket" in argv:  # webserver and daemon need the code server up
                    self._wait_for_socket(name, Path(argv[argv.index("--socket") + 1]))
                if self.stop_requests:
                    return exit_code
            print(f"{self.banner}\nPress Ctrl-C to stop.", flush=True)
            ready = False
            while not self.stop_requests:
                for name, process in self.processes.items():
                    if process.poll() is not None:
                        print(f"{name} exited with code {process.returncode}; stopping", flush=True)
                        exit_code = process.returncode or 1
                        self.stop_requests = 1
                if not ready and not self.stop_requests:
                    ready = _answers(ui)
                    if ready:
                        print(
                            f"Dagster UI ready at {ui} ({time.monotonic() - self.started:.1f} s)",
                            flush=True,
                        )
                time.sleep(0.5)
        finally:
            self.shutdown()
        return exit_code

    def _wait_for_socket(self, name: str, path: Path, timeout: float = 180.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and not self.stop_requests:
            if self.processes[name].poll() is not None:
                return  # reported by the main loop
            with socket.socket(socket.AF_UNIX) as probe:
                try:
                    probe.connect(str(path))
                    return
                except OSError:
                    pass
            time.sleep(0.1)

    def shutdown(self) -> None:
        print("stopping: ending in-flight runs first", flush=True)
        self._end_runs()
        for name in STOP_ORDER:
            if name == "webserver":
                self._end_runs()  # a run the daemon launched while we were ending the others
            process = self.processes.get(name)
            if process is None:
                continue
            self._stop(name, process)
        print("stopped", flush=True)

    def _end_runs(self) -> None:
        if self.stop_requests > 1:
            return
        try:
            import dagster as dg

            from moo_markets import dev_runs

            with dg.DagsterInstance.get() as instance:
                backfills, runs = dev_runs.end_all(instance, grace=STOP_GRACE_SECONDS)
        except Exception as exc:  # the processes must still be stopped
            print(f"could not end the runs in progress: {exc}", flush=True)
            return
        if backfills:
            print(f"canceled backfill(s) {', '.join(backfills)}", flush=True)
        if runs:
            print(f"canceled {len(runs)} run(s): {dev_runs.REASON}", flush=True)

    def _stop(self, name: str, process: subprocess.Popen[bytes]) -> None:
        if process.poll() is None:
            try:
                os.killpg(process.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            deadline = time.monotonic() + STOP_GRACE_SECONDS
            while process.poll() is None and time.monotonic() < deadline:
                if self.stop_requests > 1:
                    break
                time.sleep(0.1)
        try:  # the leader may be gone while children it spawned are not
            os.killpg(process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        process.wait()
        print(f"stopped {name}", flush=True)


def _answers(url: str) -> bool:
    try:
        return requests.get(f"{url}/server_info", timeout=2).ok
    except requests.RequestException:
        return False

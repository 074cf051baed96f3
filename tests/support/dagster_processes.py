"""Real ``dagster-webserver`` and ``dagster-daemon`` processes for end-to-end tests.

Each stack gets its own DAGSTER_HOME with an instance derived from the
project's ``dagster.yaml`` (same queueing, run monitoring and retention as
``deploy/dagster.yaml``) whose storage is SQLite in that folder or, when a URL
is given, a PostgreSQL database of its own. :func:`private_stack` is the one way
tests set a stack up (databases, instance, environment, processes) and tear it down.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import requests
import sqlalchemy as sa
import yaml

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
POSTGRES_ENV = "MOO_MARKETS_TEST_POSTGRES_URL"
STACK_LOG_ENV = "MOO_MARKETS_TEST_STACK_LOG"
"""A file each stack start is appended to; tests/conftest.py prints it after the session."""

BACKFILL_INTERVAL_SECONDS = 2
DAEMON_WITH_FAST_BACKFILLS = f"""
import sys
import dagster._daemon.controller as controller
from dagster._daemon.cli import main
controller.DEFAULT_DAEMON_INTERVAL_SECONDS = {BACKFILL_INTERVAL_SECONDS}
sys.argv[0] = "dagster-daemon"
sys.exit(main())
"""
"""``dagster-daemon`` for test stacks, its backfill daemon looping every 2 s instead of 30 s.

Dagster 1.13's backfill daemon sleeps ``dagster._daemon.controller.DEFAULT_DAEMON_INTERVAL_SECONDS``
(30 s) between iterations and has no instance setting for it (``backfills:`` takes only
thread counts). A backfill launched just after an iteration waited up to 30 s for its run,
and up to 30 s more to be marked complete once that run ended: most of the wall time of
the backfill end-to-end tests. The command line, instance and workspace are those of
``dagster-daemon run``; production runs the real ``dagster-daemon``. The asset daemon,
which reads the same constant as its default, keeps 30 s (``write_instance``).
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def create_database(admin_url: str, prefix: str) -> str:
    """A new empty PostgreSQL database next to ``admin_url``; returns its URL."""
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    engine = sa.create_engine(
        sa.engine.make_url(admin_url).set(drivername="postgresql+psycopg"),
        isolation_level="AUTOCOMMIT",
    )
    with engine.connect() as connection:
        connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    return sa.engine.make_url(admin_url).set(database=name).render_as_string(hide_password=False)


def drop_database(url: str) -> None:
    parsed = sa.engine.make_url(url)
    engine = sa.create_engine(
        parsed.set(drivername="postgresql+psycopg", database="postgres"),
        isolation_level="AUTOCOMMIT",
    )
    with engine.connect() as connection:
        connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{parsed.database}" WITH (FORCE)'))
    engine.dispose()


def write_instance(
    home: Path, dagster_storage_url: str | None, overrides: dict | None = None
) -> None:
    config = yaml.safe_load((ROOT / "dagster.yaml").read_text())
    if dagster_storage_url:
        url = sa.engine.make_url(dagster_storage_url).set(drivername="postgresql+psycopg2")
        config["storage"] = {
            "postgres": {"postgres_url": url.render_as_string(hide_password=False)}
        }
    else:
        config.pop("storage", None)
    # Faster feedback than production for the things tests wait on: run monitoring, and
    # the queued-run daemon's loop (Dagster's default 5 s is added to every launched run).
    config["run_monitoring"].update({"poll_interval_seconds": 5, "start_timeout_seconds": 60})
    config["run_queue"] = {"dequeue_interval_seconds": 1}
    # The test daemon's shorter loop (DAEMON_WITH_FAST_BACKFILLS) would also become the
    # asset daemon's default interval: keep Dagster's 30 s for that one.
    config["auto_materialize"] = {"minimum_interval_seconds": 30}
    for key, value in (overrides or {}).items():
        config[key] = value
    home.mkdir(parents=True, exist_ok=True)
    (home / "dagster.yaml").write_text(yaml.safe_dump(config, sort_keys=False))


def limit_jquants_pool(env: dict[str, str]) -> subprocess.Popen[bytes]:
    """What the README asks of a deployment: one run at a time in the jquants pool.
    Started, not waited for: the caller overlaps it with the code server's start."""
    return subprocess.Popen(
        [str(BIN / "dagster"), "instance", "concurrency", "set", "jquants", "1"],
        env=env,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )


class DagsterProcesses:
    """A webserver and a daemon on a private instance; ``graphql()`` talks to the webserver.

    With ``code_server=True`` the code location runs in its own ``dagster code-server``
    process (the production topology) and the workspace points at it over gRPC;
    otherwise webserver and daemon load ``workspace.yaml`` themselves.
    """

    def __init__(
        self, home: Path, env: dict[str, str], log_dir: Path, code_server: bool = False
    ) -> None:
        self.home = home
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {**os.environ, **env, "DAGSTER_HOME": str(home)}
        self.log_dir = log_dir
        self.processes: dict[str, subprocess.Popen[bytes]] = {}
        self.code_server_port = free_port() if code_server else None
        self.pool_limited = False  # the limit is stored in the instance: once is enough
        # Set by private_stack: the warehouse, Dagster's PostgreSQL storage (None on
        # SQLite) and the J-Quants simulator the stack talks to.
        self.warehouse_url: str | None = None
        self.storage_url: str | None = None
        self.sim: Any = None
        if code_server:
            self.workspace = home / "workspace.yaml"
            home.mkdir(parents=True, exist_ok=True)
            self.workspace.write_text(
                yaml.safe_dump(
                    {
                        "load_from": [
                            {
                                "grpc_server": {
                                    "host": "127.0.0.1",
                                    "port": self.code_server_port,
                                    "location_name": "moo_markets",
                                }
                            }
                        ]
                    }
                )
            )
        else:
            self.workspace = ROOT / "workspace.yaml"

    def start(self, timeout: float = 120.0) -> DagsterProcesses:
        """Start every process; if they don't come up, stop whatever did start."""
        from moo_markets.dagster_home import initialise_storage

        try:
            # Before anything else opens the instance: the concurrency CLI and the code
            # server would otherwise create a fresh home's storage at once.
            initialise_storage(self.home)
            limiting = None if self.pool_limited else limit_jquants_pool(self.env)
            if self.code_server_port:
                self.start_code_server()
            if limiting is not None:
                output, _ = limiting.communicate(timeout=120)
                if limiting.returncode:
                    raise RuntimeError(f"dagster instance concurrency set failed: {output!r}")
                self.pool_limited = True
            self._spawn(
                "webserver",
                [
                    str(BIN / "dagster-webserver"),
                    "-h",
                    "127.0.0.1",
                    "-p",
                    str(self.port),
                    "-w",
                    str(self.workspace),
                ],
            )
            self.start_daemon()
            self.wait_ready(timeout)
        except BaseException:
            self.stop()
            raise
        return self

    def start_daemon(self) -> None:
        """``dagster-daemon run``, with the backfill loop of :data:`DAEMON_WITH_FAST_BACKFILLS`."""
        daemon = [sys.executable, "-c", DAEMON_WITH_FAST_BACKFILLS]
        self._spawn("daemon", [*daemon, "run", "-w", str(self.workspace)])

    def start_code_server(self) -> None:
        self._spawn(
            "code_server",
            [
                str(BIN / "dagster"),
                "code-server",
                "start",
                "-h",
                "127.0.0.1",
                "-p",
                str(self.code_server_port),
                "-m",
                "moo_markets.definitions",
                "--location-name",
                "moo_markets",
            ],
        )

    def _spawn(self, name: str, argv: list[str]) -> None:
        self.log_dir.mkdir(parents=True, exist_ok=True)
        log = open(self.log_dir / f"{name}.log", "ab")  # noqa: SIM115 (kept open for the child)
        self.processes[name] = subprocess.Popen(
            argv,
            env=self.env,
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        last: Any = None
        while time.monotonic() < deadline:
            for name, process in self.processes.items():
                if process.poll() is not None:
                    raise RuntimeError(f"{name} exited early; see {self.log_dir / (name + '.log')}")
            try:
                data = self.graphql(
                    "{ workspaceOrError { ... on Workspace { locationEntries { name "
                    "locationOrLoadError { __typename ... on PythonError { message } } } } } }"
                )
                entries = data["workspaceOrError"]["locationEntries"]
                kinds = [
                    e["locationOrLoadError"] and e["locationOrLoadError"]["__typename"]
                    for e in entries
                ]
                if kinds and all(k == "RepositoryLocation" for k in kinds):
                    return
                last = entries
                errors = [
                    e["locationOrLoadError"]["message"]
                    for e in entries
                    if e["locationOrLoadError"]
                    and e["locationOrLoadError"]["__typename"] == "PythonError"
                ]
                if any("Could not reach user code server" in m for m in errors):
                    # The separate code server is still starting: ask the webserver to retry.
                    self.graphql(
                        'mutation { reloadRepositoryLocation(repositoryLocationName: "moo_markets") '
                        "{ __typename } }"
                    )
                elif errors:
                    raise RuntimeError(f"code location failed to load: {errors}")
            except requests.RequestException as exc:
                last = exc
            time.sleep(0.5)
        raise TimeoutError(f"Dagster webserver not ready after {timeout}s: {last}")

    def graphql(self, query: str, variables: dict | None = None) -> dict[str, Any]:
        response = requests.post(
            f"{self.url}/graphql", json={"query": query, "variables": variables or {}}, timeout=30
        )
        body = response.json()
        if body.get("errors"):
            raise RuntimeError(f"GraphQL errors: {body['errors']}")
        return body["data"]

    def kill(self, name: str, sig: int = signal.SIGKILL) -> None:
        process = self.processes.pop(name)
        os.killpg(process.pid, sig)
        process.wait(timeout=30)

    def stop(self) -> None:
        """SIGTERM every process, SIGKILL what is left after 20 s. How long each took goes
        to the session's stack log: a process that ignores SIGTERM costs the suite 20 s."""
        started = time.monotonic()
        for process in self.processes.values():
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        waited = []
        for name, process in self.processes.items():
            try:
                process.wait(timeout=20)
                waited.append(f"{name} {time.monotonic() - started:.1f} s")
            except subprocess.TimeoutExpired:
                waited.append(f"{name} ignored SIGTERM for 20 s")
            # Code servers and run workers the leader spawned may outlive it: kill the group.
            try:
                os.killpg(process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            process.wait()
        if waited:
            _record(
                f"stack on port {self.port} stopped in "
                f"{time.monotonic() - started:.1f} s ({', '.join(waited)})"
            )
        self.processes.clear()

    def __enter__(self) -> DagsterProcesses:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


@contextmanager
def private_stack(
    base: Path,
    sim: Any,
    env: Mapping[str, str] | None = None,
    *,
    name: str,
    code_server: bool = False,
) -> Iterator[DagsterProcesses]:
    """A started stack on an instance and warehouse of its own; stopped and its databases
    dropped on exit.

    Dagster's storage and the warehouse are PostgreSQL databases of their own when
    ``MOO_MARKETS_TEST_POSTGRES_URL`` is set (always in CI), SQLite files under ``base``
    otherwise. J-Quants is ``sim`` (its key, no client pacing to speak of), the mirror
    ticks every 2 s, steps are not retried; ``env`` adds to or overrides that. ``name``
    says which stack started in the session's list of stack starts.
    """
    from moo_markets.warehouse.engine import dispose_engines

    admin_url = os.environ.get(POSTGRES_ENV)
    databases: list[str] = []
    try:
        if admin_url:
            databases.append(create_database(admin_url, "moo_dagster"))
            databases.append(create_database(admin_url, "moo_warehouse"))
            storage_url, warehouse_url = databases
        else:
            storage_url, warehouse_url = None, f"sqlite:///{base / 'warehouse.db'}"
        home = base / "home"
        write_instance(home, storage_url)
        stack_env = {
            "JQUANTS_API_KEY": sim.config.api_key,
            "JQUANTS_BASE_URL": sim.base_url,
            "JQUANTS_REQUESTS_PER_MINUTE": "6000",
            "MOO_MARKETS_DATABASE_URL": warehouse_url,
            "MOO_MARKETS_MIRROR_INTERVAL_SECONDS": "2",
            "MOO_MARKETS_STEP_RETRIES": "0",
            **(env or {}),
        }
        stack = DagsterProcesses(home, stack_env, log_dir=base / "logs", code_server=code_server)
        stack.warehouse_url, stack.storage_url, stack.sim = warehouse_url, storage_url, sim
        started = time.monotonic()
        stack.start()
        _record_start(name, time.monotonic() - started)
        try:
            yield stack
        finally:
            stack.stop()
    finally:
        dispose_engines()
        for url in databases:
            drop_database(url)


def _record_start(name: str, seconds: float) -> None:
    """One line per stack start (worker, stack, seconds): evidence that a shared stack
    started once, and what starting stacks costs the suite."""
    _record(f"{name} started in {seconds:.1f} s")


def _record(line: str) -> None:
    path = os.environ.get(STACK_LOG_ENV)
    if path:
        worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
        with open(path, "a", encoding="utf-8") as log:
            log.write(f"{worker} {line}\n")


def wait_for(predicate, timeout: float = 60.0, interval: float = 0.5, message: str = "condition"):
    """Poll ``predicate`` until it returns a truthy value; return that value."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise TimeoutError(f"timed out after {timeout}s waiting for {message}")

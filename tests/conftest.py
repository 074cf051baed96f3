"""Shared fixtures: real databases, the J-Quants simulator and the one Dagster stack.

PostgreSQL tests read ``MOO_MARKETS_TEST_POSTGRES_URL`` and skip, saying so,
when it is unset; ``.ci/run`` always sets it. Each test that wants PostgreSQL
gets a database of its own, dropped afterwards. Warehouse fixtures migrate
their database explicitly (``warehouse.migrate.upgrade``), as the code
location's start-up check does: getting an engine never migrates.
Helpers shared by test files live in ``tests/support/``.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import tempfile
import uuid
from collections.abc import Callable, Iterator

import pytest
import sqlalchemy as sa
from support.dagster_processes import STACK_LOG_ENV
from support.jquants_sim import SIM_API_KEY

from moo_markets.jquants import JQuantsResource
from moo_markets.warehouse.engine import dispose_engines, get_engine
from moo_markets.warehouse.migrate import upgrade

POSTGRES_ENV = "MOO_MARKETS_TEST_POSTGRES_URL"
STACK_FIXTURES = {"dagster_stack", "ops_stack"}


@pytest.hookimpl(tryfirst=True)  # before pytest-xdist reads the groups
def pytest_collection_modifyitems(items) -> None:
    """`make test-fast` (-m "not e2e") must never start Dagster: a test using a stack
    without the e2e marker is an error, not a slow surprise.

    Under pytest-xdist (``--dist loadgroup``), the tests of one module that share a
    stack run on one worker, so each session- or module-scoped stack starts once;
    every other test goes wherever a worker is free.
    """
    for item in items:
        if STACK_FIXTURES & set(getattr(item, "fixturenames", ())):
            fixture = (
                "dagster_stack" if "dagster_stack" in item.fixturenames else item.module.__name__
            )
            item.add_marker(pytest.mark.xdist_group(f"stack-{fixture}"))
    unmarked = [
        item.nodeid
        for item in items
        if STACK_FIXTURES & set(getattr(item, "fixturenames", ()))
        and item.get_closest_marker("e2e") is None
    ]
    if unmarked:
        raise pytest.UsageError(f"tests using a Dagster stack must be marked e2e: {unmarked}")


LOST_GROUPS = pytest.StashKey[set[str]]()


def pytest_collection_finish(session) -> None:
    """Under ``--dist loadgroup`` the controller groups tests only by the ``@group`` suffix
    pytest-xdist's worker appends to node ids (in its own collection hook, after the one
    above). If that rewrite stops working (pytest 9.2 with pytest-xdist 3.8,
    pytest-dev/pytest-xdist#1386), every worker silently starts its own Dagster stack:
    remember those tests, so they fail saying why instead of starting a second stack."""
    lost = set()
    if getattr(session.config.option, "loadgroup", False):  # pytest-xdist workers only
        for item in session.items:
            groups = sorted({str(mark.args[0]) for mark in item.iter_markers("xdist_group")})
            if groups and not item.nodeid.endswith("@" + "_".join(groups)):
                lost.add(item.nodeid)
    session.config.stash[LOST_GROUPS] = lost


def pytest_runtest_setup(item) -> None:
    if item.nodeid in item.config.stash.get(LOST_GROUPS, set()):
        pytest.fail(
            "pytest-xdist did not add this test's xdist_group to its node id, so --dist "
            "loadgroup would start its Dagster stack on every worker (see the pytest pin "
            "in pyproject.toml)",
            pytrace=False,
        )


def pytest_configure(config) -> None:
    """The controller (or the only process) names the file stack starts are logged to;
    pytest-xdist workers inherit it."""
    if "PYTEST_XDIST_WORKER" not in os.environ:
        handle, path = tempfile.mkstemp(prefix="moo-markets-stack-starts-", suffix=".log")
        os.close(handle)
        os.environ[STACK_LOG_ENV] = path


def pytest_terminal_summary(terminalreporter) -> None:
    """Every Dagster stack the session started, with its worker: a stack shared by several
    test files must appear once."""
    path = os.environ.get(STACK_LOG_ENV)
    if "PYTEST_XDIST_WORKER" in os.environ or not path or not os.path.exists(path):
        return
    with open(path, encoding="utf-8") as log:
        lines = log.read().splitlines()
    os.unlink(path)
    if lines:
        terminalreporter.section("Dagster stacks started and stopped (worker, stack, time)")
        for line in lines:
            terminalreporter.line(line)


@pytest.fixture(scope="session")
def postgres_url() -> str:
    url = os.environ.get(POSTGRES_ENV)
    if not url:
        pytest.skip(
            f"PostgreSQL tests need {POSTGRES_ENV} (e.g. postgresql://postgres@127.0.0.1:5432/test)"
        )
    return url


def _admin_engine(url: str) -> sa.Engine:
    return sa.create_engine(
        sa.engine.make_url(url).set(drivername="postgresql+psycopg"), isolation_level="AUTOCOMMIT"
    )


@pytest.fixture
def make_postgres_database(postgres_url: str) -> Iterator[Callable[[str], str]]:
    """Factory: a new empty database; returns its plain ``postgresql://`` URL."""
    created: list[str] = []
    admin = _admin_engine(postgres_url)

    def make(prefix: str = "moo_test", template: str | None = None) -> str:
        name = f"{prefix}_{uuid.uuid4().hex[:10]}"
        copy = f' TEMPLATE "{template}"' if template else ""
        with admin.connect() as connection:
            connection.execute(sa.text(f'CREATE DATABASE "{name}"{copy}'))
        created.append(name)
        return (
            sa.engine.make_url(postgres_url)
            .set(database=name)
            .render_as_string(hide_password=False)
        )

    yield make
    dispose_engines()
    with admin.connect() as connection:
        for name in created:
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def migrated(url: str) -> str:
    upgrade(get_engine(url))
    return url


@pytest.fixture(scope="session")
def migrated_postgres_template(postgres_url: str) -> Iterator[str]:
    """The name of a PostgreSQL database at the newest schema, migrated once per test
    process; ``postgres_database`` copies it (CREATE DATABASE ... TEMPLATE) instead of
    running every migration again for each test, which took ~1.4 s of each test."""
    admin = _admin_engine(postgres_url)
    name = f"moo_template_{uuid.uuid4().hex[:10]}"
    with admin.connect() as connection:
        connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        migrated(sa.engine.make_url(postgres_url).set(database=name).render_as_string(False))
        dispose_engines()  # a template must have no open connections to be copied
        yield name
    finally:
        dispose_engines()
        with admin.connect() as connection:
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def postgres_database(
    make_postgres_database: Callable[..., str], migrated_postgres_template: str
) -> str:
    """A new PostgreSQL warehouse at the newest schema (a copy of the migrated template)."""
    return make_postgres_database("moo_test", template=migrated_postgres_template)


@pytest.fixture(scope="session")
def migrated_sqlite_template(tmp_path_factory) -> str:
    """The path of a SQLite warehouse at the newest schema, migrated once per test process;
    ``sqlite_database`` copies it rather than migrating for each test."""
    path = tmp_path_factory.mktemp("sqlite_template") / "warehouse.db"
    migrated(f"sqlite:///{path}")
    dispose_engines()
    return str(path)


@pytest.fixture
def sqlite_database(tmp_path, migrated_sqlite_template: str) -> Iterator[str]:
    """A new SQLite warehouse at the newest schema (a copy of the migrated template)."""
    path = tmp_path / "warehouse.db"
    with (
        contextlib.closing(sqlite3.connect(migrated_sqlite_template)) as source,
        contextlib.closing(sqlite3.connect(path)) as target,
    ):
        source.backup(target)  # SQLite's own copy: consistent whatever the journal mode
    yield f"sqlite:///{path}"
    dispose_engines()


@pytest.fixture(params=["sqlite", "postgres"])
def warehouse_url(request) -> str:
    """The same test on the SQLite default and on the real PostgreSQL."""
    if request.param == "sqlite":
        return request.getfixturevalue("sqlite_database")
    return request.getfixturevalue("postgres_database")


@pytest.fixture(scope="session")
def simulator():
    """A J-Quants simulator with no rate limit or faults, shared by the session."""
    from moo_markets.jquants_sim import JQuantsSimulator, SimulatorConfig

    config = SimulatorConfig(api_key=SIM_API_KEY, seed=42, rate_limit_per_minute=None)
    with JQuantsSimulator(config, port=0) as sim:
        yield sim


@pytest.fixture
def make_simulator() -> Iterator[Callable[..., object]]:
    """Factory for a simulator with its own settings (rate limits, faults, plan...)."""
    from moo_markets.jquants_sim import JQuantsSimulator, SimulatorConfig

    started = []

    def make(**config):
        config.setdefault("api_key", SIM_API_KEY)
        config.setdefault("seed", 42)
        config.setdefault("rate_limit_per_minute", None)  # unlimited unless a test sets one
        sim = JQuantsSimulator(SimulatorConfig(**config), port=0)
        sim.start()
        started.append(sim)
        return sim

    yield make
    for sim in started:
        sim.stop()


def _jquants_for(sim, **overrides) -> JQuantsResource:
    settings = dict(
        api_key=SIM_API_KEY,
        base_url=sim.base_url,
        requests_per_minute=60_000,
        backoff_initial=0.01,
        backoff_max=0.05,
        rate_limit_wait=0.2,
        read_timeout=5.0,
    )
    settings.update(overrides)
    return JQuantsResource(**settings)


@pytest.fixture
def make_jquants() -> Callable[..., JQuantsResource]:
    """Factory: ``make_jquants(sim, **overrides)``, a client resource aimed at a simulator
    with test-sized waits (fast backoff, 0.2 s after a 429, no pacing unless asked)."""
    return _jquants_for


@pytest.fixture
def jquants(simulator) -> JQuantsResource:
    return _jquants_for(simulator)


@pytest.fixture(scope="session")
def dagster_stack(tmp_path_factory, simulator):
    """Real ``dagster-webserver`` + ``dagster-daemon`` on a private instance, for the session.

    Dagster's storage and the warehouse are PostgreSQL databases of their own when
    ``MOO_MARKETS_TEST_POSTGRES_URL`` is set (always in CI), SQLite files otherwise.
    J-Quants is the session's simulator; ``listed_companies`` ticks every minute so
    schedule tests don't wait long. ``stack.warehouse_url`` is the warehouse.
    """
    from support.dagster_processes import private_stack

    env = {
        "MOO_MARKETS_LISTED_COMPANIES_CRON": "* * * * *",
        # One immediate step retry: runs of the catalog jobs exercise the retry policy (the
        # error text after retries are exhausted) without waiting out production's delays.
        # UI Materialize (__ASSET_JOB) runs have no retry policy: they fail at once.
        "MOO_MARKETS_STEP_RETRIES": "1",
        "MOO_MARKETS_STEP_RETRY_DELAY_SECONDS": "0",
    }
    base = tmp_path_factory.mktemp("dagster_stack")
    with private_stack(base, simulator, env, name="dagster_stack (session)") as stack:
        yield stack


@pytest.fixture(scope="session")
def api(dagster_stack, tmp_path_factory):
    """``moo-markets api`` on a free port against the shared stack, with a token."""
    import httpx
    from support.rest import api_process

    log = tmp_path_factory.mktemp("api") / "api.log"
    env = {
        **dagster_stack.env,
        "MOO_MARKETS_DATABASE_URL": dagster_stack.warehouse_url,
        "MOO_MARKETS_API_STOP_WAIT": "30",
    }
    with api_process(dagster_stack.url, env, log) as client:
        try:
            yield client
        finally:
            for job in ("1", "2"):  # leave the shared stack's schedules stopped
                try:
                    client.put(f"/jobs/{job}/enabled", json={"enabled": False})
                except httpx.HTTPError:
                    pass


@pytest.fixture
def sim(simulator):
    """The session's simulator, with no fault left over before or after the test."""
    simulator.clear_faults()
    yield simulator
    simulator.clear_faults()

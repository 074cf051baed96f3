"""How long a cron change takes to apply: ``PUT /api/scheduler/jobs/1/schedule`` to its answer.

Starts a private stack in the deployment's topology (one ``dagster code-server`` shared by
``dagster-webserver`` and ``dagster-daemon``, SQLite instance and warehouse, or PostgreSQL
databases with ``--postgres``), the J-Quants simulator and ``moo-markets api``, then changes
``listed_companies``' cron back and forth, with its schedule stopped and then running (a
running schedule is switched off and on around the reload and waits for the daemon). Also
times a bare ``reloadRepositoryLocation`` for comparison. Prints figures; asserts nothing.

    .venv/bin/python bench/cron_apply.py --changes 5
    .venv/bin/python bench/cron_apply.py --postgres postgresql://postgres@127.0.0.1:5432/test
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from support.dagster_processes import (  # noqa: E402
    DagsterProcesses,
    create_database,
    drop_database,
    write_instance,
)
from support.rest import api_process  # noqa: E402

KEY = "bench-key-not-a-secret"
TOKEN = "bench-token-not-a-secret"
CRONS = ("30 18 * * 1-5", "45 18 * * 1-5")
RELOAD = (
    'mutation { reloadRepositoryLocation(repositoryLocationName: "moo_markets") { __typename } }'
)


def start(stack: ExitStack, tmp: Path, postgres: str | None) -> tuple[DagsterProcesses, str]:
    from moo_markets.jquants_sim import JQuantsSimulator, SimulatorConfig

    sim = stack.enter_context(
        JQuantsSimulator(SimulatorConfig(api_key=KEY, seed=42, rate_limit_per_minute=None), port=0)
    )
    storage, warehouse = None, f"sqlite:///{tmp / 'warehouse.db'}"
    if postgres:
        storage = create_database(postgres, "bench_dagster")
        warehouse = create_database(postgres, "bench_warehouse")
        stack.callback(drop_database, storage)
        stack.callback(drop_database, warehouse)
    home = tmp / "home"
    write_instance(home, storage)
    env = {
        "JQUANTS_API_KEY": KEY,
        "JQUANTS_BASE_URL": sim.base_url,
        "MOO_MARKETS_DATABASE_URL": warehouse,
    }
    dagster = DagsterProcesses(home, env, log_dir=tmp / "logs", code_server=True)
    dagster.start()
    stack.callback(dagster.stop)
    api = stack.enter_context(api_process(dagster.url, dagster.env, tmp / "api.log", TOKEN))
    url = f"{api.url}/api/scheduler"
    return dagster, url


def changes(client: httpx.Client, url: str, count: int) -> list[float]:
    seconds = []
    for i in range(count):
        cron = CRONS[i % 2]
        sent = time.perf_counter()
        response = client.put(f"{url}/jobs/1/schedule", json={"schedule": cron})
        seconds.append(time.perf_counter() - sent)
        response.raise_for_status()
        assert response.json()["data"]["schedule"] == cron, response.text
    return seconds


def describe(name: str, seconds: list[float]) -> str:
    return (
        f"{name:<34} n={len(seconds):<3} p50 {statistics.median(seconds):6.2f}s  "
        f"min {min(seconds):6.2f}s  max {max(seconds):6.2f}s"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--changes", type=int, default=5, help="changes per case (default 5)")
    parser.add_argument("--postgres", default=None, help="admin URL: PostgreSQL storage+warehouse")
    args = parser.parse_args()
    with (
        tempfile.TemporaryDirectory(prefix="bench_cron_", ignore_cleanup_errors=True) as tmp,
        ExitStack() as stack,
    ):
        dagster, url = start(stack, Path(tmp), args.postgres)
        headers = {"Authorization": f"Bearer {TOKEN}"}
        with httpx.Client(headers=headers, timeout=120) as client:
            reloads = []
            for _ in range(args.changes):
                sent = time.perf_counter()
                dagster.graphql(RELOAD)
                reloads.append(time.perf_counter() - sent)
            stopped = changes(client, url, args.changes)
            client.put(f"{url}/jobs/1/enabled", json={"enabled": True}).raise_for_status()
            running = changes(client, url, args.changes)
            client.put(f"{url}/jobs/1/enabled", json={"enabled": False}).raise_for_status()
            client.delete(f"{url}/jobs/1/schedule").raise_for_status()
        storage = "PostgreSQL" if args.postgres else "SQLite"
        print(f"cron change, PUT to answer ({storage}, shared code server, {os.cpu_count()} CPUs)")
        print(describe("bare reloadRepositoryLocation", reloads))
        print(describe("PUT .../schedule, schedule stopped", stopped))
        print(describe("PUT .../schedule, schedule running", running))
    return 0


if __name__ == "__main__":
    sys.exit(main())

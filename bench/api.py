"""REST API overhead: ``GET /api/scheduler/jobs`` vs the same GraphQL sent straight to Dagster.

Starts a private ``dagster-webserver`` + ``dagster-daemon`` (SQLite instance), the J-Quants
simulator and ``moo-markets api`` over real HTTP, gives each job a run, then times both
paths interleaved on one machine in one run. The raw request is the exact document the
API sends for that call. Target: p50(API) / p50(raw GraphQL) <= 1.2.

    .venv/bin/python bench/api.py --requests 300
    .venv/bin/python bench/api.py --dagster-url http://127.0.0.1:3000 --api-url http://127.0.0.1:4000
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from support.dagster_processes import DagsterProcesses, wait_for, write_instance  # noqa: E402
from support.rest import api_process  # noqa: E402

from moo_markets.api import documents as docs  # noqa: E402
from moo_markets.core.catalog import JOBS  # noqa: E402

KEY = "bench-key-not-a-secret"


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]


def start_stack(stack: ExitStack, tmp: Path) -> tuple[str, str]:
    from moo_markets.jquants_sim import JQuantsSimulator, SimulatorConfig

    config = SimulatorConfig(api_key=KEY, seed=42, rate_limit_per_minute=None)
    sim = stack.enter_context(JQuantsSimulator(config, port=0))
    home = tmp / "home"
    write_instance(home, None)
    warehouse = f"sqlite:///{tmp / 'warehouse.db'}"
    env = {
        "JQUANTS_API_KEY": KEY,
        "JQUANTS_BASE_URL": sim.base_url,
        "JQUANTS_REQUESTS_PER_MINUTE": "6000",
        "MOO_MARKETS_DATABASE_URL": warehouse,
    }
    dagster = DagsterProcesses(home, env, log_dir=tmp / "logs")
    dagster.start()
    stack.callback(dagster.stop)
    api = stack.enter_context(
        api_process(
            dagster.url, {**dagster.env, "MOO_MARKETS_DATABASE_URL": warehouse},
            tmp / "api.log", token=None,
        )
    )  # fmt: skip
    api_url = api.url
    return dagster.url, api_url


def seed_history(api_url: str) -> None:
    """One finished run of listed_companies, so job summaries carry a last execution."""
    with httpx.Client(base_url=api_url, timeout=60) as client:
        run_id = client.post("/api/scheduler/jobs/1/run").json()["data"]["run_id"]

        def finished() -> bool:
            data = client.get(f"/api/scheduler/executions/{run_id}").json()["data"]
            return data["status"] != "running"

        wait_for(finished, timeout=180, message="the seed run")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=300, help="timed requests per path")
    parser.add_argument("--warmup", type=int, default=30)
    parser.add_argument("--dagster-url", help="use a running webserver instead of starting one")
    parser.add_argument("--api-url", help="use a running API (with --dagster-url)")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(ignore_cleanup_errors=True) as tmp, ExitStack() as stack:
        if args.dagster_url and args.api_url:
            dagster_url, api_url = args.dagster_url.rstrip("/"), args.api_url.rstrip("/")
        else:
            dagster_url, api_url = start_stack(stack, Path(tmp))
            seed_history(api_url)

        variables = {"unfinished": list(docs.UNFINISHED)}
        variables.update({f"job{j.id}": j.job_name for j in JOBS})
        raw_body = {"query": docs.jobs_document(JOBS), "variables": variables}

        api = httpx.Client(base_url=api_url, timeout=60)
        raw = httpx.Client(timeout=60)

        def call_api() -> None:
            response = api.get("/api/scheduler/jobs")
            response.raise_for_status()
            response.json()

        def call_raw() -> None:
            response = raw.post(f"{dagster_url}/graphql", json=raw_body)
            response.raise_for_status()
            assert "errors" not in response.json()

        for _ in range(args.warmup):
            call_api()
            call_raw()
        timings: dict[str, list[float]] = {"api": [], "raw": []}
        for i in range(args.requests):
            # Interleaved, alternating which goes first, so drift hits both alike.
            order = [("api", call_api), ("raw", call_raw)]
            for name, call in order if i % 2 == 0 else reversed(order):
                started = time.perf_counter()
                call()
                timings[name].append((time.perf_counter() - started) * 1000)
        api.close()
        raw.close()

    p50 = {k: percentile(v, 50) for k, v in timings.items()}
    p99 = {k: percentile(v, 99) for k, v in timings.items()}
    print(f"requests per path        {args.requests} (after {args.warmup} warm-up)")
    print(f"raw GraphQL  p50 / p99   {p50['raw']:.1f} / {p99['raw']:.1f} ms")
    print(f"REST API     p50 / p99   {p50['api']:.1f} / {p99['api']:.1f} ms")
    print(
        f"mean overhead            {statistics.mean(timings['api']) - statistics.mean(timings['raw']):.1f} ms"
    )
    ratio = p50["api"] / p50["raw"]
    print(
        f"p50 ratio API/raw        {ratio:.3f} (target <= 1.2: {'met' if ratio <= 1.2 else 'MISSED'})"
    )
    print(f"p99 ratio API/raw        {p99['api'] / p99['raw']:.3f}")


if __name__ == "__main__":
    main()

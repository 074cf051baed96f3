"""How fast the REST API starts and how much memory it holds: `python bench/api_start.py`.

Starts ``moo-markets api`` (pointed at a port where no webserver listens, so
nothing but the API itself is measured) several times and prints the time
from launch to the first answer of ``/api/health`` and the process's RSS
after that answer, plus the import time of the API's entry module.
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

import httpx
import psutil

BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def one_start() -> tuple[float, float]:
    port, dead = free_port(), free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("MOO_MARKETS_")}
    started = time.monotonic()
    process = subprocess.Popen(
        [sys.executable, "-m", "moo_markets.cli", "--log-level", "WARNING", "api", "--port",
         str(port), "--dagster-url", f"http://127.0.0.1:{dead}"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        with httpx.Client(timeout=5) as client:
            while True:
                if process.poll() is not None:
                    raise SystemExit(f"moo-markets api exited with {process.returncode}")
                try:
                    if client.get(f"http://127.0.0.1:{port}/api/health").status_code == 200:
                        break
                except httpx.HTTPError:
                    time.sleep(0.01)
        elapsed = time.monotonic() - started
        rss = psutil.Process(process.pid).memory_info().rss / 2**20
        return elapsed, rss
    finally:
        process.terminate()
        process.wait(timeout=30)


def import_time() -> float:
    script = "import time; t = time.perf_counter(); import moo_markets.api.main; print(time.perf_counter() - t)"
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    return float(out.stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    import moo_markets

    print(f"moo_markets from {Path(moo_markets.__file__).parent}")
    imports = [import_time() for _ in range(args.runs)]
    starts = [one_start() for _ in range(args.runs)]
    print(f"import moo_markets.api.main: median {statistics.median(imports):.2f}s")
    print(
        f"launch -> first /api/health answer: median {statistics.median(s for s, _ in starts):.2f}s"
        f" (min {min(s for s, _ in starts):.2f}s)"
    )
    print(f"RSS after the first answer: median {statistics.median(r for _, r in starts):.0f} MiB")


if __name__ == "__main__":
    main()
